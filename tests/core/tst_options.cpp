// The clusterscope command line: every flag of DESIGN.md, and one clear sentence for bad values.
#include "cli/options.h"
#include "affinity/cpulist.h"
#include "cli/report.h"

#include <QtTest>

namespace {
std::variant<cs::CliOptions, cs::CliError> parse(const QByteArray& line)
{
    std::vector<std::string> words { "clusterscope" };
    for (const auto& word : line.split(' '))
        if (!word.isEmpty())
            words.push_back(word.toStdString());
    std::vector<const char*> argv;
    for (const auto& w : words)
        argv.push_back(w.c_str());
    return cs::parseCommandLine(static_cast<int>(argv.size()), argv.data());
}
} // namespace

class TestOptions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void everyFlag();
    void execTakesTheRestOfTheLineAsGiven();
    void badValues_data();
    void badValues();
    void jsonIsOneLineWithEveryWorker();
    void problemsNameTheirFlag();
    void fairnessBeforeAnyRequestIsNoNumber();
    void tableHeaderWordsCountsAndAddresses();
};

void TestOptions::defaults()
{
    const auto options = std::get<cs::CliOptions>(parse(""));
    QCOMPARE(options.mode, cs::CliOptions::Mode::Window);
    QCOMPARE(options.config.port, std::uint16_t(8000));
    QCOMPARE(options.config.bindAddress, std::string("127.0.0.1"));
    QCOMPARE(options.config.policy, cs::Policy::RoundRobin);
    QCOMPARE(options.config.workers, 0); // one per core, resolved by withDefaults
    QVERIFY(!options.config.chaos);
    QCOMPARE(options.intervalMs, 1000);
    QVERIFY(cs::withDefaults(options.config).workers >= 1);
}

void TestOptions::everyFlag()
{
    const auto options = std::get<cs::CliOptions>(
        parse("--headless --port 0 --bind ::1 --workers 3 --policy reuseport --chaos --json --interval 250 "
              "--grace-ms 1500 --heartbeat-ms 900 --restart-limit 7 --restart-window 5000 --backoff-max 50 "
              "--memory-limit 64 --worker-program /bin/true"));
    QCOMPARE(options.mode, cs::CliOptions::Mode::Headless);
    QCOMPARE(options.config.port, std::uint16_t(0));
    QCOMPARE(options.config.bindAddress, std::string("::1"));
    QCOMPARE(options.config.workers, 3);
    QCOMPARE(options.config.policy, cs::Policy::ReusePort);
    QVERIFY(options.config.chaos && options.json);
    QCOMPARE(options.intervalMs, 250);
    QCOMPARE(options.config.gracefulTimeoutMs, 1500);
    QCOMPARE(options.config.heartbeatTimeoutMs, 900);
    QCOMPARE(options.config.restart.maxCrashes, 7);
    QCOMPARE(options.config.restart.crashWindowMs, 5000);
    QCOMPARE(options.config.restart.backoffMaxMs, 50);
    QCOMPARE(options.config.restart.backoffInitialMs, 50);
    QCOMPARE(options.config.memoryLimitBytes, std::uint64_t(64) << 20);
    QCOMPARE(options.config.workerProgram, std::string("/bin/true"));
    QVERIFY(options.portGiven && options.bindGiven && options.workersGiven && options.policyGiven && options.chaosGiven);
    QCOMPARE(std::get<cs::CliOptions>(parse("--worker-arg --idle-timeout-ms --worker-arg 500")).config.workerArgs,
             (std::vector<std::string> { "--idle-timeout-ms", "500" }));
    QCOMPARE(std::get<cs::CliOptions>(parse("--start --workers 2")).mode, cs::CliOptions::Mode::WindowAndStart);
    QVERIFY(!options.config.pin && options.config.cpus.empty() && !options.cpusGiven);
    const auto pinned = std::get<cs::CliOptions>(parse("--pin --cpus 1,0"));
    QVERIFY(pinned.config.pin && pinned.cpusGiven);
    QCOMPARE(pinned.config.cpus, (std::vector<int> { 1, 0 }));
    QCOMPARE(std::get<cs::CliOptions>(parse("--cpus=0-1")).config.cpus, (std::vector<int> { 0, 1 }));
    QVERIFY(std::get<cs::CliOptions>(parse("--pin")).config.pin);
    QCOMPARE(std::get<cs::CliOptions>(parse("--help")).mode, cs::CliOptions::Mode::Help);
    for (auto policy : cs::kAllPolicies)
        QCOMPARE(cs::parsePolicy(cs::policyName(policy)), std::optional(policy));
}

