// Cluster definitions in TOML and JSON: what they set, what they refuse (with file, line, key).
#include "cli/configfile.h"
#include "affinity/cpulist.h"

#include <random>

#include <sys/stat.h>

#include <QtTest>

class TestConfigFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsEveryKey_data();
    void readsEveryKey();
    void acceptsWhatTheFormatsAllow_data();
    void acceptsWhatTheFormatsAllow();
    void roundTrips_data();
    void roundTrips();
    void roundTripsGeneratedDefinitions_data();
    void roundTripsGeneratedDefinitions();
    void refusesWithFileLineAndKey_data();
    void refusesWithFileLineAndKey();
    void keepsTheBaseForKeysNotInTheFile();
    void savesOnlyWhatItCanReadBack_data();
    void savesOnlyWhatItCanReadBack();
    void refusesAPathThatIsNotAFile_data();
    void refusesAPathThatIsNotAFile();
    void backoffMaxLowersTheFirstDelayAsTheFlagDoes();
};

namespace {

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : "|") + item;
    return out;
}

/// One setting of a config as text, by its key in the file: what a conformance row expects.
std::string settingText(const cs::ClusterConfig& c, const std::string& key)
{
    if (key == "program")
        return joined(c.execCommand);
    if (key == "cwd")
        return c.workingDirectory;
    if (key == "env")
        return joined(c.environment);
    if (key == "workers")
        return std::to_string(c.workers);
    if (key == "port")
        return std::to_string(c.port);
    if (key == "bind")
        return c.bindAddress;
    if (key == "grace_ms")
        return std::to_string(c.gracefulTimeoutMs);
    if (key == "restart.limit")
        return std::to_string(c.restart.maxCrashes);
    if (key == "restart.window_ms")
        return std::to_string(c.restart.crashWindowMs);
    if (key == "pin")
        return c.pin ? "true" : "false";
    if (key == "cpus")
        return cs::formatCpuList(c.cpus);
    return "no such key in the test: " + key;
}

} // namespace

void TestConfigFile::readsEveryKey_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("toml") << QByteArray("cluster.toml") << QByteArray(R"(# my cluster
program = "node"
args = ["server.js", "--flag=a b"]
cwd = "/srv/app"
env = { NODE_ENV = "production", "QUOTED" = "x\"y" }
workers = 3
policy = "reuseport"
port = 9000
bind = "0.0.0.0"   # everywhere
chaos = true
pin = true
cpus = "1,0"
grace_ms = 2500
heartbeat_ms = 900
memory_limit_mb = 128

[restart]
limit = 7
window_ms = 60000
backoff_initial_ms = 50
backoff_max_ms = 4000
stable_after_ms = 20000
)");
    QTest::newRow("json") << QByteArray("cluster.json") << QByteArray(R"({
  "program": "node", "args": ["server.js", "--flag=a b"], "cwd": "/srv/app",
  "env": {"NODE_ENV": "production", "QUOTED": "x\"y"},
  "workers": 3, "policy": "reuseport", "port": 9000, "bind": "0.0.0.0", "chaos": true,
  "pin": true, "cpus": "1,0",
  "grace_ms": 2500, "heartbeat_ms": 900, "memory_limit_mb": 128,
  "restart": {"limit": 7, "window_ms": 60000, "backoff_initial_ms": 50, "backoff_max_ms": 4000,
              "stable_after_ms": 20000}
})");
}

