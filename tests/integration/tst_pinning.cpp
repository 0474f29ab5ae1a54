// CPU pinning of real workers, read back from the kernel: /proc/PID/status Cpus_allowed_list
// of every worker under --pin and --cpus, after a SIGKILL respawn and after scaling up; the
// master stays free; the command line's bad CPU lists are one sentence naming the flag.
#include "affinity/cpulist.h"
#include "master/cluster.h"
#include "testsupport.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::CpuList;
using cs::test::waitFor;

namespace {

cs::ClusterConfig testConfig(int workers)
{
    cs::ClusterConfig config;
    config.port = 0;
    config.workers = workers;
    config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    config.sampleIntervalMs = 100;
    config.gracefulTimeoutMs = 3000;
    return config;
}

/// What the kernel enforces for `pid`, in its own words; empty when the process is gone.
std::string cpusAllowedList(int pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Cpus_allowed_list:", 0) == 0) {
            std::string value = line.substr(sizeof("Cpus_allowed_list:") - 1);
            value.erase(0, value.find_first_not_of(" \t"));
            return value;
        }
    return {};
}

/// Slot -> pid of every online worker, once `count` are online (empty on timeout).
std::map<int, int> onlineWorkers(const cs::Cluster& cluster, int count, const std::vector<int>& exclude = {})
{
    std::map<int, int> pids;
    waitFor(
        [&] {
            pids.clear();
            for (const auto& w : cluster.snapshot()->workers)
                if (w.state == cs::WorkerState::Online && w.pid > 0
                    && std::find(exclude.begin(), exclude.end(), w.pid) == exclude.end())
                    pids[w.slot] = w.pid;
            return int(pids.size()) == count;
        },
        15s);
    return int(pids.size()) == count ? pids : std::map<int, int> {};
}

/// Every worker's Cpus_allowed_list is the one cpusForSlot gives its slot, and the snapshot
/// reports the same set. Returns a description of the first mismatch (empty: none).
std::string checkPinning(const cs::Cluster& cluster, const std::map<int, int>& pids,
                         const std::function<CpuList(int slot)>& expected)
{
    for (const auto& [slot, pid] : pids) {
        const std::string want = cs::formatCpuList(expected(slot));
        const std::string got = cpusAllowedList(pid);
        if (got != want)
            return "slot " + std::to_string(slot) + " (pid " + std::to_string(pid) + ") may run on '" + got
                + "', expected '" + want + "'";
    }
    // The snapshot reads the same from the kernel (sched_getaffinity), ascending.
    const bool reported = waitFor(
        [&] {
            for (const auto& w : cluster.snapshot()->workers) {
                if (!pids.count(w.slot))
                    continue;
                CpuList want = expected(w.slot);
                std::sort(want.begin(), want.end());
                if (w.allowedCpus != want)
                    return false;
            }
            return true;
        },
        5s);
    return reported ? std::string() : "the snapshot does not report the workers' CPUs";
}

} // namespace

class TestPinning : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void pinPutsEachWorkerOnItsCpuAcrossRespawnAndScaling();
    void cpusAloneHoldsEveryWorkerToTheSet();
    void pinWithCpusFollowsTheListsOrder();
    void unpinnedWorkersKeepTheMastersCpus();
    void headlessPinShowsInTheJson();
    void badCpuListsAreOneSentenceNamingTheFlag_data();
    void badCpuListsAreOneSentenceNamingTheFlag();

private:
    CpuList m_allowed; ///< this process's CPUs before any cluster ran
    std::string m_ownList;
};

void TestPinning::initTestCase()
{
    m_allowed = cs::allowedCpus();
    m_ownList = cpusAllowedList(::getpid());
    QVERIFY(!m_allowed.empty());
    QCOMPARE(cs::formatCpuList(m_allowed), m_ownList);
    // Pinning is only seen as such with two CPUs or more: this suite needs them.
    QVERIFY2(m_allowed.size() >= 2, "these tests need a machine (or cgroup) with at least 2 CPUs");
}

void TestPinning::pinPutsEachWorkerOnItsCpuAcrossRespawnAndScaling()
{
    // One worker more than CPUs: the last one wraps to the first CPU.
    const int workers = int(m_allowed.size()) + 1;
    auto config = testConfig(workers);
    config.pin = true;
    const auto expected = [&](int slot) { return CpuList { m_allowed[std::size_t(slot - 1) % m_allowed.size()] }; };

    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    auto pids = onlineWorkers(cluster, workers);
    QCOMPARE(int(pids.size()), workers);
    auto problem = checkPinning(cluster, pids, expected);
    QVERIFY2(problem.empty(), problem.c_str());
    // The master (this process runs it) is not pinned.
    QCOMPARE(cpusAllowedList(::getpid()), m_ownList);

    // SIGKILL: the respawn in the same slot gets the same CPU.
    const int killed = pids.at(2);
    QCOMPARE(::kill(killed, SIGKILL), 0);
    pids = onlineWorkers(cluster, workers, { killed });
    QCOMPARE(int(pids.size()), workers);
    QVERIFY(pids.at(2) != killed);
    problem = checkPinning(cluster, pids, expected);
    QVERIFY2(problem.empty(), ("after the respawn: " + problem).c_str());

    // Scaling up: the new slot gets its own CPU.
    cluster.scale(workers + 1);
    pids = onlineWorkers(cluster, workers + 1);
    QCOMPARE(int(pids.size()), workers + 1);
    problem = checkPinning(cluster, pids, expected);
    QVERIFY2(problem.empty(), ("after scaling up: " + problem).c_str());
    QCOMPARE(cpusAllowedList(::getpid()), m_ownList);
    cluster.stop();
    QVERIFY(cluster.waitStopped(10s));
}

