// The one table of settings and the one command-line reader of the three programs: the table's
// rows are well formed, each program reads --flag value, --flag=value and --, --help wins, and
// every row with a config key sets, from a cluster definition, the field its flag sets.
#include "cli/configfile.h"
#include "cli/options.h"
#include "load/loadoptions.h"
#include "settings/commandline.h"
#include "settings/settingtable.h"
#include "worker/workeroptions.h"

#include <cmath>
#include <set>

#include <QtTest>

namespace {

std::vector<std::string> words(const QByteArray& line)
{
    std::vector<std::string> out;
    for (const auto& word : line.split(' '))
        if (!word.isEmpty())
            out.push_back(word.toStdString());
    return out;
}

std::variant<cs::CliOptions, cs::CliError> parseCluster(const std::vector<std::string>& args)
{
    std::vector<const char*> argv { "clusterscope" };
    for (const auto& arg : args)
        argv.push_back(arg.c_str());
    return cs::parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

std::variant<cs::LoadOptions, std::string> parseLoad(const std::vector<std::string>& args)
{
    std::vector<const char*> argv { "clusterscope-load" };
    for (const auto& arg : args)
        argv.push_back(arg.c_str());
    return cs::parseLoadArgs(static_cast<int>(argv.size()), argv.data());
}

cs::worker::ParsedOptions parseWorker(const std::vector<std::string>& args)
{
    return cs::worker::parseWorkerOptions(args, {});
}

/// The error sentence of one program's reading of `args`, empty when it read them.
std::string errorOf(cs::Program program, const std::vector<std::string>& args)
{
    switch (program) {
    case cs::Program::Clusterscope: {
        const auto result = parseCluster(args);
        return std::holds_alternative<cs::CliError>(result) ? std::get<cs::CliError>(result).message : std::string();
    }
    case cs::Program::Load: {
        const auto result = parseLoad(args);
        return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : std::string();
    }
    case cs::Program::Worker: return parseWorker(args).error;
    }
    return {};
}

/// The error of a clusterscope reading, for failure messages ("" when there is none).
const char* messageOf(const std::variant<cs::CliOptions, cs::CliError>& result)
{
    const auto* error = std::get_if<cs::CliError>(&result);
    return error ? error->message.c_str() : "";
}

bool helpOf(cs::Program program, const std::vector<std::string>& args)
{
    switch (program) {
    case cs::Program::Clusterscope: {
        const auto result = parseCluster(args);
        return std::holds_alternative<cs::CliOptions>(result)
            && std::get<cs::CliOptions>(result).mode == cs::CliOptions::Mode::Help;
    }
    case cs::Program::Load: {
        const auto result = parseLoad(args);
        return std::holds_alternative<cs::LoadOptions>(result) && std::get<cs::LoadOptions>(result).help;
    }
    case cs::Program::Worker: {
        const auto result = parseWorker(args);
        return result.error.empty() && result.options.help;
    }
    }
    return false;
}

/// A value inside the row's range and off its default, as the command line writes it.
std::string sampleValue(const cs::Setting& row)
{
    switch (row.type) {
    case cs::ValueType::Integer:
        return std::to_string(static_cast<long long>(std::llround(row.minimum + (row.maximum - row.minimum) / 3)));
    case cs::ValueType::Decimal: return "2.5";
    case cs::ValueType::Choice: {
        const std::string_view choices = row.choices;
        const auto first = choices.find('|');
        return std::string(choices.substr(first + 1, choices.find('|', first + 1) - first - 1));
    }
    case cs::ValueType::Directory: return "/tmp";
    default: return row.metavar == "LIST" ? "1,0" : "::1"; // a CPU list, else an address
    }
}

} // namespace

class TestSettingTable : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rowsAreWellFormed();
    void policyChoicesAreThePolicies();
    void bothFormsAndTheEndOfOptions_data();
    void bothFormsAndTheEndOfOptions();
    void helpWinsOverAnything_data();
    void helpWinsOverAnything();
    void oneErrorShape_data();
    void oneErrorShape();
    void defaultsAreTheStructsDefaults();
    void workerCountLimitIsTheTables();
    void configKeysSetWhatTheirFlagsSet_data();
    void configKeysSetWhatTheirFlagsSet();
    void numbers_data();
    void numbers();
};