void TestConfigFile::readsEveryKey()
{
    QFETCH(QByteArray, fileName);
    QFETCH(QByteArray, text);
    const auto parsed = cs::parseConfig(text.toStdString(), fileName.toStdString());
    if (const auto* error = std::get_if<cs::ConfigError>(&parsed))
        QFAIL(error->message.c_str());
    const auto& c = std::get<cs::ClusterConfig>(parsed);
    QCOMPARE(c.execCommand, (std::vector<std::string> { "node", "server.js", "--flag=a b" }));
    QCOMPARE(c.workingDirectory, std::string("/srv/app"));
    QCOMPARE(c.environment, (std::vector<std::string> { "NODE_ENV=production", "QUOTED=x\"y" }));
    QCOMPARE(c.workers, 3);
    QCOMPARE(c.policy, cs::Policy::ReusePort);
    QCOMPARE(c.port, std::uint16_t(9000));
    QCOMPARE(c.bindAddress, std::string("0.0.0.0"));
    QVERIFY(c.chaos);
    QVERIFY(c.pin);
    QCOMPARE(c.cpus, (std::vector<int> { 1, 0 }));
    QCOMPARE(c.gracefulTimeoutMs, 2500);
    QCOMPARE(c.heartbeatTimeoutMs, 900);
    QCOMPARE(c.memoryLimitBytes, std::uint64_t(128) << 20);
    QCOMPARE(c.restart.maxCrashes, 7);
    QCOMPARE(c.restart.crashWindowMs, 60000);
    QCOMPARE(c.restart.backoffInitialMs, 50);
    QCOMPARE(c.restart.backoffMaxMs, 4000);
    QCOMPARE(c.restart.stableAfterMs, 20000);
}

// Conformance, the valid side: inputs other tools write, each loading to the expected setting.
void TestConfigFile::acceptsWhatTheFormatsAllow_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("expected");
    const auto toml = [](const char* name, const char* text, const char* key, const char* expected) {
        QTest::newRow(name) << QByteArray("c.toml") << QByteArray(text) << QByteArray(key) << QByteArray(expected);
    };
    const auto json = [](const char* name, const char* text, const char* key, const char* expected) {
        QTest::newRow(name) << QByteArray("c.json") << QByteArray(text) << QByteArray(key) << QByteArray(expected);
    };
    // The cases of issue 14 that the hand-written reader refused.
    toml("toml 'single quoted'", R"(bind = '0.0.0.0')", "bind", "0.0.0.0");
    toml("toml literal keeps backslashes", R"(cwd = 'C:\srv\app')", "cwd", R"(C:\srv\app)");
    toml("toml 30_000", "grace_ms = 30_000\n", "grace_ms", "30000");
    toml("toml dotted key", "restart.limit = 5\n", "restart.limit", "5");
    toml("toml two dotted keys", "restart.limit = 5\nrestart.window_ms = 900\n", "restart.window_ms", "900");
    toml("toml \\u00e9", R"(cwd = "/srv/caf\u00e9")", "cwd", "/srv/caf\xc3\xa9");
    toml("toml \\U0001F600", R"(cwd = "/srv/\U0001F600")", "cwd", "/srv/\xf0\x9f\x98\x80");
    toml("toml raw UTF-8", "cwd = \"/srv/caf\xc3\xa9\"\n", "cwd", "/srv/caf\xc3\xa9");
    toml("toml \"\"\"multi-line\"\"\"", "program = \"\"\"\nnode\"\"\"\nargs = [\"\"\"a\nb\"\"\"]\n", "program",
         "node|a\nb");
    toml("toml '''multi-line literal'''", "program = 'x'\nargs = ['''a\\n\nb''']\n", "program", "x|a\\n\nb");
    // More of TOML 1.0 that other tools write.
    toml("toml hex integer", "port = 0x1F40\n", "port", "8000");
    toml("toml +3", "workers = +3\n", "workers", "3");
    toml("toml 4.0 is 4", "workers = 4.0\n", "workers", "4");
    toml("toml quoted key", "\"workers\" = 2\n", "workers", "2");
    toml("toml CRLF lines", "workers = 2\r\nport = 9000\r\n", "port", "9000");
    toml("toml comment after a value", "port = 9000 # the usual\n", "port", "9000");
    toml("toml env keeps the file's order", R"(env = { ZED = "1", ALPHA = "2", "MID DLE" = "3" })", "env",
         "ZED=1|ALPHA=2|MID DLE=3");
    toml("toml [env] as a table", "[env]\nB = \"x\"\nA = \"y\"\n", "env", "B=x|A=y");
    toml("toml args before program", "args = [\"s.js\"]\nprogram = \"node\"\n", "program", "node|s.js");
    toml("toml [restart] at the end", "port = 1\n[restart]\nlimit = 3\n", "restart.limit", "3");
    toml("toml empty file keeps defaults", "", "workers", "0");
    toml("toml cpus as a list", "cpus = [2, 0, 2]\n", "cpus", "2,0");
    toml("toml cpus empty is all", "cpus = \"\"\n", "cpus", "");
    toml("toml cpus range", "cpus = \"0-3\"\n", "cpus", "0-3");
    json("json cpus as a list", R"({"cpus": [0, 1]})", "cpus", "0-1");
    json("json pin", R"({"pin": true})", "pin", "true");
    json("json 4.0 is 4", R"({"workers": 4.0})", "workers", "4");
    json("json 4e0 is 4", R"({"workers": 4e0})", "workers", "4");
    json("json 400e-2 is 4", R"({"workers": 400e-2})", "workers", "4");
    json("json -0 is 0", R"({"port": -0})", "port", "0");
    json("json \\u00e9", R"({"cwd": "/srv/caf\u00e9"})", "cwd", "/srv/caf\xc3\xa9");
    json("json surrogate pair", R"({"cwd": "/\ud83d\ude00"})", "cwd", "/\xf0\x9f\x98\x80");
    json("json escapes", R"({"cwd": "\/a\tb\"c\\d\u0001\n"})", "cwd", "/a\tb\"c\\d\x01\n");
    json("json raw UTF-8", "{\"cwd\": \"caf\xc3\xa9\"}", "cwd", "caf\xc3\xa9");
    json("json env keeps the file's order", R"({"env": {"ZED": "1", "ALPHA": "2"}})", "env", "ZED=1|ALPHA=2");
    json("json white space everywhere", "\r\n\t{ \"port\"\t:\r\n 9000 } \n", "port", "9000");
    json("json empty object keeps defaults", "{}", "workers", "0");
}