void TestOptions::execTakesTheRestOfTheLineAsGiven()
{
    const auto options = std::get<cs::CliOptions>(
        parse("--headless --env A=1 --cwd /tmp --exec node server.js --port 1 --headless"));
    QCOMPARE(options.config.execCommand,
             (std::vector<std::string> { "node", "server.js", "--port", "1", "--headless" }));
    QCOMPARE(options.config.port, std::uint16_t(8000)); // the program's --port is its own
    QCOMPARE(options.config.policy, cs::Policy::Shared); // socket activation unless told otherwise
    QCOMPARE(options.config.environment, std::vector<std::string> { "A=1" });
    QCOMPARE(options.config.workingDirectory, std::string("/tmp"));
    QCOMPARE(std::get<cs::CliOptions>(parse("--policy reuseport --exec x")).config.policy, cs::Policy::ReusePort);
    QVERIFY(std::holds_alternative<cs::CliError>(parse("--exec")));
    QVERIFY(std::holds_alternative<cs::CliError>(parse("--env NOEQUALS")));
}

void TestOptions::badValues_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("expected");
    // One shape for every bad value of the three programs: "The value 'X' of --flag is not
    // valid; use WHAT.", WHAT from the settings table.
    QTest::newRow("port too big") << QByteArray("--port 65536") << QByteArray("The value '65536' of --port is not valid; use a number from 0 to 65535.");
    QTest::newRow("port negative") << QByteArray("--port -1") << QByteArray("The value '-1' of --port is not valid");
    QTest::newRow("port trailing junk") << QByteArray("--port=80x") << QByteArray("The value '80x' of --port is not valid");
    QTest::newRow("workers too many") << QByteArray("--workers 1000") << QByteArray("use a number from 1 to 256.");
    QTest::newRow("policy") << QByteArray("--policy fastest") << QByteArray("The value 'fastest' of --policy is not valid; use round-robin, least-connections, shared or reuseport.");
    QTest::newRow("interval") << QByteArray("--interval 5") << QByteArray("use a number from 50 to 3600000 ms.");
    QTest::newRow("heartbeat") << QByteArray("--heartbeat-ms 10") << QByteArray("The value '10' of --heartbeat-ms");
    QTest::newRow("memory") << QByteArray("--memory-limit 0") << QByteArray("The value '0' of --memory-limit is not valid; use a number from 1 to 1048576 MB.");
    QTest::newRow("env") << QByteArray("--env NOEQUALS") << QByteArray("The value 'NOEQUALS' of --env is not valid; use NAME=VALUE.");
    QTest::newRow("no value") << QByteArray("--workers") << QByteArray("Option --workers needs a value (N); see clusterscope --help.");
    QTest::newRow("unknown") << QByteArray("-x") << QByteArray("Unknown option '-x'; see clusterscope --help.");
    QTest::newRow("unknown with value") << QByteArray("--frobnicate=3") << QByteArray("Unknown option '--frobnicate'; see clusterscope --help.");
    QTest::newRow("switch with value") << QByteArray("--chaos=yes") << QByteArray("Option --chaos takes no value; see clusterscope --help.");
    QTest::newRow("operand") << QByteArray("--headless stray") << QByteArray("Unexpected argument 'stray': clusterscope takes options only; see clusterscope --help.");
    QTest::newRow("operand after --") << QByteArray("--headless -- --port") << QByteArray("Unexpected argument '--port'");
    QTest::newRow("metrics port") << QByteArray("--metrics-port 99999") << QByteArray("The value '99999' of --metrics-port is not valid");
    QTest::newRow("cpus not a list") << QByteArray("--cpus 0,,1") << QByteArray("The value '0,,1' of --cpus is not valid; use CPU numbers and ranges such as 0,2-3.");
    QTest::newRow("cpus backwards") << QByteArray("--cpus=3-1") << QByteArray("The value '3-1' of --cpus is not valid");
    QTest::newRow("cpus empty") << QByteArray("--cpus=") << QByteArray("of --cpus is not valid");
    QTest::newRow("pin with value") << QByteArray("--pin=1") << QByteArray("Option --pin takes no value; see clusterscope --help.");
    QTest::newRow("config missing") << QByteArray("--config /nonexistent/cluster.toml") << QByteArray("The config file '/nonexistent/cluster.toml' does not exist; check the path.");
}

void TestOptions::badValues()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, expected);
    const auto result = parse(line);
    QVERIFY(std::holds_alternative<cs::CliError>(result));
    const auto& message = std::get<cs::CliError>(result).message;
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY(message.find('\n') == std::string::npos);
}