void TestSettingTable::rowsAreWellFormed()
{
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load, cs::Program::Worker }) {
        std::set<std::string_view> flags;
        std::set<std::string_view> keys;
        const auto rows = cs::settingsOf(program);
        QVERIFY(rows.size() > 2);
        for (const cs::Setting& row : rows) {
            const QByteArray name = QByteArray(row.flag.data(), qsizetype(row.flag.size()));
            QVERIFY2(row.flag.starts_with("--") && row.flag.size() > 3, name);
            QVERIFY2(flags.insert(row.flag).second, "flag twice: " + name);
            if (!row.shortFlag.empty()) {
                QVERIFY2(row.shortFlag.size() == 2 && row.shortFlag[0] == '-' && row.shortFlag[1] != '-', name);
                QVERIFY2(flags.insert(row.shortFlag).second, "short flag twice: " + name);
            }
            QVERIFY2(!row.help.empty() && row.help.back() != '.', name);
            QCOMPARE(row.metavar.empty(), row.type == cs::ValueType::None);
            if (row.type == cs::ValueType::Integer || row.type == cs::ValueType::Decimal)
                QVERIFY2(row.minimum <= row.maximum, name);
            QCOMPARE(row.choices.empty(), row.type != cs::ValueType::Choice);
            if (!row.configKey.empty()) {
                QCOMPARE(program, cs::Program::Clusterscope); // only the cluster has definitions
                QVERIFY2(keys.insert(row.configKey).second, "config key twice: " + name);
            }
            QCOMPARE(cs::findSetting(program, row.flag), &row);
        }
        QVERIFY(cs::findSetting(program, "--help") && cs::findSetting(program, "-h"));
        QVERIFY(cs::findSetting(program, "--version"));
        QVERIFY(!cs::findSetting(program, "--nonexistent"));
    }
    QCOMPARE(cs::findSetting(cs::Program::Load, "-c")->flag, std::string_view("--connections"));
}

void TestSettingTable::policyChoicesAreThePolicies()
{
    std::string names;
    for (const cs::Policy policy : cs::kAllPolicies)
        names += (names.empty() ? "" : "|") + std::string(cs::policyName(policy));
    QCOMPARE(std::string(cs::setting(cs::Program::Clusterscope, "--policy").choices), names);
}

void TestSettingTable::bothFormsAndTheEndOfOptions_data()
{
    QTest::addColumn<QByteArray>("spaced");
    QTest::addColumn<QByteArray>("joined");
    QTest::newRow("port") << QByteArray("--port 9001 --workers 3 --policy shared --headless")
                          << QByteArray("--port=9001 --workers=3 --policy=shared --headless --");
    QTest::newRow("empty value") << QByteArray("--headless --worker-arg x") << QByteArray("--headless --worker-arg=x");
    QTest::newRow("value with =") << QByteArray("--env A=1=2") << QByteArray("--env=A=1=2");
    QTest::newRow("value like a flag") << QByteArray("--worker-arg --idle-timeout-ms --worker-arg 500")
                                       << QByteArray("--worker-arg=--idle-timeout-ms --worker-arg=500 --");
}