void TestConfigFile::acceptsWhatTheFormatsAllow()
{
    QFETCH(QByteArray, fileName);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, expected);
    const auto parsed = cs::parseConfig(text.toStdString(), fileName.toStdString());
    if (const auto* error = std::get_if<cs::ConfigError>(&parsed))
        QFAIL(error->message.c_str());
    QCOMPARE(QByteArray::fromStdString(settingText(std::get<cs::ClusterConfig>(parsed), key.toStdString())), expected);
}

void TestConfigFile::roundTrips_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::newRow("toml") << QByteArray("a.toml");
    QTest::newRow("json") << QByteArray("a.json");
}

void TestConfigFile::roundTrips()
{
    QFETCH(QByteArray, fileName);
    cs::ClusterConfig config;
    config.execCommand = { "python3", "app.py", "with \"quotes\" and \\" };
    config.environment = { "A=1", "B=two words" };
    config.workers = 5;
    config.policy = cs::Policy::Shared;
    config.port = 0;
    config.restart.maxCrashes = 9;
    config.memoryLimitBytes = std::uint64_t(64) << 20;
    config.pin = true;
    config.cpus = { 3, 0, 1 };
    const auto text = cs::formatConfig(config, fileName.toStdString());
    const auto parsed = cs::parseConfig(text, fileName.toStdString());
    if (const auto* error = std::get_if<cs::ConfigError>(&parsed))
        QFAIL((error->message + "\n" + text).c_str());
    const auto& back = std::get<cs::ClusterConfig>(parsed);
    QCOMPARE(back.execCommand, config.execCommand);
    QCOMPARE(back.environment, config.environment);
    QCOMPARE(back.workers, 5);
    QCOMPARE(back.policy, cs::Policy::Shared);
    QCOMPARE(back.port, std::uint16_t(0));
    QCOMPARE(back.restart.maxCrashes, 9);
    QCOMPARE(back.memoryLimitBytes, config.memoryLimitBytes);
    QVERIFY(back.pin);
    QCOMPARE(back.cpus, config.cpus);
    // The built-in worker saves as an empty program and reads back as the built-in worker.
    const auto builtIn = cs::parseConfig(cs::formatConfig(cs::ClusterConfig {}, fileName.toStdString()),
                                         fileName.toStdString());
    QVERIFY(std::get<cs::ClusterConfig>(builtIn).execCommand.empty());
}

void TestConfigFile::roundTripsGeneratedDefinitions_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::newRow("toml") << QByteArray("generated.toml");
    QTest::newRow("json") << QByteArray("generated.json");
}

