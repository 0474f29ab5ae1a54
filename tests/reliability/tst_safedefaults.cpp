// Safe defaults: loopback unless told otherwise, a warning for anything else, no /crash
// without --chaos.
#include "reliabilitysupport.h"

#include <csignal>
#include <filesystem>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

class TestSafeDefaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultBindIsLoopbackWithoutWarning();
    void nonLoopbackBindWarns();
    void nonLoopbackMetricsBindWarns_data();
    void nonLoopbackMetricsBindWarns();
    void crashExistsOnlyWithChaos();
    void workersAreStartedWithoutAShell();
};

void TestSafeDefaults::defaultBindIsLoopbackWithoutWarning()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval",
                                                 "100", "--metrics-port", "0" });
    QVERIFY(master.start());
    QVERIFY(jsonPort(master) != 0);
    QVERIFY(lastJsonLine(master).find("\"bind\":\"127.0.0.1\"") != std::string::npos);
    QVERIFY(master.stderrText().find("Prometheus metrics at") != std::string::npos);
    QVERIFY(master.stderrText().find("warning") == std::string::npos);
}

void TestSafeDefaults::nonLoopbackBindWarns()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--bind", "0.0.0.0", "--port", "0", "--workers", "1", "--json" });
    QVERIFY(master.start());
    QVERIFY(jsonPort(master) != 0);
    master.signal(SIGQUIT); // reachable from elsewhere: keep it short
    QVERIFY(master.waitExit(10s).has_value());
    const auto err = master.stderrText();
    QVERIFY2(err.find("warning: binding 0.0.0.0") != std::string::npos, err.c_str());
}

void TestSafeDefaults::nonLoopbackMetricsBindWarns_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<bool>("warns");
    QTest::newRow("any IPv4") << QStringLiteral("0.0.0.0") << true;
    QTest::newRow("any IPv6") << QStringLiteral("::") << true;
    QTest::newRow("IPv6 loopback") << QStringLiteral("::1") << false;
    QTest::newRow("IPv4 loopback, not .1") << QStringLiteral("127.0.0.2") << false;
}

void TestSafeDefaults::nonLoopbackMetricsBindWarns()
{
    QFETCH(QString, address);
    QFETCH(bool, warns);
    const auto bind = address.toStdString();
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json",
                                                 "--metrics-port", "0", "--metrics-bind", bind });
    QVERIFY(master.start());
    QVERIFY(jsonPort(master) != 0);
    master.signal(SIGQUIT); // reachable from elsewhere: keep it short
    QVERIFY(master.waitExit(10s).has_value());
    const auto err = master.stderrText();
    QVERIFY2(err.find("Prometheus metrics at") != std::string::npos, err.c_str());
    const std::string warning = "clusterscope: warning: binding " + bind
        + " makes the metrics endpoint reachable from other machines; use --metrics-bind 127.0.0.1 to keep it local.\n";
    QVERIFY2((err.find(warning) != std::string::npos) == warns, err.c_str());
    QVERIFY2(err.find("warning: binding") == err.rfind("warning: binding"), err.c_str()); // the cluster's is not here
}

void TestSafeDefaults::crashExistsOnlyWithChaos()
{
    for (bool chaos : { false, true }) {
        std::vector<std::string> args { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "100" };
        if (chaos)
            args.push_back("--chaos");
        ChildProcess master(clusterscopeProgram(), args);
        QVERIFY(master.start());
        const auto port = jsonPort(master);
        const auto before = onlineWorkerPids(master, 1);
        QCOMPARE(before.size(), std::size_t { 1 });
        const auto response = httpGet(port, "/crash");
        if (!chaos) {
            QCOMPARE(response.status, 404);
            QVERIFY(processAlive(before[0]));
        } else {
            QCOMPARE(response.status, 0); // the worker died mid-request
            QVERIFY(waitFor([&] { return !processAlive(before[0]); }, 5s));
            QCOMPARE(onlineWorkerPids(master, 1, before).size(), std::size_t { 1 });
        }
    }
}

void TestSafeDefaults::workersAreStartedWithoutAShell()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    QVERIFY(jsonPort(master) != 0);
    const auto workers = onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    // The master's direct children are the workers themselves, not shells that run them.
    auto children = childrenOf(master.pid());
    std::sort(children.begin(), children.end());
    auto sorted = workers;
    std::sort(sorted.begin(), sorted.end());
    QVERIFY(children == sorted);
    for (int pid : workers) {
        const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").filename().string();
        QCOMPARE(exe, std::string("clusterscope-worker"));
    }
}

QTEST_APPLESS_MAIN(TestSafeDefaults)
#include "tst_safedefaults.moc"
