// Batched hand-off: when the master accepts a burst, the connections that go to one worker
// travel together in one SCM_RIGHTS message. Every connection of a burst must be served
// exactly once, by the worker the policy picks (round-robin keeps its order), none lost, and
// the master must close its copy of every socket.
#include "reliabilitysupport.h"

#include <cstdlib>
#include <map>

#include <unistd.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

namespace {

struct Sockets {
    std::vector<int> fds;
    ~Sockets()
    {
        for (int fd : fds)
            ::close(fd);
    }
};

// Sets an environment variable for the children started while it lives.
struct ScopedEnv {
    ScopedEnv(const char* name, const QByteArray& value) : m_name(name)
    {
        if (!value.isEmpty())
            ::setenv(name, value.constData(), 1);
    }
    ~ScopedEnv() { ::unsetenv(m_name); }
    const char* m_name;
};

int xWorker(const std::string& response)
{
    const auto at = response.find("X-Worker: ");
    return at == std::string::npos ? 0 : std::atoi(response.c_str() + at + 10);
}

} // namespace

class TestHandoffBatch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void burstIsServedOnceEach_data();
    void burstIsServedOnceEach();
    void leastConnectionsLevelsKeepAliveRightAfterShortConnections();
};

void TestHandoffBatch::burstIsServedOnceEach_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QByteArray>("batch"); // CLUSTERSCOPE_HANDOFF_BATCH; empty: the default (16)
    QTest::newRow("round-robin") << QByteArray("round-robin") << QByteArray();
    QTest::newRow("round-robin, 3 per message") << QByteArray("round-robin") << QByteArray("3");
    QTest::newRow("round-robin, 1 per message") << QByteArray("round-robin") << QByteArray("1");
    QTest::newRow("least-connections") << QByteArray("least-connections") << QByteArray();
}

void TestHandoffBatch::burstIsServedOnceEach()
{
    QFETCH(QByteArray, policy);
    QFETCH(QByteArray, batch);
    constexpr int kWorkers = 4;
    constexpr int kConnections = 600;
    const ScopedEnv env("CLUSTERSCOPE_HANDOFF_BATCH", batch);
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", std::to_string(kWorkers),
                                                 "--json", "--interval", "100", "--policy", policy.toStdString() });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    QCOMPARE(onlineWorkerPids(master, kWorkers).size(), std::size_t { kWorkers });
    const auto fdsBefore = openFds(master.pid());

    // The master's counts: every connection handed off once, and taken by its worker.
    auto totals = [&]() {
        const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(lastJsonLine(master)));
        qint64 handedOff = 0, accepted = 0;
        for (const auto& w : doc.object().value(QStringLiteral("workers")).toArray()) {
            handedOff += w.toObject().value(QStringLiteral("handedOff")).toInteger();
            accepted += w.toObject().value(QStringLiteral("accepted")).toInteger();
        }
        return std::pair { handedOff, accepted };
    };
    auto allHandedOffAndTaken = [&] {
        QVERIFY2(waitFor([&] { return totals() == std::pair<qint64, qint64> { kConnections, kConnections }; }, 10s),
                 qPrintable(QStringLiteral("handed off %1, accepted %2 of %3")
                                .arg(totals().first).arg(totals().second).arg(kConnections)));
    };

    // Connect them all first: the kernel completes each handshake into the accept queue, so
    // the master finds many waiting per wake-up and batches them. Then, once every one is with
    // its worker, one request on each. A request sent sooner may be answered and closed while
    // the master still places the rest, and least-connections rightly gives those to the worker
    // that closed most: a master that lags (a loaded machine) then skews the shares (CI saw
    // 186 of 600 for one of 4 workers), and the burst's placement is no longer what is tested.
    Sockets clients;
    for (int i = 0; i < kConnections; ++i) {
        const int fd = connectLoopback(port);
        QVERIFY2(fd >= 0, qPrintable(QStringLiteral("connection %1 refused").arg(i)));
        clients.fds.push_back(fd);
    }
    allHandedOffAndTaken();
    if (QTest::currentTestFailed())
        return;
    for (int fd : clients.fds)
        QVERIFY(sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::map<int, int> perWorker;
    for (std::size_t i = 0; i < clients.fds.size(); ++i) {
        bool closed = false;
        const auto response = readUntilClose(clients.fds[i], 10s, &closed);
        QVERIFY2(closed, qPrintable(QStringLiteral("connection %1 got no whole answer: %2")
                                        .arg(i).arg(QString::fromStdString(response))));
        QCOMPARE(statusesIn(response), std::vector<int> { 200 });
        const int slot = xWorker(response);
        QVERIFY2(slot >= 1 && slot <= kWorkers, response.c_str());
        ++perWorker[slot];
    }
    // Each worker its share: round-robin hands out in slot order, batches or not; least-
    // connections levels the counts it sees. A send refused by a full channel moves a
    // connection on to the next worker, so allow a little slack, not a skew.
    QCOMPARE(int(perWorker.size()), kWorkers);
    for (const auto& [slot, count] : perWorker)
        QVERIFY2(count >= kConnections / kWorkers * 8 / 10 && count <= kConnections / kWorkers * 12 / 10,
                 qPrintable(QStringLiteral("worker %1 served %2 of %3").arg(slot).arg(count).arg(kConnections)));

    // None handed off twice, and the master kept no copy of any socket.
    allHandedOffAndTaken();
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(waitFor([&] { return openFds(master.pid()).size() == fdsBefore.size(); }, 5s),
             qPrintable(QStringLiteral("master fds %1 before, %2 after")
                            .arg(fdsBefore.size()).arg(openFds(master.pid()).size())));
    QVERIFY(master.running());
}