// formatConfig -> parseConfig gives back the same config, for definitions made of the awkward
// characters: control characters, quotes of both formats, backslashes, newlines, non-ASCII.
void TestConfigFile::roundTripsGeneratedDefinitions()
{
    QFETCH(QByteArray, fileName);
    const std::string file = fileName.toStdString();
    // Pieces, not single bytes, so multi-byte UTF-8 stays whole; every control character but NUL
    // (no program argument or variable can hold one).
    std::vector<std::string> pieces { "a", "Z", "0", " ", "-", "=", "#", "[", "]", "{", "}", ",", ":", ".", "$",
                                      "\"", "'", "\\", "\\n", "\\u00e9", "\"\"\"", "'''", "\x7f", "\xc3\xa9",
                                      "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8" };
    for (char c = 1; c < 0x20; ++c)
        pieces.emplace_back(1, c);
    std::mt19937 random(20261201);
    const auto text = [&](std::size_t minimum) {
        std::string out;
        const auto length = minimum + random() % 12;
        for (std::size_t i = 0; i < length; ++i)
            out += pieces[random() % pieces.size()];
        return out;
    };
    for (int round = 0; round < 300; ++round) {
        cs::ClusterConfig config;
        config.execCommand = { text(1) };
        for (auto n = random() % 5; n > 0; --n)
            config.execCommand.push_back(text(0));
        config.workingDirectory = text(0);
        for (auto n = random() % 4; n > 0; --n) {
            std::string name;
            do
                name = text(1);
            while (name.find('=') != std::string::npos);
            config.environment.push_back(name + std::to_string(n) + "=" + text(0)); // the suffix keeps names apart
        }
        config.bindAddress = text(0);
        config.workers = static_cast<int>(random() % 257);
        config.port = static_cast<std::uint16_t>(random() % 65536);
        config.policy = static_cast<cs::Policy>(random() % 4);
        config.chaos = random() % 2;
        config.gracefulTimeoutMs = static_cast<int>(random() % 3600001);
        config.heartbeatTimeoutMs = 200 + static_cast<int>(random() % 100000);
        config.memoryLimitBytes = std::uint64_t(random() % 4096) << 20;
        config.restart.maxCrashes = 1 + static_cast<int>(random() % 100000);
        config.restart.crashWindowMs = 1 + static_cast<int>(random() % 86400000);
        config.restart.backoffInitialMs = static_cast<int>(random() % 3600001);
        config.restart.backoffMaxMs = static_cast<int>(random() % 3600001);
        config.restart.stableAfterMs = static_cast<int>(random() % 86400001);

        const auto written = cs::formatConfig(config, file);
        const auto parsed = cs::parseConfig(written, file);
        const auto context = "round " + std::to_string(round) + ":\n" + written;
        if (const auto* error = std::get_if<cs::ConfigError>(&parsed))
            QFAIL((error->message + "\n" + context).c_str());
        const auto& back = std::get<cs::ClusterConfig>(parsed);
        QVERIFY2(back.execCommand == config.execCommand, context.c_str());
        QVERIFY2(back.workingDirectory == config.workingDirectory, context.c_str());
        QVERIFY2(back.environment == config.environment, context.c_str());
        QVERIFY2(back.bindAddress == config.bindAddress, context.c_str());
        QVERIFY2(back.workers == config.workers && back.port == config.port && back.policy == config.policy
                     && back.chaos == config.chaos && back.gracefulTimeoutMs == config.gracefulTimeoutMs
                     && back.heartbeatTimeoutMs == config.heartbeatTimeoutMs
                     && back.memoryLimitBytes == config.memoryLimitBytes,
                 context.c_str());
        QVERIFY2(back.restart.maxCrashes == config.restart.maxCrashes
                     && back.restart.crashWindowMs == config.restart.crashWindowMs
                     && back.restart.backoffInitialMs == config.restart.backoffInitialMs
                     && back.restart.backoffMaxMs == config.restart.backoffMaxMs
                     && back.restart.stableAfterMs == config.restart.stableAfterMs,
                 context.c_str());
    }
}