void TestSettingTable::bothFormsAndTheEndOfOptions()
{
    QFETCH(QByteArray, spaced);
    QFETCH(QByteArray, joined);
    const auto a = parseCluster(words(spaced));
    const auto b = parseCluster(words(joined));
    QVERIFY2(std::holds_alternative<cs::CliOptions>(a), messageOf(a));
    QVERIFY2(std::holds_alternative<cs::CliOptions>(b), messageOf(b));
    QVERIFY(std::get<cs::CliOptions>(a) == std::get<cs::CliOptions>(b));
    QVERIFY(!(std::get<cs::CliOptions>(a) == cs::CliOptions {}));

    // The same in the two other programs.
    const auto load = parseLoad({ "-c", "4", "--rate=150", "--", });
    QVERIFY(std::holds_alternative<cs::LoadOptions>(load));
    QCOMPARE(std::get<cs::LoadOptions>(load).connections, 4);
    QCOMPARE(std::get<cs::LoadOptions>(load).rate, 150.0);
    const auto worker = parseWorker({ "--port=8123", "--max-body-bytes", "77", "--" });
    QVERIFY2(worker.error.empty(), worker.error.c_str());
    QCOMPARE(worker.options.port, std::uint16_t(8123));
    QCOMPARE(worker.options.maxBodyBytes, std::uint64_t(77));

    // --exec keeps the rest as given, a first -- after it only marking where the program starts.
    const auto exec = std::get<cs::CliOptions>(parseCluster(words("--headless --exec -- node --help -- x")));
    QCOMPARE(exec.config.execCommand, (std::vector<std::string> { "node", "--help", "--", "x" }));
    QCOMPARE(exec.mode, cs::CliOptions::Mode::Headless);
}

void TestSettingTable::helpWinsOverAnything_data()
{
    QTest::addColumn<int>("program");
    QTest::addColumn<QByteArray>("line");
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load, cs::Program::Worker }) {
        const std::string name(cs::programName(program));
        auto row = [&](const char* what, const char* line) {
            QTest::newRow((name + ": " + what).c_str()) << int(program) << QByteArray(line);
        };
        row("alone", "--help");
        row("short", "-h");
        row("after a bogus option", "--bogus --help");
        row("before a bogus option", "--help --bogus");
        row("after a bad value", "--port=nope -h");
        row("after a missing value", "--port= --help");
        row("after an operand", "stray --help");
        row("with --version", "--version --help");
    }
}

void TestSettingTable::helpWinsOverAnything()
{
    QFETCH(int, program);
    QFETCH(QByteArray, line);
    QVERIFY2(helpOf(cs::Program(program), words(line)), errorOf(cs::Program(program), words(line)).c_str());
}

void TestSettingTable::oneErrorShape_data()
{
    QTest::addColumn<int>("program");
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("sentence");
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load, cs::Program::Worker }) {
        const std::string name(cs::programName(program));
        auto row = [&](const char* what, const char* line, const std::string& sentence) {
            QTest::newRow((name + ": " + what).c_str()) << int(program) << QByteArray(line) << QByteArray::fromStdString(sentence);
        };
        row("unknown", "--bogus", "Unknown option '--bogus'; see " + name + " --help.");
        row("unknown with value", "--bogus=1", "Unknown option '--bogus'; see " + name + " --help.");
        row("missing value", "--port", "Option --port needs a value (N); see " + name + " --help.");
        row("not a number", "--port=80x", "The value '80x' of --port is not valid; use a number from "
                + std::string(program == cs::Program::Load ? "1" : "0") + " to 65535.");
        row("switch with value", "--version=1", "Option --version takes no value; see " + name + " --help.");
        row("operand", "stray", "Unexpected argument 'stray': " + name + " takes options only; see " + name + " --help.");
        row("after --", "-- --port", "Unexpected argument '--port': " + name + " takes options only; see " + name
                + " --help.");
        row("first of two", "--bogus --port=x", "Unknown option '--bogus'; see " + name + " --help.");
    }
    QTest::newRow("clusterscope: choice") << int(cs::Program::Clusterscope) << QByteArray("--policy=fastest")
                                          << QByteArray("The value 'fastest' of --policy is not valid; use round-robin, "
                                                        "least-connections, shared or reuseport.");
    QTest::newRow("worker: choice") << int(cs::Program::Worker) << QByteArray("--mode fork")
                                    << QByteArray("The value 'fork' of --mode is not valid; use handoff, shared or reuseport.");
    QTest::newRow("load: short flag as typed") << int(cs::Program::Load) << QByteArray("-d 0")
                                               << QByteArray("The value '0' of -d is not valid; use a number from 0.001 "
                                                             "to 86400 seconds.");
    QTest::newRow("load: decimal not finite") << int(cs::Program::Load) << QByteArray("--rate=inf")
                                              << QByteArray("The value 'inf' of --rate is not valid; use a number from 0 "
                                                            "to 10000000 requests per second.");
    QTest::newRow("clusterscope: exec without a program")
        << int(cs::Program::Clusterscope) << QByteArray("--exec --")
        << QByteArray("--exec needs a program, e.g. --exec node server.js; see clusterscope --help.");
}

