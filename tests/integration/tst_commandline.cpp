// The three programs' command lines as a user meets them: real processes for --help, --version,
// --flag=value, -- and the one error shape; the man pages' OPTIONS and the bash completion
// (run in a real bash) hold exactly the settings table's options.
#include "settings/settingtable.h"
#include "testsupport.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;

namespace {

using Flags = std::set<std::string>;

std::string sourceFile(const std::string& relative)
{
    // CS_TEST_DATA is <source>/tests/data.
    return cs::test::dataFile("../../" + relative);
}

std::string readText(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string programPath(cs::Program program)
{
    return cs::test::binDir() + "/" + std::string(cs::programName(program));
}

/// Every spelling the table gives `program`'s options: long flags, and short ones unless only long.
Flags tableFlags(cs::Program program, bool longOnly = false)
{
    Flags flags;
    for (const cs::Setting& row : cs::settingsOf(program)) {
        flags.insert(std::string(row.flag));
        if (!row.shortFlag.empty() && !longOnly)
            flags.insert(std::string(row.shortFlag));
    }
    return flags;
}

std::string joined(const Flags& flags)
{
    std::string out;
    for (const auto& flag : flags)
        out += (out.empty() ? "" : " ") + flag;
    return out;
}

/// The options a man page's OPTIONS section describes: the flags in each .TP paragraph's tag
/// line (its first line), not those mentioned in the text.
Flags manPageFlags(const std::string& page)
{
    std::istringstream in(page);
    std::string line;
    bool inOptions = false;
    bool tagNext = false;
    Flags flags;
    const std::regex flag(R"((^|[^A-Za-z0-9-])(--[a-z][a-z-]*[a-z]|-[A-Za-z])(?![A-Za-z0-9-]))");
    while (std::getline(in, line)) {
        if (line.rfind(".SH", 0) == 0) {
            inOptions = line == ".SH OPTIONS";
            continue;
        }
        if (!inOptions)
            continue;
        if (line == ".TP") {
            tagNext = true;
            continue;
        }
        if (!tagNext)
            continue;
        tagNext = false;
        // groff writes a hyphen as \- in options.
        std::string plain = std::regex_replace(line, std::regex(R"(\\-)"), "-");
        for (std::sregex_iterator it(plain.begin(), plain.end(), flag), end; it != end; ++it)
            flags.insert((*it)[2]);
    }
    return flags;
}

/// What the completion file offers for the command line `words` (the last one being completed),
/// asked of a real bash: the file is sourced, its function found with `complete -p`.
struct Completion {
    Flags offered;
    std::string error;
};
Completion complete(const std::string& program, const std::vector<std::string>& words)
{
    const std::string script = R"(
        source "$1" || exit 3
        program=$2; shift 2
        fn=$(complete -p "$program" 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        [ -n "$fn" ] || { echo "no completion registered for $program" >&2; exit 4; }
        COMP_WORDS=("$program" "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
        "$fn" "$program" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}")";
    std::vector<std::string> args { "--norc", "--noprofile", "-c", script, "bash",
                                    sourceFile("resources/bash-completion/clusterscope"), program };
    args.insert(args.end(), words.begin(), words.end());
    ChildProcess bash("/bin/bash", args);
    Completion result;
    if (!bash.start())
        return { {}, "bash did not start" };
    const auto status = bash.waitExit(10s);
    if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return { {}, "bash failed: " + bash.stderrText() };
    std::istringstream out(bash.stdoutText());
    for (std::string line; std::getline(out, line);)
        if (!line.empty())
            result.offered.insert(line);
    return result;
}

struct Run {
    int exitCode = -1;
    std::string out;
    std::string err;
};
Run run(cs::Program program, const std::vector<std::string>& args)
{
    ChildProcess child(programPath(program), args);
    if (!child.start())
        return {};
    const auto status = child.waitExit(10s);
    return { status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, child.stdoutText(), child.stderrText() };
}

} // namespace

class TestCommandLine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void helpVersionAndErrors_data();
    void helpVersionAndErrors();
    void bothFormsAndTheEndOfOptionsRunForReal();
    void manPagesDescribeExactlyTheTable_data();
    void manPagesDescribeExactlyTheTable();
    void completionOffersExactlyTheTable_data();
    void completionOffersExactlyTheTable();
    void completionCompletesPo();
    void completionKnowsWhichOptionsTakeValues_data();
    void completionKnowsWhichOptionsTakeValues();
    void completionLeavesTheExecLineAlone();
};

void TestCommandLine::helpVersionAndErrors_data()
{
    QTest::addColumn<int>("program");
    QTest::addColumn<QByteArrayList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("out"); ///< stdout starts with it
    QTest::addColumn<QByteArray>("err"); ///< all of stderr
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load, cs::Program::Worker }) {
        const QByteArray name = QByteArray::fromStdString(std::string(cs::programName(program)));
        const QByteArray usage = "Usage: " + name + " ";
        auto row = [&](const char* what, QByteArrayList args, int code, QByteArray out, QByteArray err) {
            QTest::newRow(name + ": " + what) << int(program) << args << code << out << err;
        };
        row("--help", { "--help" }, 0, usage, "");
        row("--help after a bogus option", { "--bogus", "--help" }, 0, usage, "");
        row("-h before a bogus option", { "-h", "--bogus" }, 0, usage, "");
        row("--help after a bad value", { "--port=nope", "--help" }, 0, usage, "");
        row("--version", { "--version" }, 0, name + " " CLUSTERSCOPE_VERSION "\n", "");
        row("unknown option", { "--bogus" }, 2, "", name + ": Unknown option '--bogus'; see " + name + " --help.\n");
        row("bad value", { "--port=nope" }, 2, "",
            name + ": The value 'nope' of --port is not valid; use a number from "
                + (program == cs::Program::Load ? "1" : "0") + " to 65535.\n");
        row("missing value", { "--port" }, 2, "", name + ": Option --port needs a value (N); see " + name + " --help.\n");
        row("operand after --", { "--", "x" }, 2, "",
            name + ": Unexpected argument 'x': " + name + " takes options only; see " + name + " --help.\n");
    }
}