void TestConfigFile::refusesWithFileLineAndKey_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("toml unknown key") << QByteArray("c.toml") << QByteArray("workers = 2\nwrokers = 3\n")
                                      << QByteArray("c.toml:2: unknown key 'wrokers'");
    QTest::newRow("toml unknown restart key") << QByteArray("c.toml") << QByteArray("[restart]\nlimit = 2\nmax = 3\n")
                                              << QByteArray("c.toml:3: unknown key 'restart.max'");
    QTest::newRow("toml bad workers") << QByteArray("c.toml") << QByteArray("\n\nworkers = 999\n")
                                      << QByteArray("c.toml:3: 'workers' must be from 0 to 256, not 999.");
    QTest::newRow("toml workers as string") << QByteArray("c.toml") << QByteArray("workers = \"4\"\n")
                                            << QByteArray("c.toml:1: 'workers' must be a number, not a string.");
    QTest::newRow("toml bad policy") << QByteArray("c.toml") << QByteArray("policy = \"random\"\n")
                                     << QByteArray("c.toml:1: 'policy' must be round-robin, least-connections, shared or reuseport");
    QTest::newRow("toml unquoted string") << QByteArray("c.toml") << QByteArray("bind = localhost\n")
                                          << QByteArray("c.toml:1: not valid TOML: could not determine value type; strings need quotes.");
    QTest::newRow("toml open string") << QByteArray("c.toml") << QByteArray("port = 1\nbind = \"127.0.0.1\n")
                                      << QByteArray("c.toml:2: not valid TOML: ");
    QTest::newRow("toml args without program") << QByteArray("c.toml") << QByteArray("args = [\"x\"]\n")
                                               << QByteArray("c.toml:1: 'args' is given without a 'program'");
    QTest::newRow("json unknown key") << QByteArray("c.json") << QByteArray("{\n  \"port\": 1,\n  \"ports\": 2\n}")
                                      << QByteArray("c.json:3: unknown key 'ports'");
    QTest::newRow("json bad port") << QByteArray("c.json") << QByteArray("{\"port\": 70000}")
                                   << QByteArray("c.json:1: 'port' must be from 0 to 65535, not 70000.");
    QTest::newRow("json missing comma") << QByteArray("c.json") << QByteArray("{\n\"port\": 1\n\"bind\": \"x\"}")
                                        << QByteArray("c.json:3: not valid JSON: syntax error at '\"'; is a comma or a colon missing before it?");
    QTest::newRow("json not an object") << QByteArray("c.json") << QByteArray("[1, 2]")
                                        << QByteArray("c.json:1: the file must hold one JSON object ({ ... }), not a list.");
    QTest::newRow("json env not strings") << QByteArray("c.json") << QByteArray("{\"env\": {\"A\": 1}}")
                                          << QByteArray("c.json:1: the environment variable 'A' must be a string.");
    QTest::newRow("json truncated") << QByteArray("c.json") << QByteArray("{\"port\": 1,")
                                    << QByteArray("c.json:1: not valid JSON: the file ends before the JSON object is complete; complete it.");

    // Conformance, the invalid side: what TOML and JSON forbid, refused on the right line.
    const auto row = [](const char* name, const char* file, const char* text, const char* expected) {
        QTest::newRow(name) << QByteArray(file) << QByteArray(text) << QByteArray(expected);
    };
    // The cases of issue 14 that the hand-written reader accepted.
    row("toml key given twice", "c.toml", "workers = 2\nport = 1\nworkers = 3\n",
        "c.toml:3: not valid TOML: cannot redefine existing integer 'workers'; give each key and each table once.");
    row("toml table given twice", "c.toml", "[restart]\nlimit = 1\n\n[restart]\nwindow_ms = 2\n",
        "c.toml:4: not valid TOML: cannot redefine existing table 'restart'; give each key and each table once.");
    row("toml dotted keys, then the table", "c.toml", "restart.limit = 1\n[restart]\n",
        "c.toml:2: not valid TOML: cannot redefine existing table 'restart'");
    row("toml inline table given twice", "c.toml", "env = { A = \"1\" }\nenv = { B = \"2\" }\n", "c.toml:2: not valid TOML: ");
    row("toml key twice in an inline table", "c.toml", "env = { A = \"1\", A = \"2\" }\n", "c.toml:1: not valid TOML: ");
    row("toml quoted and bare key the same", "c.toml", "port = 1\n\"port\" = 2\n", "c.toml:2: not valid TOML: ");
    // Numbers: whole numbers only, and TOML's own number rules.
    row("toml 4.5 workers", "c.toml", "\nworkers = 4.5\n", "c.toml:2: 'workers' must be a whole number, not 4.5.");
    row("toml inf workers", "c.toml", "workers = inf\n", "c.toml:1: 'workers' must be a whole number, not inf.");
    row("toml 4.0 out of range", "c.toml", "workers = 400.0\n", "c.toml:1: 'workers' must be from 0 to 256, not 400.");
    row("toml leading zero", "c.toml", "port = 08000\n", "c.toml:1: not valid TOML: ");
    row("toml double underscore", "c.toml", "port = 8__000\n", "c.toml:1: not valid TOML: ");
    row("toml integer beyond 64 bits", "c.toml", "port = 99999999999999999999\n", "c.toml:1: not valid TOML: ");
    row("toml a date for a number", "c.toml", "port = 1979-05-27\n", "c.toml:1: 'port' must be a number, not a date or time.");
    row("toml bad escape", "c.toml", "bind = \"a\\qb\"\n", "c.toml:1: not valid TOML: ");
    row("toml raw control character", "c.toml", "port = 1\nbind = \"a\x01b\"\n", "c.toml:2: not valid TOML: ");
    row("toml not UTF-8", "c.toml", "port = 1\n\ncwd = \"caf\xe9\"\n", "c.toml:3: not valid TOML: ");
    row("toml a list for a string", "c.toml", "bind = [\"a\"]\n", "c.toml:1: 'bind' must be a string, not a list.");
    row("toml a list item not a string", "c.toml", "program = \"x\"\nargs = [\n  \"a\",\n  2,\n]\n",
        "c.toml:4: 'args' must be a list of strings.");
    row("toml unknown dotted key", "c.toml", "port = 1\nrestart.limt = 2\n", "c.toml:2: unknown key 'restart.limt'");
    row("json 04", "c.json", "{\n  \"workers\": 04\n}",
        "c.json:2: not valid JSON: syntax error at '4'; a JSON number does not start with 0.");
    row("json raw tab in a string", "c.json", "{\n\"bind\": \"a\tb\"}",
        "c.json:2: not valid JSON: syntax error at a tab; write it inside a string as \\t, \\n or \\r.");
    row("json raw line break in a string", "c.json", "{\"port\": 1,\n\"bind\": \"a\nb\"}",
        "c.json:2: not valid JSON: syntax error at a line break; write it inside a string as \\t, \\n or \\r.");
    row("json raw control character", "c.json", "{\"bind\": \"a\x01\"}",
        "c.json:1: not valid JSON: syntax error at the control character U+0001; write control characters in strings as "
        "escapes such as \\u0001.");
    row("json 4.5 workers", "c.json", "{\n\"workers\": 4.5}", "c.json:2: 'workers' must be a whole number, not 4.5.");
    row("json 1e999 workers", "c.json", "{\"workers\": 1e999}", "c.json:1: 'workers' must be a whole number, not inf.");
    row("json beyond 64 bits", "c.json", "{\"port\": 18446744073709551616}",
        "c.json:1: 'port' must be from 0 to 65535, not 18446744073709551616.");
    row("json key given twice", "c.json", "{\n  \"port\": 1,\n  \"bind\": \"x\",\n  \"port\": 2\n}",
        "c.json:4: 'port' is given twice (first on line 2); keep one.");
    row("json key twice in restart", "c.json", "{\"restart\": {\"limit\": 1,\n \"limit\": 2}}",
        "c.json:2: 'limit' is given twice (first on line 1); keep one.");
    row("json trailing comma", "c.json", "{\"port\": 1,\n}", "c.json:2: not valid JSON: syntax error at '}'");
    row("json comment", "c.json", "{\n// a note\n\"port\": 1}", "c.json:2: not valid JSON: syntax error at '/'");
    row("json single quotes", "c.json", "{'port': 1}", "c.json:1: not valid JSON: syntax error at '''");
    row("json null", "c.json", "{\"port\": null}", "c.json:1: 'port' must be a number, not null.");
    row("json lone surrogate", "c.json", "{\"cwd\": \"\\ud800\"}", "c.json:1: not valid JSON: ");
    row("json not UTF-8", "c.json", "{\n\"cwd\": \"caf\xe9\"}", "c.json:2: not valid JSON: ");
    row("json text after the object", "c.json", "{\"port\": 1}\n{}", "c.json:2: not valid JSON: ");
    // A number's event fires on the byte after it: its line must still be its own.
    row("json number item at a line's end", "c.json", "{\"program\": \"x\", \"args\": [\n\"a\",\n5\n]}",
        "c.json:3: 'args' must be a list of strings.");
    row("json string item", "c.json", "{\"env\": {\n\"A\": \"1\",\n\"B\": true\n}}",
        "c.json:3: the environment variable 'B' must be a string.");
    row("toml cpus not a list", "c.toml", "port = 1\ncpus = \"0,,1\"\n",
        "c.toml:2: 'cpus' is not a list of CPU numbers and ranges: '0,,1'; use a list such as \"0,2-3\" or [0, 2, 3] (\"\" for all).");
    row("toml cpus negative", "c.toml", "cpus = [0, -1]\n", "c.toml:1: 'cpus' must hold CPU numbers from 0 to 1023;");
    row("toml cpus a number", "c.toml", "cpus = 3\n", "c.toml:1: 'cpus' must be a string or a list, not a number;");
    row("toml pin a string", "c.toml", "pin = \"yes\"\n", "c.toml:1: 'pin' must be true or false, not a string.");
    row("json cpus strings", "c.json", "{\"cpus\": [\"0\"]}", "c.json:1: 'cpus' must hold CPU numbers");
    row("json empty file", "c.json", "", "c.json:1: not valid JSON: the file ends before the JSON object is complete");
}

