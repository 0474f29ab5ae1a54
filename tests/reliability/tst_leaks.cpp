// No orphans, no leaks: a master killed while a worker is busy leaves nothing behind; the
// master's descriptors stay flat over 100k handed-off connections and are all close-on-exec;
// a worker over --memory-limit is restarted.
#include "reliabilitysupport.h"

#include <csignal>
#include <filesystem>

#include <sys/wait.h>
#include <unistd.h>

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

std::string join(const std::vector<int>& values)
{
    std::string out;
    for (int v : values)
        out += std::to_string(v) + " ";
    return out;
}

} // namespace

class TestLeaks : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedMasterLeavesNoBusyWorker();
    void masterFdsStayFlatOverManyConnections();
    void everyMasterFdIsCloseOnExec_data();
    void everyMasterFdIsCloseOnExec();
    void workerOverTheMemoryLimitIsRestarted();
};

void TestLeaks::killedMasterLeavesNoBusyWorker()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    const auto workers = onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    Sockets busy;
    for (int i = 0; i < 2; ++i) {
        busy.fds.push_back(connectLoopback(port));
        QVERIFY(sendAll(busy.fds.back(), "GET /sleep?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    QVERIFY(waitFor([&] { return lastJsonLine(master).find("\"open\":1") != std::string::npos; }, 5s));
    ::kill(master.pid(), SIGKILL); // the master alone, not its group
    QVERIFY(master.waitExit(5s).has_value());
    QVERIFY(waitFor([&] { return !processAlive(workers[0]) && !processAlive(workers[1]); }, 5s));
    for (int fd : busy.fds)
        QVERIFY(waitPeerClose(fd, 3s));
}

void TestLeaks::masterFdsStayFlatOverManyConnections()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "200" });
    QVERIFY(master.start());
    const auto port = std::to_string(jsonPort(master));
    QCOMPARE(onlineWorkerPids(master, 2).size(), std::size_t { 2 });
    auto runLoad = [&](const char* requests) {
        ChildProcess load(loadProgram(), { "--port", port, "--new-connection", "-n", requests, "-c", "20", "--json" });
        if (!load.start())
            return std::string("could not start the load generator");
        const auto status = load.waitExit(120s);
        if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
            return "load generator failed: " + load.stderrText();
        return load.stdoutText();
    };
    // A warm-up, so what is opened once (the per-worker state) is in place before counting.
    runLoad("2000");
    QVERIFY(waitFor([&] { return lastJsonLine(master).find("\"open\":0") != std::string::npos; }, 5s));
    const auto before = openFds(master.pid());
    const auto summary = runLoad("100000");
    qInfo("%s", summary.c_str());
    QVERIFY2(summary.find("\"errors\":0") != std::string::npos || summary.find("\"failed\":0") != std::string::npos,
             summary.c_str());
    QVERIFY2(waitFor([&] { return openFds(master.pid()).size() == before.size(); }, 5s),
             qPrintable(QStringLiteral("before: %1 after: %2")
                            .arg(QString::fromStdString(join(before)), QString::fromStdString(join(openFds(master.pid()))))));
    QVERIFY(master.running());
}

void TestLeaks::everyMasterFdIsCloseOnExec_data()
{
    QTest::addColumn<QByteArray>("policy");
    for (const char* policy : { "round-robin", "least-connections", "shared", "reuseport" })
        QTest::newRow(policy) << QByteArray(policy);
}

void TestLeaks::everyMasterFdIsCloseOnExec()
{
    QFETCH(QByteArray, policy);
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval",
                                                 "100", "--policy", policy.toStdString() });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QCOMPARE(onlineWorkerPids(master, 2).size(), std::size_t { 2 });
    QCOMPARE(httpGet(port, "/").status, 200);
    auto leaky = fdsWithoutCloexec(master.pid());
    // stdin/stdout/stderr are the master's own; descriptors this test process holds without
    // CLOEXEC (from whoever started it) reach the master through ChildProcess, not its fault.
    const auto inherited = fdsWithoutCloexec(::getpid());
    std::erase_if(leaky, [&](int fd) {
        const auto target = [fd](int pid) {
            std::error_code ec;
            return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), ec).string();
        };
        return fd <= 2
            || (std::find(inherited.begin(), inherited.end(), fd) != inherited.end() && target(master.pid()) == target(::getpid()));
    });
    QVERIFY2(leaky.empty(), qPrintable(QStringLiteral("fds without O_CLOEXEC: ") + QString::fromStdString(join(leaky))));
}

void TestLeaks::workerOverTheMemoryLimitIsRestarted()
{
    // The built-in worker grows with its connections: each one holding an unfinished 24 KiB
    // header keeps a 32 KiB read buffer. 800 of them put it far over a 16 MiB limit.
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval",
                                                 "100", "--memory-limit", "16" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    const auto before = onlineWorkerPids(master, 1);
    QCOMPARE(before.size(), std::size_t { 1 });
    const auto baseline = rssBytes(before[0]);
    qInfo("worker RSS at start: %.1f MiB", double(baseline) / 1048576.0);
    QVERIFY(baseline < (16u << 20));
    const std::string bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(24000, 'b');
    Sockets held;
    for (int i = 0; i < 800 && master.stderrText().find("[memory-limit]") == std::string::npos; ++i) {
        const int fd = connectLoopback(port);
        if (fd < 0)
            break;
        held.fds.push_back(fd);
        sendAll(fd, bigHeader);
    }
    QVERIFY2(waitFor([&] { return master.stderrText().find("[memory-limit]") != std::string::npos; }, 5s),
             master.stderrText().c_str());
    QVERIFY(master.stderrText().find("over its limit") != std::string::npos);
    QVERIFY(waitFor([&] { return !processAlive(before[0]); }, 3s));
    held = {};
    QCOMPARE(onlineWorkerPids(master, 1, before).size(), std::size_t { 1 });
    QCOMPARE(httpGet(port, "/").status, 200);
}

QTEST_APPLESS_MAIN(TestLeaks)
#include "tst_leaks.moc"
