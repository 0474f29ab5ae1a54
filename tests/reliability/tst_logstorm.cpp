// Log storms: while descriptors run out, every refused connection used to log a line of its
// own (91 for 200 connections under round-robin, 162 under reuseport; 40,000 in 3 s from a
// master out of descriptors). The first one is printed, the rest are summarised once a second.
#include "reliabilitysupport.h"

#include <algorithm>
#include <csignal>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

namespace {

int linesContaining(const std::string& text, const std::string& needle)
{
    int count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
        ++count;
    return count;
}

/// Lines "NEEDLE (and N more in the last second)": the summaries of a storm of NEEDLE.
int summaries(const std::string& text, const std::string& needle)
{
    return linesContaining(text, needle + " (and ") - linesContaining(text, needle + " (and 0 more");
}

/// Opens `count` connections to the port and keeps them; -1 entries where a connect failed.
std::vector<int> openConnections(std::uint16_t port, int count)
{
    std::vector<int> fds;
    for (int i = 0; i < count; ++i)
        fds.push_back(connectLoopback(port));
    return fds;
}

void closeAll(std::vector<int>& fds)
{
    for (int fd : fds)
        if (fd >= 0)
            ::close(fd);
    fds.clear();
}

/// Ends the storm (the clients close), stops the master cleanly, and checks that the storm of
/// `needle` took a few lines: the first ones and their summaries, not one per connection.
void endStormAndCountLines(ChildProcess& master, std::vector<int>& connections, const std::string& needle)
{
    closeAll(connections);
    master.signal(SIGTERM);
    const auto status = master.waitExit(20s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    const auto err = master.stderrText();
    const int lines = linesContaining(err, needle);
    qInfo("%d lines of \"%s\"", lines, needle.c_str());
    QVERIFY2(lines >= 2 && lines < 10, err.c_str());
}

} // namespace

class TestLogStorm : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void workersOutOfDescriptorsSummarise_data();
    void workersOutOfDescriptorsSummarise();
    void masterOutOfDescriptorsSummarisesAndRecovers();
};

void TestLogStorm::workersOutOfDescriptorsSummarise_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QByteArray>("message");
    // The master hands connections over; a worker with no descriptor left loses each one.
    QTest::newRow("round-robin") << QByteArray("round-robin")
                                 << QByteArray("a connection handed over by the master was lost: no file descriptor "
                                               "was left for it; raise ulimit -n");
    // The workers accept themselves; each accept fails.
    QTest::newRow("reuseport") << QByteArray("reuseport")
                               << QByteArray("accept failed: Too many open files; raise ulimit -n");
}

void TestLogStorm::workersOutOfDescriptorsSummarise()
{
    QFETCH(QByteArray, policy);
    QFETCH(QByteArray, message);
    // The master and its workers with 64 descriptors each: fewer than the connections.
    ChildProcess master("/bin/sh", { "-c", "ulimit -n 64 && exec \"$0\" \"$@\"", clusterscopeProgram(), "--headless",
                                     "--port", "0", "--workers", "2", "--policy", policy.toStdString(), "--json",
                                     "--interval", "200" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    QCOMPARE(onlineWorkerPids(master, 2).size(), std::size_t { 2 });

    auto connections = openConnections(port, 200);
    const std::string needle = message.toStdString();
    QVERIFY2(waitFor([&] { return summaries(master.stderrText(), needle) >= 1; }, 10s), master.stderrText().c_str());
    // Once the clients are gone the workers have descriptors again, and serve: a worker that
    // stopped watching its listener after a failed accept watches it again.
    closeAll(connections);
    QVERIFY2(waitFor([&] { return httpGet(port, "/").status == 200; }, 10s), master.stderrText().c_str());
    endStormAndCountLines(master, connections, needle);
}

void TestLogStorm::masterOutOfDescriptorsSummarisesAndRecovers()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "200" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    QCOMPARE(onlineWorkerPids(master, 1).size(), std::size_t { 1 });
    QCOMPARE(httpGet(port, "/").status, 200);

    // The master alone out of descriptors: its limit lowered to its lowest free descriptor, so
    // every accept fails with EMFILE and the connections wait in the listen queue.
    const auto used = openFds(master.pid());
    int lowestFree = 0;
    while (std::binary_search(used.begin(), used.end(), lowestFree))
        ++lowestFree;
    rlimit original {};
    QCOMPARE(::prlimit(master.pid(), RLIMIT_NOFILE, nullptr, &original), 0);
    const rlimit starved { rlim_t(lowestFree), original.rlim_max }; // the soft limit: it can be raised again
    QCOMPARE(::prlimit(master.pid(), RLIMIT_NOFILE, &starved, nullptr), 0);
    auto connections = openConnections(port, 20);
    const std::string needle = "the master ran out of file descriptors; raise ulimit -n";
    QVERIFY2(waitFor([&] { return summaries(master.stderrText(), needle) >= 1; }, 10s), master.stderrText().c_str());
    // A second of the storm later: it waited between tries instead of spinning on the
    // readable listener.
    const double cpuBefore = cpuSeconds(master.pid());
    QVERIFY2(waitFor([&] { return summaries(master.stderrText(), needle) >= 2; }, 5s), master.stderrText().c_str());
    const double cpuDuring = cpuSeconds(master.pid()) - cpuBefore;
    QVERIFY2(cpuDuring < 0.3, std::to_string(cpuDuring).c_str());

    // Given descriptors again, it serves the connections that waited.
    QCOMPARE(::prlimit(master.pid(), RLIMIT_NOFILE, &original, nullptr), 0);
    QCOMPARE(httpGet(port, "/").status, 200);
    endStormAndCountLines(master, connections, needle);
}

QTEST_APPLESS_MAIN(TestLogStorm)
#include "tst_logstorm.moc"