void TestConfigFile::refusesWithFileLineAndKey()
{
    QFETCH(QByteArray, fileName);
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);
    const auto parsed = cs::parseConfig(text.toStdString(), fileName.toStdString());
    QVERIFY(std::holds_alternative<cs::ConfigError>(parsed));
    const auto& message = std::get<cs::ConfigError>(parsed).message;
    QVERIFY2(message.rfind(expected.toStdString(), 0) == 0, message.c_str());
}

void TestConfigFile::keepsTheBaseForKeysNotInTheFile()
{
    cs::ClusterConfig base;
    base.workers = 6;
    base.chaos = true;
    const auto parsed = cs::parseConfig("port = 1234\n", "x.toml", base);
    const auto& config = std::get<cs::ClusterConfig>(parsed);
    QCOMPARE(config.port, std::uint16_t(1234));
    QCOMPARE(config.workers, 6);
    QVERIFY(config.chaos);
}

void TestConfigFile::savesOnlyWhatItCanReadBack_data()
{
    QTest::addColumn<QByteArray>("fileName");
    QTest::newRow("toml") << QByteArray("saved.toml");
    QTest::newRow("json") << QByteArray("saved.json");
}

// A byte that is not UTF-8 (an argument from a command line in Latin-1, say) cannot be in a TOML or
// JSON file: the save says which text, and writes nothing the reader would refuse.
void TestConfigFile::savesOnlyWhatItCanReadBack()
{
    QFETCH(QByteArray, fileName);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto path = dir.filePath(QString::fromLatin1(fileName)).toStdString();
    cs::ClusterConfig config;
    config.execCommand = { "python3", "caf\xc3\xa9.py", "caf\xe9.py" };
    QCOMPARE(cs::saveConfigFile(config, path),
             "The config file '" + path
                 + "' was not written: argument 2 is not UTF-8 text, which TOML and JSON files must be; change it and "
                   "save again.");
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
    config.execCommand.pop_back();
    config.environment = { "LANG=caf\xe9" };
    QVERIFY(cs::saveConfigFile(config, path).find("the value of the environment variable 'LANG'") != std::string::npos);
    config.environment = { "LANG=caf\xc3\xa9" };
    QCOMPARE(cs::saveConfigFile(config, path), std::string());
    const auto loaded = cs::loadConfigFile(path);
    if (const auto* error = std::get_if<cs::ConfigError>(&loaded))
        QFAIL(error->message.c_str());
    QCOMPARE(std::get<cs::ClusterConfig>(loaded).execCommand, config.execCommand);
    QCOMPARE(std::get<cs::ClusterConfig>(loaded).environment, config.environment);
}