void TestSettingTable::oneErrorShape()
{
    QFETCH(int, program);
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, sentence);
    QCOMPARE(QByteArray::fromStdString(errorOf(cs::Program(program), words(line))), sentence);
}

// The table's defaults, given as values, change nothing: the structs start where the table says.
void TestSettingTable::defaultsAreTheStructsDefaults()
{
    int checked = 0;
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load, cs::Program::Worker }) {
        for (const cs::Setting& row : cs::settingsOf(program)) {
            if (row.type != cs::ValueType::Integer && row.type != cs::ValueType::Decimal && row.type != cs::ValueType::Text
                && row.type != cs::ValueType::Choice)
                continue;
            const std::string value(row.defaultText);
            if (value.empty() || value.find(' ') != std::string::npos || value == "off")
                continue; // "one per core", "off": said in words, not a value
            const std::vector<std::string> given { std::string(row.flag) + "=" + value };
            const QByteArray what = QByteArray::fromStdString(std::string(cs::programName(program)) + " " + given[0]);
            switch (program) {
            case cs::Program::Clusterscope: {
                auto options = std::get<cs::CliOptions>(parseCluster(given));
                options.portGiven = options.bindGiven = options.policyGiven = false;
                QVERIFY2(options == cs::CliOptions {}, what);
                break;
            }
            case cs::Program::Load: QVERIFY2(std::get<cs::LoadOptions>(parseLoad(given)) == cs::LoadOptions {}, what); break;
            case cs::Program::Worker: QVERIFY2(parseWorker(given).options == parseWorker({}).options, what); break;
            }
            ++checked;
        }
    }
    QVERIFY(checked >= 20);
}

void TestSettingTable::workerCountLimitIsTheTables()
{
    const cs::Setting& workers = cs::setting(cs::Program::Clusterscope, "--workers");
    QCOMPARE(workers.minimum, 1.0);
    QCOMPARE(workers.maximum, 256.0);
    cs::ClusterConfig config = cs::withDefaults({});
    for (const int count : { 1, 256 }) {
        config.workers = count;
        const auto problem = cs::validate(config);
        QVERIFY2(!problem || problem->field != cs::ConfigField::Workers, problem->message.c_str());
    }
    for (const int count : { 0, 257, -1 }) {
        config.workers = count;
        const auto problem = cs::validate(config);
        QVERIFY(problem && problem->field == cs::ConfigField::Workers);
        QCOMPARE(problem->message, "The worker count " + std::to_string(count)
                     + " is out of range; use a number from 1 to 256.");
    }
}

