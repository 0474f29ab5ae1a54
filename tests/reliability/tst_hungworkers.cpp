// Hung workers: one stopped with SIGSTOP, and one stuck burning CPU inside a request, miss
// their heartbeat and are killed and respawned; the headless master logs "[timeout]".
#include "reliabilitysupport.h"

#include <csignal>
#include <thread>

#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;
using Clock = std::chrono::steady_clock;

class TestHungWorkers : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void hungWorkerIsKilledAndRespawned_data();
    void hungWorkerIsKilledAndRespawned();
};

void TestHungWorkers::hungWorkerIsKilledAndRespawned_data()
{
    QTest::addColumn<bool>("busyLoop");
    QTest::newRow("SIGSTOP") << false;
    QTest::newRow("busy loop in /cpu?ms=5000") << true;
}

void TestHungWorkers::hungWorkerIsKilledAndRespawned()
{
    QFETCH(bool, busyLoop);
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval",
                                                 "100", "--heartbeat-ms", "1000" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    const auto before = onlineWorkerPids(master, 1);
    QCOMPARE(before.size(), std::size_t { 1 });

    const auto hungAt = Clock::now();
    std::thread client;
    if (busyLoop)
        client = std::thread([port] { rawExchange(port, "GET /cpu?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n", 8s); });
    else
        ::kill(before[0], SIGSTOP);
    const bool timedOut = waitFor([&] { return master.stderrText().find("[timeout]") != std::string::npos; }, 6s);
    const double killedMs = std::chrono::duration<double, std::milli>(Clock::now() - hungAt).count();
    if (client.joinable())
        client.join(); // ends as soon as the killed worker's socket closes
    QVERIFY2(timedOut, master.stderrText().c_str());
    qInfo("hung worker killed %.0f ms after it hung (heartbeat timeout 1000 ms)", killedMs);
    // Killed for its silence, well before a 5 s burn would have ended by itself.
    QVERIFY2(killedMs < 4000, qPrintable(QString::number(killedMs)));
    QVERIFY(waitFor([&] { return !processAlive(before[0]); }, 3s));
    const auto after = onlineWorkerPids(master, 1, before);
    QCOMPARE(after.size(), std::size_t { 1 });
    QCOMPARE(httpGet(port, "/").status, 200);
    const auto err = master.stderrText();
    QVERIFY2(err.find("missed its heartbeat") != std::string::npos, err.c_str());
}

QTEST_APPLESS_MAIN(TestHungWorkers)
#include "tst_hungworkers.moc"
