#include "adapter/clusteradapter.h"

#include "scheduling/policy.h"
#include "testsupport.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace cs;
using namespace cs::ui;
using namespace std::chrono_literals;

namespace {

ClusterConfig testConfig(int workers = 2)
{
    ClusterConfig config;
    config.port = 0; // ephemeral: Snapshot::port tells the real one
    config.workers = workers;
    config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    config.sampleIntervalMs = 100;
    config.gracefulTimeoutMs = 2000;
    return config;
}

int onlineCount(const Snapshot& s)
{
    int n = 0;
    for (const WorkerSample& w : s.workers)
        n += w.state == WorkerState::Online ? 1 : 0;
    return n;
}

/// A loopback listener of our own, so the port is taken for real.
class TakenPort {
public:
    TakenPort()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(m_fd, 4) == 0
            && ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            m_port = ntohs(addr.sin_port);
    }
    ~TakenPort()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    std::uint16_t port() const { return m_port; }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

/// Keeps the newest snapshot and every event the adapter emits.
struct Recorder {
    explicit Recorder(ClusterAdapter* adapter)
    {
        QObject::connect(adapter, &ClusterAdapter::snapshotReady, adapter,
                         [this](std::shared_ptr<const Snapshot> s) { latest = std::move(s); });
        QObject::connect(adapter, &ClusterAdapter::eventsArrived, adapter,
                         [this](const QList<Event>& list) { events.append(list); });
    }
    bool online(int n) const { return latest && latest->running && onlineCount(*latest) == n && int(latest->workers.size()) == n; }
    bool saw(EventKind kind, int slot, ExitReason reason = ExitReason::None) const
    {
        for (const Event& e : events)
            if (e.kind == kind && e.slot == slot && (reason == ExitReason::None || e.reason == reason))
                return true;
        return false;
    }
    std::shared_ptr<const Snapshot> latest;
    QList<Event> events;
};

} // namespace