void TestSettingTable::configKeysSetWhatTheirFlagsSet_data()
{
    QTest::addColumn<QByteArrayList>("flags");
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<QByteArray>("json");
    int rows = 0;
    for (const cs::Setting& row : cs::settingsOf(cs::Program::Clusterscope)) {
        if (row.configKey.empty())
            continue;
        ++rows;
        const std::string key(row.configKey);
        const QByteArray name = QByteArray::fromStdString(std::string(row.flag) + " / " + key);
        // The keys whose value has a shape of its own.
        if (key == "env") {
            QTest::newRow(name) << QByteArrayList { "--env", "A=1" } << QByteArray("env = { A = \"1\" }\n")
                                << QByteArray("{\"env\": {\"A\": \"1\"}}");
            continue;
        }
        if (key == "program") {
            // The policy given on both sides: without it the command line picks shared for a
            // program of one's own, which is a choice of the command line, not of the key.
            QTest::newRow(name) << QByteArrayList { "--policy", "shared", "--exec", "/bin/true", "x" }
                                << QByteArray("policy = \"shared\"\nprogram = \"/bin/true\"\nargs = [\"x\"]\n")
                                << QByteArray("{\"policy\": \"shared\", \"program\": \"/bin/true\", \"args\": [\"x\"]}");
            continue;
        }
        QByteArray flag = QByteArray(row.flag.data(), qsizetype(row.flag.size()));
        QByteArrayList flags { flag };
        QByteArray value;
        QByteArray literal;
        if (row.type == cs::ValueType::None) {
            literal = "true";
        } else {
            value = QByteArray::fromStdString(sampleValue(row));
            flags.append(value);
            const bool number = row.type == cs::ValueType::Integer || row.type == cs::ValueType::Decimal;
            literal = number ? value : "\"" + value + "\"";
        }
        const auto dot = key.find('.');
        QByteArray toml;
        QByteArray json;
        if (dot == std::string::npos) {
            toml = QByteArray::fromStdString(key) + " = " + literal + "\n";
            json = "{\"" + QByteArray::fromStdString(key) + "\": " + literal + "}";
        } else {
            const QByteArray table = QByteArray::fromStdString(key.substr(0, dot));
            const QByteArray leaf = QByteArray::fromStdString(key.substr(dot + 1));
            toml = "[" + table + "]\n" + leaf + " = " + literal + "\n";
            json = "{\"" + table + "\": {\"" + leaf + "\": " + literal + "}}";
        }
        QTest::newRow(name) << flags << toml << json;
    }
    QVERIFY(rows >= 13);
}

void TestSettingTable::configKeysSetWhatTheirFlagsSet()
{
    QFETCH(QByteArrayList, flags);
    QFETCH(QByteArray, toml);
    QFETCH(QByteArray, json);
    std::vector<std::string> args;
    for (const auto& flag : flags)
        args.push_back(flag.toStdString());
    const auto parsed = parseCluster(args);
    QVERIFY2(std::holds_alternative<cs::CliOptions>(parsed), messageOf(parsed));
    const cs::ClusterConfig fromFlags = std::get<cs::CliOptions>(parsed).config;
    QVERIFY2(!(fromFlags == cs::ClusterConfig {}), "the flag changed nothing");
    for (const auto& [text, file] : { std::pair { toml, "cluster.toml" }, std::pair { json, "cluster.json" } }) {
        const auto loaded = cs::parseConfig(text.toStdString(), file);
        const auto* error = std::get_if<cs::ConfigError>(&loaded);
        QVERIFY2(!error, (text.toStdString() + ": " + (error ? error->message : std::string())).c_str());
        QVERIFY2(std::get<cs::ClusterConfig>(loaded) == fromFlags,
                 (file + std::string(" set another field than the flag: ") + text.toStdString()).c_str());
    }
}

void TestSettingTable::numbers_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("integer");
    QTest::addColumn<bool>("decimal");
    QTest::newRow("plain") << QByteArray("42") << true << true;
    QTest::newRow("low end") << QByteArray("1") << true << true;
    QTest::newRow("high end") << QByteArray("100") << true << true;
    QTest::newRow("below") << QByteArray("0") << false << false;
    QTest::newRow("above") << QByteArray("101") << false << false;
    QTest::newRow("fraction") << QByteArray("2.5") << false << true;
    QTest::newRow("exponent") << QByteArray("1e2") << false << true;
    QTest::newRow("sign") << QByteArray("+5") << false << false;
    QTest::newRow("space") << QByteArray(" 5") << false << false;
    QTest::newRow("trailing") << QByteArray("5x") << false << false;
    QTest::newRow("empty") << QByteArray("") << false << false;
    QTest::newRow("nan") << QByteArray("nan") << false << false;
    QTest::newRow("huge") << QByteArray("99999999999999999999999") << false << false;
}

void TestSettingTable::numbers()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, integer);
    QFETCH(bool, decimal);
    QCOMPARE(cs::parseInteger(text.toStdString(), 1, 100).has_value(), integer);
    QCOMPARE(cs::parseDecimal(text.toStdString(), 1, 100).has_value(), decimal);
}

QTEST_APPLESS_MAIN(TestSettingTable)
#include "tst_settingtable.moc"
