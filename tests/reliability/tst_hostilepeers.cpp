// Hostile or broken workers: a program that writes garbage on its channel, or closes it, is
// killed ("channel-error") and respawned while the master keeps serving its snapshots.
#include "reliabilitysupport.h"

#include <csignal>
#include <cstdlib>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

class TestHostilePeers : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void brokenChannelIsKilledAndRespawned_data();
    void brokenChannelIsKilledAndRespawned();
};

void TestHostilePeers::brokenChannelIsKilledAndRespawned_data()
{
    QTest::addColumn<QByteArray>("mode");
    QTest::addColumn<QByteArray>("why");
    QTest::newRow("garbage") << QByteArray("garbage") << QByteArray("malformed message");
    QTest::newRow("closed channel") << QByteArray("close") << QByteArray("closed its channel");
}

void TestHostilePeers::brokenChannelIsKilledAndRespawned()
{
    QFETCH(QByteArray, mode);
    QFETCH(QByteArray, why);
    ::setenv("CS_FAKE_MODE", mode.constData(), 1); // inherited by the master, then by its workers
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval",
                                                 "100", "--worker-program", fakeWorkerProgram(), "--restart-limit",
                                                 "1000", "--backoff-max", "200" });
    QVERIFY(master.start());
    ::unsetenv("CS_FAKE_MODE");
    QVERIFY(jsonPort(master) != 0);
    // Killed, respawned and killed again: the master deals with it every time.
    const auto countKills = [&] {
        const auto err = master.stderrText();
        int kills = 0;
        for (auto at = err.find("[channel-error]"); at != std::string::npos; at = err.find("[channel-error]", at + 1))
            ++kills;
        return kills;
    };
    QVERIFY2(waitFor([&] { return countKills() >= 3; }, 15s), master.stderrText().c_str());
    QVERIFY(master.stderrText().find(why.toStdString()) != std::string::npos);
    QVERIFY(master.running());
    // Its snapshots kept coming all along.
    const int lines = jsonLineCount(master);
    QVERIFY(waitFor([&] { return jsonLineCount(master) >= lines + 5; }, 3s));
    QVERIFY(lastJsonLine(master).find("\"running\":true") != std::string::npos);
    const auto workers = childrenOf(master.pid());
    master.signal(SIGTERM);
    const auto status = master.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    for (int pid : workers)
        QVERIFY(!processAlive(pid));
}

QTEST_APPLESS_MAIN(TestHostilePeers)
#include "tst_hostilepeers.moc"