class TestClusterAdapter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void startsAndReportsOnlineWorkers()
    {
        ClusterAdapter adapter;
        Recorder record(&adapter);
        QSignalSpy snapshots(&adapter, &ClusterAdapter::snapshotReady);
        QSignalSpy runningChanged(&adapter, &ClusterAdapter::runningChanged);
        QSignalSpy failed(&adapter, &ClusterAdapter::launchFailed);
        adapter.start(testConfig(2));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(runningChanged.count(), 1);
        QCOMPARE(runningChanged.at(0).at(0).toBool(), true);
        QVERIFY(snapshots.wait(5000));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 15000);
        QVERIFY(record.latest->port != 0);
        QVERIFY(record.saw(EventKind::Online, 1));
        QVERIFY(record.saw(EventKind::Online, 2));

        // The workers really serve the port the snapshot tells.
        const cs::test::HttpResponse response = cs::test::httpGet(record.latest->port, "/");
        QCOMPARE(response.status, 200);
        QVERIFY(response.headers.count("x-worker") == 1);

        std::vector<int> pids;
        for (const WorkerSample& w : record.latest->workers)
            pids.push_back(w.pid);
        adapter.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!adapter.running(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(runningChanged.count(), 2, 5000);
        QCOMPARE(runningChanged.at(1).at(0).toBool(), false);
        for (int pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(!cs::test::processAlive(pid), 5000);
    }

    void reportsAPortInUse()
    {
        TakenPort taken;
        QVERIFY(taken.port() != 0);
        ClusterAdapter adapter;
        QSignalSpy failed(&adapter, &ClusterAdapter::launchFailed);
        QSignalSpy runningChanged(&adapter, &ClusterAdapter::runningChanged);
        ClusterConfig config = testConfig(2);
        config.port = taken.port();
        adapter.start(config);
        if (failed.isEmpty())
            QVERIFY(failed.wait(5000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(QString::number(taken.port())), qPrintable(message));
        QVERIFY(!adapter.running());
        QCOMPARE(runningChanged.count(), 0);
    }

    void killedWorkerExitsAndComesBack()
    {
        ClusterAdapter adapter;
        Recorder record(&adapter);
        adapter.start(testConfig(2));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 15000);
        const int oldPid = record.latest->workers.at(0).pid;
        adapter.killWorker(1, SIGKILL);
        QTRY_VERIFY_WITH_TIMEOUT(record.saw(EventKind::Exit, 1, ExitReason::KilledByUser), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(record.saw(EventKind::Restart, 1), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2) && record.latest->workers.at(0).pid != oldPid, 15000);
        QVERIFY(record.latest->workers.at(0).restarts >= 1);
        QVERIFY(!cs::test::processAlive(oldPid));
    }

    void destroyingTheAdapterLeavesNoWorker()
    {
        auto adapter = std::make_unique<ClusterAdapter>();
        Recorder record(adapter.get());
        adapter->start(testConfig(2));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 15000);
        std::vector<int> pids;
        for (const WorkerSample& w : record.latest->workers)
            pids.push_back(w.pid);
        adapter.reset();
        for (int pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(!cs::test::processAlive(pid), 5000);
    }

    // `clusterscope ctl` reaches the window's cluster as a headless one: a scale from the
    // command line shows in the window's snapshots, and a stop from there stops the window's
    // cluster (the window hears of it) and removes the socket.
    void ctlReachesTheWindowsCluster()
    {
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        ::setenv("XDG_RUNTIME_DIR", runtime.path().toUtf8().constData(), 1);
        ClusterAdapter adapter;
        Recorder record(&adapter);
        adapter.start(testConfig(2));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 15000);
        const std::string name = std::to_string(record.latest->port);
        const std::string socket = adapter.controlSocket().toStdString();
        QCOMPARE(socket, runtime.path().toStdString() + "/clusterscope/" + name + ".sock");
        QVERIFY(std::filesystem::exists(socket));
        auto ctl = [&](std::vector<std::string> args) {
            args.insert(args.begin(), { "ctl", "--name", name });
            cs::test::ChildProcess process(cs::test::binDir() + "/clusterscope", args);
            int code = -1;
            if (process.start()) {
                // The window's event loop runs meanwhile: the adapter delivers as usual.
                cs::test::waitFor(
                    [&] {
                        QCoreApplication::processEvents();
                        return !process.running();
                    },
                    std::chrono::seconds(10));
                if (const auto status = process.waitExit(std::chrono::milliseconds(100)); status && WIFEXITED(*status))
                    code = WEXITSTATUS(*status);
            }
            return std::make_pair(code, process.stdoutText() + process.stderrText());
        };
        const auto scaled = ctl({ "scale", "3" });
        QVERIFY2(scaled.first == 0, scaled.second.c_str());
        QTRY_VERIFY_WITH_TIMEOUT(record.online(3), 15000);
        const auto status = ctl({ "status" });
        QVERIFY2(status.first == 0 && status.second.find("#3") != std::string::npos, status.second.c_str());
        const auto stopped = ctl({ "stop" });
        QVERIFY2(stopped.first == 0, stopped.second.c_str());
        QTRY_VERIFY_WITH_TIMEOUT(!adapter.running(), 15000);
        QVERIFY(adapter.controlSocket().isEmpty());
        QVERIFY(!std::filesystem::exists(socket));
        ::unsetenv("XDG_RUNTIME_DIR");
    }

    void leaveRunningServesOnAndCanBeAttached_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::newRow("round-robin") << QStringLiteral("round-robin");
        QTest::newRow("shared") << QStringLiteral("shared");
    }

    // Closing the window can leave its cluster running: a headless master takes over the
    // listening socket, ours drains, and a client connecting all the while is never refused;
    // the new master answers on the same port and can be attached to under the same name.
    void leaveRunningServesOnAndCanBeAttached()
    {
        QFETCH(QString, policy);
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        ::setenv("XDG_RUNTIME_DIR", runtime.path().toUtf8().constData(), 1);
        struct Stopper { // the detached master goes at the end, also when a check failed
            int pid = -1;
            ~Stopper()
            {
                if (pid <= 0)
                    return;
                ::kill(pid, SIGTERM);
                if (!cs::test::waitFor([&] { return ::waitpid(pid, nullptr, WNOHANG) == pid; }, 10s)) {
                    ::kill(pid, SIGKILL);
                    ::waitpid(pid, nullptr, 0);
                }
            }
        } stopper;
        ClusterAdapter adapter;
        Recorder record(&adapter);
        ClusterConfig config = testConfig(2);
        config.policy = *parsePolicy(policy.toStdString());
        adapter.start(config);
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 15000);
        const std::uint16_t port = record.latest->port;
        const std::vector<int> oldWorkers = { record.latest->workers[0].pid, record.latest->workers[1].pid };

        // A client that opens a new connection for every request, until told to stop.
        std::atomic<bool> done { false };
        std::atomic<int> served { 0 }, failed { 0 };
        std::mutex mutex;
        std::set<int> answeredBy;
        std::string firstFailure;
        std::thread client([&] {
            while (!done) {
                const auto response = cs::test::httpGet(port, "/", 3s);
                if (response.status != 200) {
                    std::lock_guard lock(mutex);
                    if (failed++ == 0)
                        firstFailure = response.error;
                    continue;
                }
                ++served;
                const auto at = response.body.find("(pid ");
                std::lock_guard lock(mutex);
                answeredBy.insert(at == std::string::npos ? 0 : std::atoi(response.body.c_str() + at + 5));
            }
        });
        struct Joiner {
            std::atomic<bool>& done;
            std::thread& thread;
            ~Joiner()
            {
                done = true;
                if (thread.joinable())
                    thread.join();
            }
        } joiner { done, client };
        QTRY_VERIFY_WITH_TIMEOUT(served > 20, 10000);

        adapter.setMasterProgram(QString::fromStdString(cs::test::binDir() + "/clusterscope"));
        const QString error = adapter.leaveRunning();
        stopper.pid = adapter.leftPid();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(adapter.leftName(), QString::number(port));
        QTRY_VERIFY_WITH_TIMEOUT(!adapter.running(), 15000);
        for (const int pid : oldWorkers)
            QTRY_VERIFY_WITH_TIMEOUT(!cs::test::processAlive(pid), 10000);
        // The new master's workers answer now, on the same port.
        const auto newWorkers = cs::test::childrenOf(adapter.leftPid());
        QCOMPARE(newWorkers.size(), std::size_t(2));
        const int before = served;
        QTRY_VERIFY_WITH_TIMEOUT(served > before + 50, 10000);
        done = true;
        client.join();
        QVERIFY2(failed == 0, (std::to_string(failed) + " requests failed, the first: " + firstFailure).c_str());
        {
            std::lock_guard lock(mutex);
            for (const int pid : newWorkers)
                QVERIFY2(answeredBy.count(pid), "a worker of the new master never answered");
        }

        // Attach to it under the name the window's cluster had, and leave it running again.
        record.latest.reset();
        const QString attached = adapter.attach(runtime.path() + QStringLiteral("/clusterscope/") + QString::number(port) + QStringLiteral(".sock"));
        QVERIFY2(attached.isEmpty(), qPrintable(attached));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(2), 10000);
        QCOMPARE(record.latest->port, port);
        adapter.detach();
        QVERIFY(cs::test::processAlive(adapter.leftPid()));
        ::unsetenv("XDG_RUNTIME_DIR");
    }

    void restartsAfterAStop()
    {
        ClusterAdapter adapter;
        Recorder record(&adapter);
        adapter.start(testConfig(1));
        QTRY_VERIFY_WITH_TIMEOUT(record.online(1), 15000);
        QVERIFY(adapter.shutdown(5000));
        QVERIFY(!adapter.running());
        record.latest.reset();
        adapter.start(testConfig(1));
        QVERIFY(adapter.running());
        QTRY_VERIFY_WITH_TIMEOUT(record.online(1), 15000);
    }
};

QTEST_MAIN(TestClusterAdapter)
#include "tst_clusteradapter.moc"
