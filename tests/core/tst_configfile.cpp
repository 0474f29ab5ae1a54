// Cluster definitions in TOML and JSON: what they set, what they refuse (with file, line, key).
#include "cli/configfile.h"

#include <sys/stat.h>

#include <QtTest>

class TestConfigFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsEveryKey_data();
    void readsEveryKey();
    void roundTrips_data();
    void roundTrips();
    void refusesWithFileLineAndKey_data();
    void refusesWithFileLineAndKey();
    void keepsTheBaseForKeysNotInTheFile();
    void refusesAPathThatIsNotAFile_data();
    void refusesAPathThatIsNotAFile();
};

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
    QCOMPARE(c.gracefulTimeoutMs, 2500);
    QCOMPARE(c.heartbeatTimeoutMs, 900);
    QCOMPARE(c.memoryLimitBytes, std::uint64_t(128) << 20);
    QCOMPARE(c.restart.maxCrashes, 7);
    QCOMPARE(c.restart.crashWindowMs, 60000);
    QCOMPARE(c.restart.backoffInitialMs, 50);
    QCOMPARE(c.restart.backoffMaxMs, 4000);
    QCOMPARE(c.restart.stableAfterMs, 20000);
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
    // The built-in worker saves as an empty program and reads back as the built-in worker.
    const auto builtIn = cs::parseConfig(cs::formatConfig(cs::ClusterConfig {}, fileName.toStdString()),
                                         fileName.toStdString());
    QVERIFY(std::get<cs::ClusterConfig>(builtIn).execCommand.empty());
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
                                          << QByteArray("c.toml:1: 'localhost' is not a value (strings need quotes)");
    QTest::newRow("toml open string") << QByteArray("c.toml") << QByteArray("port = 1\nbind = \"127.0.0.1\n")
                                      << QByteArray("c.toml:2: a string is not closed");
    QTest::newRow("toml args without program") << QByteArray("c.toml") << QByteArray("args = [\"x\"]\n")
                                               << QByteArray("c.toml:1: 'args' is given without a 'program'");
    QTest::newRow("json unknown key") << QByteArray("c.json") << QByteArray("{\n  \"port\": 1,\n  \"ports\": 2\n}")
                                      << QByteArray("c.json:3: unknown key 'ports'");
    QTest::newRow("json bad port") << QByteArray("c.json") << QByteArray("{\"port\": 70000}")
                                   << QByteArray("c.json:1: 'port' must be from 0 to 65535, not 70000.");
    QTest::newRow("json missing comma") << QByteArray("c.json") << QByteArray("{\n\"port\": 1\n\"bind\": \"x\"}")
                                        << QByteArray("c.json:3: expected '}'");
    QTest::newRow("json not an object") << QByteArray("c.json") << QByteArray("[1, 2]")
                                        << QByteArray("c.json:1: the file must hold one JSON object");
    QTest::newRow("json env not strings") << QByteArray("c.json") << QByteArray("{\"env\": {\"A\": 1}}")
                                          << QByteArray("c.json:1: the environment variable 'A' must be a string.");
    QTest::newRow("json truncated") << QByteArray("c.json") << QByteArray("{\"port\": 1,")
                                    << QByteArray("c.json:1: expected '\"' before the end of the file");
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