void TestPinning::cpusAloneHoldsEveryWorkerToTheSet()
{
    auto config = testConfig(2);
    config.cpus = { m_allowed.back() }; // one CPU for all: both workers share it
    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    auto pids = onlineWorkers(cluster, 2);
    QCOMPARE(int(pids.size()), 2);
    auto problem = checkPinning(cluster, pids, [&](int) { return config.cpus; });
    QVERIFY2(problem.empty(), problem.c_str());
    const int killed = pids.at(1);
    QCOMPARE(::kill(killed, SIGKILL), 0);
    pids = onlineWorkers(cluster, 2, { killed });
    problem = checkPinning(cluster, pids, [&](int) { return config.cpus; });
    QVERIFY2(problem.empty(), ("after the respawn: " + problem).c_str());
    QCOMPARE(cpusAllowedList(::getpid()), m_ownList);
}

void TestPinning::pinWithCpusFollowsTheListsOrder()
{
    auto config = testConfig(3);
    config.pin = true;
    config.cpus = { m_allowed.back(), m_allowed.front() }; // "1,0": slot 1 on the last CPU
    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    const auto pids = onlineWorkers(cluster, 3);
    QCOMPARE(int(pids.size()), 3);
    QCOMPARE(cpusAllowedList(pids.at(1)), std::to_string(m_allowed.back()));
    QCOMPARE(cpusAllowedList(pids.at(2)), std::to_string(m_allowed.front()));
    QCOMPARE(cpusAllowedList(pids.at(3)), std::to_string(m_allowed.back()));
}

void TestPinning::unpinnedWorkersKeepTheMastersCpus()
{
    cs::Cluster cluster;
    const auto started = cluster.start(testConfig(2));
    QVERIFY2(started.ok, started.error.c_str());
    const auto pids = onlineWorkers(cluster, 2);
    QCOMPARE(int(pids.size()), 2);
    const auto problem = checkPinning(cluster, pids, [&](int) { return m_allowed; });
    QVERIFY2(problem.empty(), problem.c_str());
}

// The headless master: --pin on the command line, the pinning in its JSON and in /proc.
void TestPinning::headlessPinShowsInTheJson()
{
    cs::test::ChildProcess master(cs::test::binDir() + "/clusterscope",
                                  { "--headless", "--json", "--port", "0", "--workers", "2", "--pin", "--interval", "100" });
    QVERIFY(master.start());
    const auto pids = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(int(pids.size()), 2);
    std::vector<std::string> lists;
    for (int pid : pids)
        lists.push_back(cpusAllowedList(pid));
    std::sort(lists.begin(), lists.end());
    std::vector<std::string> expected { std::to_string(m_allowed[0]), std::to_string(m_allowed[1]) };
    std::sort(expected.begin(), expected.end());
    QCOMPARE(lists, expected);
    QVERIFY(waitFor(
        [&] {
            const std::string line = cs::test::lastJsonLine(master);
            return line.find("\"slot\":1,") != std::string::npos
                && line.find("\"cpus\":\"" + std::to_string(m_allowed[0]) + "\"") != std::string::npos
                && line.find("\"cpus\":\"" + std::to_string(m_allowed[1]) + "\"") != std::string::npos;
        },
        10s));
    // The master itself is free.
    QCOMPARE(cpusAllowedList(master.pid()), m_ownList);
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestPinning::badCpuListsAreOneSentenceNamingTheFlag_data()
{
    QTest::addColumn<QByteArrayList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not a list") << QByteArrayList { "--cpus", "zero" }
                                << "The value 'zero' of --cpus is not valid; use CPU numbers and ranges such as 0,2-3.";
    QTest::newRow("backwards") << QByteArrayList { "--cpus=1-0", "--pin" } << "The value '1-0' of --cpus is not valid";
    QTest::newRow("no such cpu") << QByteArrayList { "--cpus", "1000" } << "CPU 1000 does not exist on this machine";
}

void TestPinning::badCpuListsAreOneSentenceNamingTheFlag()
{
    QFETCH(QByteArrayList, args);
    QFETCH(QString, expected);
    std::vector<std::string> argv { "--headless", "--port", "0", "--workers", "1" };
    for (const QByteArray& arg : args)
        argv.push_back(arg.toStdString());
    cs::test::ChildProcess master(cs::test::binDir() + "/clusterscope", argv);
    QVERIFY(master.start());
    const auto status = master.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 2);
    const std::string err = master.stderrText();
    QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
    QVERIFY2(err.find("--cpus") != std::string::npos, err.c_str());
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1L); // one line
}

QTEST_APPLESS_MAIN(TestPinning)
#include "tst_pinning.moc"