void TestCommandLine::helpVersionAndErrors()
{
    QFETCH(int, program);
    QFETCH(QByteArrayList, args);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, out);
    QFETCH(QByteArray, err);
    std::vector<std::string> argv;
    for (const auto& arg : args)
        argv.push_back(arg.toStdString());
    const Run result = run(cs::Program(program), argv);
    QCOMPARE(QByteArray::fromStdString(result.err), err);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.out.rfind(out.toStdString(), 0) == 0, result.out.c_str());
}

// --flag=value and -- in each real program: a cluster, a worker and a load run all take them.
void TestCommandLine::bothFormsAndTheEndOfOptionsRunForReal()
{
    ChildProcess master(programPath(cs::Program::Clusterscope),
                        { "--headless", "--port=0", "--workers=1", "--interval=100", "--json", "--" });
    QVERIFY(master.start());
    const std::uint16_t clusterPort = cs::test::jsonPort(master);
    QVERIFY2(clusterPort != 0, master.stderrText().c_str());
    QVERIFY(cs::test::onlineWorkerPids(master, 1).size() == 1);

    ChildProcess worker(programPath(cs::Program::Worker), { "--slot=7", "--port=0", "--mode=reuseport", "--" });
    QVERIFY(worker.start());
    const auto line = worker.waitForLine("listening on", 5s);
    QVERIFY2(line, worker.stderrText().c_str());
    const auto workerPort = static_cast<std::uint16_t>(std::atoi(line->c_str() + line->rfind(':') + 1));
    const auto hello = cs::test::httpGet(workerPort, "/");
    QCOMPARE(hello.status, 200);
    QCOMPARE(hello.headers.at("x-worker"), std::string("7"));

    for (const std::uint16_t port : { clusterPort, workerPort }) {
        const Run load = run(cs::Program::Load, { "--port=" + std::to_string(port), "--requests=20", "-c", "2",
                                                  "--json", "--" });
        QCOMPARE(load.exitCode, 0);
        QVERIFY2(load.out.find("\"completed\":20") != std::string::npos, load.out.c_str());
    }

    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestCommandLine::manPagesDescribeExactlyTheTable_data()
{
    QTest::addColumn<int>("program");
    QTest::newRow("clusterscope") << int(cs::Program::Clusterscope);
    QTest::newRow("clusterscope-load") << int(cs::Program::Load);
}

void TestCommandLine::manPagesDescribeExactlyTheTable()
{
    QFETCH(int, program);
    const std::string name(cs::programName(cs::Program(program)));
    const std::string page = readText(sourceFile("resources/" + name + ".1"));
    QVERIFY2(!page.empty(), ("no man page for " + name).c_str());
    const Flags described = manPageFlags(page);
    const Flags table = tableFlags(cs::Program(program));
    Flags missing;
    Flags extra;
    std::set_difference(table.begin(), table.end(), described.begin(), described.end(), std::inserter(missing, missing.end()));
    std::set_difference(described.begin(), described.end(), table.begin(), table.end(), std::inserter(extra, extra.end()));
    QVERIFY2(missing.empty(), (name + ".1 does not describe " + joined(missing)).c_str());
    QVERIFY2(extra.empty(), (name + ".1 describes options the program does not have: " + joined(extra)).c_str());
}

void TestCommandLine::completionOffersExactlyTheTable_data()
{
    QTest::addColumn<int>("program");
    QTest::newRow("clusterscope") << int(cs::Program::Clusterscope);
    QTest::newRow("clusterscope-load") << int(cs::Program::Load);
}

void TestCommandLine::completionOffersExactlyTheTable()
{
    QFETCH(int, program);
    const std::string name(cs::programName(cs::Program(program)));
    auto all = complete(name, { "-" });
    QVERIFY2(all.error.empty(), all.error.c_str());
    QCOMPARE(joined(all.offered), joined(tableFlags(cs::Program(program))));
    auto longOnes = complete(name, { "--" });
    QCOMPARE(joined(longOnes.offered), joined(tableFlags(cs::Program(program), true)));
    // Nothing but options: the programs take no operands.
    QVERIFY(complete(name, { "x" }).offered.empty());
}

void TestCommandLine::completionCompletesPo()
{
    QCOMPARE(joined(complete("clusterscope", { "--po" }).offered), std::string("--policy --port"));
    QCOMPARE(joined(complete("clusterscope", { "--headless", "--po" }).offered), std::string("--policy --port"));
    QCOMPARE(joined(complete("clusterscope-load", { "--po" }).offered), std::string("--port"));
}

void TestCommandLine::completionKnowsWhichOptionsTakeValues_data()
{
    QTest::addColumn<int>("program");
    QTest::addColumn<QByteArray>("flag");
    for (const cs::Program program : { cs::Program::Clusterscope, cs::Program::Load })
        for (const cs::Setting& row : cs::settingsOf(program))
            for (const std::string_view spelling : { row.flag, row.shortFlag })
                if (!spelling.empty() && row.type != cs::ValueType::Command)
                    QTest::newRow((std::string(cs::programName(program)) + " " + std::string(spelling)).c_str())
                        << int(program) << QByteArray(spelling.data(), qsizetype(spelling.size()));
}

void TestCommandLine::completionKnowsWhichOptionsTakeValues()
{
    QFETCH(int, program);
    QFETCH(QByteArray, flag);
    const std::string name(cs::programName(cs::Program(program)));
    const cs::Setting& row = *cs::findSetting(cs::Program(program), flag.toStdString());
    const Completion after = complete(name, { flag.toStdString(), "-" });
    QVERIFY2(after.error.empty(), after.error.c_str());
    if (row.type == cs::ValueType::None) {
        // A switch: the next word is an option again.
        QCOMPARE(joined(after.offered), joined(tableFlags(cs::Program(program))));
        return;
    }
    // A value comes next: no option is offered for it.
    QVERIFY2(after.offered.empty(), (flag.toStdString() + " - offered " + joined(after.offered)).c_str());
    if (row.type == cs::ValueType::Choice) {
        Flags choices;
        std::string_view rest = row.choices;
        for (auto bar = rest.find('|');; bar = rest.find('|')) {
            choices.insert(std::string(rest.substr(0, bar)));
            if (bar == std::string_view::npos)
                break;
            rest.remove_prefix(bar + 1);
        }
        QCOMPARE(joined(complete(name, { flag.toStdString(), "" }).offered), joined(choices));
        QCOMPARE(joined(complete(name, { flag.toStdString(), "=", "" }).offered), joined(choices)); // --policy=
    }
}

void TestCommandLine::completionLeavesTheExecLineAlone()
{
    // After --exec PROGRAM the words are the program's own: none of ours is offered.
    QVERIFY(complete("clusterscope", { "--exec", "node", "--po" }).offered.empty());
    const Completion command = complete("clusterscope", { "--exec", "bas" });
    QVERIFY2(command.offered.count("bash"), joined(command.offered).c_str());
    QVERIFY(complete("clusterscope", { "--", "--po" }).offered.empty());
}

QTEST_APPLESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
