// Graceful stop of a headless master: in-flight requests finish and say Connection: close,
// idle keep-alive connections end, stragglers are killed after --grace-ms, exit 0; a second
// SIGTERM during the stop makes it fast.
#include "reliabilitysupport.h"

#include <csignal>
#include <regex>

#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> masterArgs(const std::string& graceMs)
{
    return { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "100", "--grace-ms", graceMs };
}

/// Waits until the master's JSON says its workers hold `count` open connections in all.
bool waitOpen(ChildProcess& master, int count)
{
    const std::regex open("\"open\":([0-9]+)");
    return waitFor(
        [&] {
            const auto line = lastJsonLine(master);
            int total = 0;
            for (auto it = std::sregex_iterator(line.begin(), line.end(), open); it != std::sregex_iterator(); ++it)
                total += std::stoi((*it)[1]);
            return total == count;
        },
        5s);
}

struct Socket {
    int fd = -1;
    ~Socket()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

} // namespace

class TestGracefulStop : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void inFlightFinishesWithConnectionClose();
    void stragglerIsKilledAfterTheGracePeriod();
    void secondSigtermMakesTheStopFast();
};

void TestGracefulStop::inFlightFinishesWithConnectionClose()
{
    ChildProcess master(clusterscopeProgram(), masterArgs("5000"));
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    const auto workers = onlineWorkerPids(master, 1);
    QCOMPARE(workers.size(), std::size_t { 1 });

    // An idle keep-alive connection that has been served once ...
    Socket idle { connectLoopback(port) };
    std::string idleBuffer;
    QVERIFY(sendAll(idle.fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto first = readResponse(idle.fd, idleBuffer, 3s);
    QVERIFY(first && first->find("Connection: keep-alive") != std::string::npos);
    // ... and a keep-alive client with a request in flight.
    Socket busy { connectLoopback(port) };
    std::string busyBuffer;
    QVERIFY(sendAll(busy.fd, "GET /sleep?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n"));
    QVERIFY(waitOpen(master, 2));

    const auto stopAt = Clock::now();
    master.signal(SIGTERM);
    const auto slept = readResponse(busy.fd, busyBuffer, 5s);
    QVERIFY2(slept.has_value(), "the in-flight request was cut off");
    QVERIFY2(slept->rfind("HTTP/1.1 200", 0) == 0, slept->c_str());
    QVERIFY2(slept->find("Connection: close") != std::string::npos, slept->c_str());
    QVERIFY(waitPeerClose(busy.fd, 3s));
    QVERIFY(waitPeerClose(idle.fd, 3s));

    const auto status = master.waitExit(10s);
    const double stopMs = std::chrono::duration<double, std::milli>(Clock::now() - stopAt).count();
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 0);
    QVERIFY2(stopMs < 4000, qPrintable(QString::number(stopMs))); // did not wait for the grace period
    QVERIFY(!processAlive(workers[0]));
}

void TestGracefulStop::stragglerIsKilledAfterTheGracePeriod()
{
    ChildProcess master(clusterscopeProgram(), masterArgs("1000"));
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    const auto workers = onlineWorkerPids(master, 1);
    QCOMPARE(workers.size(), std::size_t { 1 });
    Socket straggler { connectLoopback(port) };
    QVERIFY(sendAll(straggler.fd, "GET /sleep?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    QVERIFY(waitOpen(master, 1));

    const auto stopAt = Clock::now();
    master.signal(SIGTERM);
    const auto status = master.waitExit(10s);
    const double stopMs = std::chrono::duration<double, std::milli>(Clock::now() - stopAt).count();
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 0);
    qInfo("graceful stop with a straggler and --grace-ms 1000 took %.0f ms", stopMs);
    QVERIFY2(stopMs >= 900 && stopMs < 4000, qPrintable(QString::number(stopMs)));
    QVERIFY(!processAlive(workers[0]));
    bool closed = false;
    const auto reply = readUntilClose(straggler.fd, 2s, &closed);
    QVERIFY(closed);
    QVERIFY2(reply.empty(), reply.c_str()); // killed: no answer, but no hang either
}

void TestGracefulStop::secondSigtermMakesTheStopFast()
{
    ChildProcess master(clusterscopeProgram(), masterArgs("20000"));
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    const auto workers = onlineWorkerPids(master, 1);
    QCOMPARE(workers.size(), std::size_t { 1 });
    Socket straggler { connectLoopback(port) };
    QVERIFY(sendAll(straggler.fd, "GET /sleep?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    QVERIFY(waitOpen(master, 1));

    const auto stopAt = Clock::now();
    master.signal(SIGTERM);
    // The graceful stop is under way (its worker drains) before the second signal comes.
    QVERIFY(waitFor([&] { return lastJsonLine(master).find("\"state\":\"draining\"") != std::string::npos; }, 5s));
    QVERIFY(master.running());
    master.signal(SIGTERM);
    const auto status = master.waitExit(10s);
    const double stopMs = std::chrono::duration<double, std::milli>(Clock::now() - stopAt).count();
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 0);
    qInfo("second SIGTERM: stopped %.0f ms after the first (grace period 20000 ms)", stopMs);
    QVERIFY2(stopMs < 3000, qPrintable(QString::number(stopMs)));
    QVERIFY(!processAlive(workers[0]));
}

QTEST_APPLESS_MAIN(TestGracefulStop)
#include "tst_gracefulstop.moc"