void TestOptions::jsonIsOneLineWithEveryWorker()
{
    cs::Snapshot snapshot;
    snapshot.bindAddress = "127.0.0.1";
    snapshot.port = 8123;
    snapshot.policy = cs::Policy::Shared;
    snapshot.cores = { { 0, 12.5 }, { 1, 80 } };
    for (int slot = 1; slot <= 2; ++slot) {
        cs::WorkerSample worker;
        worker.slot = slot;
        worker.pid = 1000 + slot;
        worker.state = cs::WorkerState::Online;
        worker.requests = 10u * slot;
        worker.allowedCpus = { slot - 1 };
        snapshot.workers.push_back(worker);
    }
    const auto json = cs::snapshotJson(snapshot);
    QVERIFY(json.find('\n') == std::string::npos);
    QVERIFY(json.find("\"port\":8123") != std::string::npos);
    QVERIFY(json.find("\"policy\":\"shared\"") != std::string::npos);
    QVERIFY(json.find("\"cores\":[12.5,80.0]") != std::string::npos);
    QVERIFY(json.find("{\"slot\":2,\"pid\":1002,\"state\":\"online\"") != std::string::npos);
    QVERIFY(json.find("\"requests\":20") != std::string::npos);
    QVERIFY2(json.find("\"core\":-1,\"cpus\":\"1\"") != std::string::npos, json.c_str()); // slot 2's pinned CPU
    const auto table = cs::formatTable(snapshot);
    QCOMPARE(std::count(table.begin(), table.end(), '\n'), 4L); // summary, header, two workers
}

// A cluster problem is said in neutral words by the core; the command line adds its flag.
void TestOptions::problemsNameTheirFlag()
{
    QCOMPARE(cs::commandLineMessage("Port 80 is privileged; choose a port above 1023.", cs::ConfigField::Port),
             std::string("Port 80 is privileged; choose a port above 1023 (--port)."));
    QCOMPARE(cs::commandLineMessage("The program 'x' was not found on PATH; give its full path.", cs::ConfigField::Program),
             std::string("The program 'x' was not found on PATH; give its full path (--exec)."));
    QCOMPARE(cs::commandLineMessage("The sample interval must be between 50 and 60000 ms.", cs::ConfigField::Limits),
             std::string("The sample interval must be between 50 and 60000 ms."));
    // Every problem validate() finds names no flag itself: the window shows the same words.
    cs::ClusterConfig config;
    config.execCommand = { "/nonexistent/server" };
    const auto problem = cs::validate(cs::withDefaults(config));
    QVERIFY(problem.has_value());
    QCOMPARE(problem->field, cs::ConfigField::Program);
    QVERIFY2(problem->message.find("--") == std::string::npos, problem->message.c_str());
    // A CPU this machine does not have: validate() says which, the command line adds --cpus.
    cs::ClusterConfig cpus;
    cpus.cpus = { cs::maxCpuNumber() };
    const auto noSuchCpu = cs::validate(cs::withDefaults(cpus));
    QVERIFY(noSuchCpu.has_value());
    QCOMPARE(noSuchCpu->field, cs::ConfigField::Cpus);
    const std::string said = cs::commandLineMessage(noSuchCpu->message, noSuchCpu->field);
    QVERIFY2(said.rfind("CPU " + std::to_string(cs::maxCpuNumber()) + " does not exist on this machine", 0) == 0, said.c_str());
    QVERIFY2(said.ends_with("; choose from " + cs::formatCpuList(cs::allowedCpus()) + " (--cpus)."), said.c_str());
}

void TestOptions::fairnessBeforeAnyRequestIsNoNumber()
{
    cs::Snapshot snapshot;
    snapshot.bindAddress = "127.0.0.1";
    snapshot.workers.resize(2);
    // No request yet: JSON null (not 1, not NaN, which JSON has not), "-" in the table.
    QVERIFY(!snapshot.fairness);
    auto json = cs::snapshotJson(snapshot);
    QVERIFY2(json.find("\"fairness\":null,\"connectionFairness\":null,") != std::string::npos, json.c_str());
    auto table = cs::formatTable(snapshot);
    QVERIFY2(table.find("  fairness -  ") != std::string::npos, table.c_str());

    snapshot.fairness = 0.5;
    snapshot.connectionFairness = 1.0;
    json = cs::snapshotJson(snapshot);
    QVERIFY2(json.find("\"fairness\":0.5000,\"connectionFairness\":1.0000,") != std::string::npos, json.c_str());
    table = cs::formatTable(snapshot);
    QVERIFY2(table.find("  fairness 0.500  ") != std::string::npos, table.c_str());
}

void TestOptions::tableHeaderWordsCountsAndAddresses()
{
    cs::Snapshot snapshot;
    snapshot.bindAddress = "::1";
    snapshot.port = 8123;
    snapshot.totalRequests = 1;
    auto header = cs::formatTable(snapshot);
    header.resize(header.find('\n'));
    QVERIFY2(header.rfind("clusterscope [::1]:8123  policy ", 0) == 0, header.c_str());
    QVERIFY2(header.find("  1 request  ") != std::string::npos, header.c_str());
    snapshot.totalRequests = 2;
    QVERIFY(cs::formatTable(snapshot).find("  2 requests  ") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestOptions)
#include "tst_options.moc"