// The master counts a worker's connections as those of its last report plus the ones handed
// over since; short connections that closed since are invisible to it. Right after a burst
// of short connections, the worker that reported longest ago looked busy by everything it
// got since, and least-connections gave it none of the next keep-alive connections (the
// bench read Jain 0.500). A worker now reports after every few closes, so the count is never
// more than a few too high, and keep-alive connections opened at once are shared out.
void TestHandoffBatch::leastConnectionsLevelsKeepAliveRightAfterShortConnections()
{
    // Which worker reported last when the short connections stop is chance: several rounds.
    constexpr int kRounds = 10;
    constexpr auto kShortFor = 300ms; // a few report periods (100 ms) of short connections
    constexpr int kPerWave = 50;
    constexpr int kKeepAlive = 40;
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json",
                                                 "--interval", "100", "--policy", "least-connections" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    const auto workers = onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    // Each worker's descriptors at rest: back to these, it has closed every short connection.
    std::vector<std::size_t> restingFds;
    for (int pid : workers)
        restingFds.push_back(openFds(pid).size());

    for (int round = 1; round <= kRounds; ++round) {
        // Short connections, 50 at a time: each answered and closed by the server.
        const auto shortUntil = std::chrono::steady_clock::now() + kShortFor;
        while (std::chrono::steady_clock::now() < shortUntil) {
            Sockets clients;
            for (int i = 0; i < kPerWave; ++i) {
                const int fd = connectLoopback(port);
                QVERIFY(fd >= 0);
                clients.fds.push_back(fd);
                QVERIFY(sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            }
            for (int fd : clients.fds) {
                bool closed = false;
                const auto response = readUntilClose(fd, 10s, &closed);
                QVERIFY2(closed && statusesIn(response) == std::vector<int> { 200 }, response.c_str());
            }
        }
        // Until both workers have closed every short connection (their descriptors back at
        // rest): one that lingers on a connection closes it only when the client's close
        // reaches it. The master is not asked: its view is what is tested. A worker reports
        // its closes in the turn of its loop that makes them, before the sockets are closed;
        // the old report came up to 100 ms later.
        QVERIFY2(waitFor([&] {
                     for (std::size_t i = 0; i < workers.size(); ++i)
                         if (openFds(workers[i]).size() > restingFds[i])
                             return false;
                     return true;
                 }, 10s),
                 qPrintable(QStringLiteral("round %1: the workers still hold short connections").arg(round)));
        // At once, keep-alive connections that stay open: each is placed by the counts as they are now.
        Sockets kept;
        std::map<int, int> perWorker;
        for (int i = 0; i < kKeepAlive; ++i) {
            const int fd = connectLoopback(port);
            QVERIFY(fd >= 0);
            kept.fds.push_back(fd);
        }
        for (int fd : kept.fds) {
            QVERIFY(sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            std::string buffer;
            const auto response = readResponse(fd, buffer, 10s);
            QVERIFY(response.has_value());
            QCOMPARE(statusesIn(*response), std::vector<int> { 200 });
            ++perWorker[xWorker(*response)];
        }
        // Even counts would be 20/20; a count up to a report's worth (8) too high allows 16/24.
        QVERIFY2(perWorker[1] >= 14 && perWorker[2] >= 14,
                 qPrintable(QStringLiteral("round %1: worker 1 got %2, worker 2 %3 of %4 keep-alive connections")
                                .arg(round).arg(perWorker[1]).arg(perWorker[2]).arg(kKeepAlive)));
    }
    QVERIFY(master.running());
}

QTEST_APPLESS_MAIN(TestHandoffBatch)
#include "tst_handoffbatch.moc"