void TestConfigFile::refusesAPathThatIsNotAFile_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray directory("is a directory; give the path of a TOML or JSON file.");
    const QByteArray special("is not a regular file; give the path of a TOML or JSON file.");
    // A directory used to read as an empty file: the defaults for TOML, "x.json:1: expected a
    // value" for JSON.
    QTest::newRow("directory") << QByteArray("directory") << directory;
    QTest::newRow("directory named .json") << QByteArray("directory.json") << directory;
    QTest::newRow("missing") << QByteArray("missing") << QByteArray("does not exist; check the path.");
    QTest::newRow("missing folder") << QByteArray("missing/c.toml") << QByteArray("does not exist; check the path.");
    // A FIFO would block the reader until someone writes to it.
    QTest::newRow("fifo") << QByteArray("fifo") << special;
    QTest::newRow("device") << QByteArray("/dev/null") << special;
}

void TestConfigFile::refusesAPathThatIsNotAFile()
{
    QFETCH(QByteArray, kind);
    QFETCH(QByteArray, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path
        = kind.startsWith('/') ? kind.toStdString() : dir.filePath(QString::fromLatin1(kind)).toStdString();
    if (kind.startsWith("directory"))
        QVERIFY(QDir().mkdir(QString::fromStdString(path)));
    else if (kind == "fifo")
        QCOMPARE(::mkfifo(path.c_str(), 0600), 0);
    const auto loaded = cs::loadConfigFile(path);
    QVERIFY(std::holds_alternative<cs::ConfigError>(loaded));
    const auto& message = std::get<cs::ConfigError>(loaded).message;
    QCOMPARE(QString::fromStdString(message),
             QString::fromStdString("The config file '" + path + "' " + expected.toStdString()));
}

QTEST_APPLESS_MAIN(TestConfigFile)
#include "tst_configfile.moc"

// restart.backoff_max_ms under the first delay's default: as with --backoff-max 50, the first
// delay comes down to it and the cluster is valid; a file that names the first delay too
// keeps it, whatever the order, and validate() judges the pair.
void TestConfigFile::backoffMaxLowersTheFirstDelayAsTheFlagDoes()
{
    for (const std::string& name : { std::string("a.toml"), std::string("a.json") }) {
        const bool json = name.ends_with(".json");
        const auto parsed = cs::parseConfig(json ? "{\"restart\": {\"backoff_max_ms\": 50}}" : "[restart]\nbackoff_max_ms = 50\n", name);
        QVERIFY(std::holds_alternative<cs::ClusterConfig>(parsed));
        const auto& config = std::get<cs::ClusterConfig>(parsed);
        QCOMPARE(config.restart.backoffMaxMs, 50);
        QCOMPARE(config.restart.backoffInitialMs, 50);
        // validate() looks for the worker program before the limits: any executable will do.
        auto complete = [](cs::ClusterConfig c) {
            c = cs::withDefaults(c);
            c.workerProgram = "/bin/true";
            return c;
        };
        const auto problem = cs::validate(complete(config));
        QVERIFY2(!problem, problem ? problem->message.c_str() : "");
        const auto both = cs::parseConfig(json ? "{\"restart\": {\"backoff_initial_ms\": 200, \"backoff_max_ms\": 50}}"
                                               : "[restart]\nbackoff_initial_ms = 200\nbackoff_max_ms = 50\n",
                                          name);
        QVERIFY(std::holds_alternative<cs::ClusterConfig>(both));
        QCOMPARE(std::get<cs::ClusterConfig>(both).restart.backoffInitialMs, 200);
        const auto pair = cs::validate(complete(std::get<cs::ClusterConfig>(both)));
        QVERIFY(pair && pair->field == cs::ConfigField::Limits);
    }
}
