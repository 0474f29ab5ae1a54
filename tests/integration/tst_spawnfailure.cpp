// A worker that cannot be started (its program gone, not executable, or fork refused) never
// brings the master down: the slot reports it, backs off and retries, and the other workers
// keep serving. Real processes, real sockets, real HTTP; no mocks.
#include "master/cluster.h"
#include "master/spawner.h"
#include "metrics/procstat.h"
#include "testsupport.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using cs::test::waitFor;

Q_DECLARE_METATYPE(cs::SpawnStep)

namespace {

constexpr int kBackoffMaxMs = 400;
/// A respawn is due within the back-off cap; the rest is for a loaded machine.
constexpr auto kBackWithin = std::chrono::milliseconds(kBackoffMaxMs) + 2600ms;
constexpr char kSetpriv[] = "/usr/bin/setpriv";

/// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
public:
    TempDir()
    {
        char pattern[] = "/tmp/cs-spawnfailure-XXXXXX";
        if (::mkdtemp(pattern))
            m_path = pattern;
    }
    ~TempDir()
    {
        std::error_code ignored;
        if (!m_path.empty())
            std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    bool ok() const { return !m_path.empty(); }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

/// Copies one of our executables (from binDir) into `dir` with mode 0755; the new path, or
/// empty when the copy failed.
std::string copyExecutable(const TempDir& dir, const std::string& name)
{
    const std::string target = dir.path() + "/" + name;
    std::error_code ec;
    std::filesystem::copy_file(cs::test::binDir() + "/" + name, target, ec);
    if (ec || ::chmod(target.c_str(), 0755) != 0)
        return {};
    return target;
}

/// A private copy of clusterscope-worker that a test may take away, as a deploy does.
class WorkerProgramCopy {
public:
    WorkerProgramCopy()
        : m_path(m_dir.ok() ? copyExecutable(m_dir, "clusterscope-worker") : std::string {})
    {
    }
    bool ok() const { return !m_path.empty(); }
    const std::string& path() const { return m_path; }
    bool hide() const { return ::rename(m_path.c_str(), away().c_str()) == 0; }
    bool restore() const { return ::rename(away().c_str(), m_path.c_str()) == 0; }
    bool setMode(mode_t mode) const { return ::chmod(m_path.c_str(), mode) == 0; }

private:
    std::string away() const { return m_path + ".away"; }
    TempDir m_dir;
    std::string m_path;
};

/// Two workers that retry a failed slot for ever (the crash-loop limit is out of reach)
/// with a short back-off: 50, 100, 200, 400, 400 ... ms.
cs::ClusterConfig retryingConfig(const std::string& workerProgram)
{
    cs::ClusterConfig config;
    config.port = 0;
    config.workers = 2;
    config.policy = cs::Policy::RoundRobin;
    config.workerProgram = workerProgram;
    config.sampleIntervalMs = 100;
    config.gracefulTimeoutMs = 3000;
    config.restart.backoffInitialMs = 50;
    config.restart.backoffMaxMs = kBackoffMaxMs;
    config.restart.maxCrashes = 1000;
    config.restart.crashWindowMs = 30000;
    return config;
}

const cs::WorkerSample* sampleOf(const cs::Snapshot& snapshot, int slot)
{
    for (const auto& worker : snapshot.workers)
        if (worker.slot == slot)
            return &worker;
    return nullptr;
}

int pidOf(const cs::Cluster& cluster, int slot)
{
    const auto snapshot = cluster.snapshot();
    const auto* worker = sampleOf(*snapshot, slot);
    return worker ? worker->pid : 0;
}

std::optional<cs::WorkerState> stateOf(const cs::Cluster& cluster, int slot)
{
    const auto snapshot = cluster.snapshot();
    const auto* worker = sampleOf(*snapshot, slot);
    return worker ? std::optional(worker->state) : std::nullopt;
}

bool isOnline(const cs::Cluster& cluster, int slot)
{
    const auto snapshot = cluster.snapshot();
    const auto* worker = sampleOf(*snapshot, slot);
    return worker && worker->state == cs::WorkerState::Online && worker->pid > 0;
}

bool startTwoOnline(cs::Cluster& cluster, const cs::ClusterConfig& config)
{
    return cluster.start(config).ok && waitFor([&] { return isOnline(cluster, 1) && isOnline(cluster, 2); }, 10s);
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

/// Collects the cluster's events as they come, so a test can wait for one and read them all.
struct EventLog {
    std::vector<cs::Event> events;

    void take(cs::Cluster& cluster)
    {
        for (auto& event : cluster.takeEvents())
            events.push_back(std::move(event));
    }
    int count(cs::EventKind kind, int slot) const
    {
        return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const cs::Event& e) {
            return e.kind == kind && e.slot == slot;
        }));
    }
    /// A master note (slot 0) whose message holds every needle, ignoring case.
    bool hasMasterNote(const std::vector<std::string>& needles) const
    {
        return std::any_of(events.begin(), events.end(), [&](const cs::Event& e) {
            const auto text = lowercase(e.message);
            return e.kind == cs::EventKind::Log && e.slot == 0
                && std::all_of(needles.begin(), needles.end(), [&](const std::string& n) { return contains(text, n); });
        });
    }
    /// Every event, one line each, for a failure message.
    QByteArray describe() const
    {
        std::string text = "events:";
        for (const auto& e : events)
            text += "\n  " + std::string(cs::eventKindName(e.kind)) + " slot " + std::to_string(e.slot)
                + " delay " + std::to_string(e.delayMs) + ": " + e.message;
        return QByteArray::fromStdString(text);
    }
};

/// What is wrong with the SpawnFailed events of `slot` (empty when nothing): each is one
/// sentence that names the program and the OS error.
std::string spawnFailedMessageProblem(const EventLog& log, int slot, const std::string& program,
                                      const std::string& osError)
{
    for (const auto& e : log.events)
        if (e.kind == cs::EventKind::SpawnFailed && e.slot == slot
            && !(contains(e.message, "could not be started") && contains(e.message, program)
                 && contains(e.message, osError)))
            return "SpawnFailed does not say what failed and why (" + osError + "): " + e.message;
    return {};
}

/// What is wrong with the SpawnFailed events of a slot that backs off (empty when nothing):
/// the message is right, and the slot's next event is the Restart that backs off (a delay
/// within the cap, announced as the "next try"), or Failed once the crash-loop limit is hit.
std::string spawnFailedProblem(const EventLog& log, int slot, const std::string& program, const std::string& osError)
{
    if (auto problem = spawnFailedMessageProblem(log, slot, program, osError); !problem.empty())
        return problem;
    for (auto failed = log.events.begin(); failed != log.events.end(); ++failed) {
        if (failed->kind != cs::EventKind::SpawnFailed || failed->slot != slot)
            continue;
        const auto next
            = std::find_if(failed + 1, log.events.end(), [&](const cs::Event& e) { return e.slot == slot; });
        if (next == log.events.end() || next->kind == cs::EventKind::Failed)
            continue; // its follower is not taken yet, or the slot has given up
        if (next->kind != cs::EventKind::Restart || next->delayMs <= 0 || next->delayMs > kBackoffMaxMs)
            return "SpawnFailed is not followed by a Restart with a back-off in (0, " + std::to_string(kBackoffMaxMs)
                + "] ms but by " + std::string(cs::eventKindName(next->kind)) + " delay "
                + std::to_string(next->delayMs) + ": " + next->message;
        if (!contains(failed->message, "next try"))
            return "SpawnFailed of a slot that backs off does not announce the next try: " + failed->message;
    }
    return {};
}

/// The states `slot` shows in snapshots sampled after `since()` was called.
class SlotStates {
public:
    SlotStates(const cs::Cluster& cluster, int slot)
        : m_cluster(cluster)
        , m_slot(slot)
    {
    }
    /// Only snapshots newer than the current one count: they were sampled after this call.
    void since() { m_after = m_cluster.snapshot()->sequence; }
    void look()
    {
        const auto snapshot = m_cluster.snapshot();
        if (snapshot->sequence <= m_after)
            return;
        if (const auto* worker = sampleOf(*snapshot, m_slot))
            m_seen.insert(worker->state);
    }
    /// True when some fresh snapshot was seen, and each showed backing-off or starting.
    bool onlyRetrying() const
    {
        return !m_seen.empty() && std::all_of(m_seen.begin(), m_seen.end(), [](cs::WorkerState s) {
            return s == cs::WorkerState::BackingOff || s == cs::WorkerState::Starting;
        });
    }
    bool saw(cs::WorkerState state) const { return m_seen.count(state) > 0; }
    QByteArray describe() const
    {
        std::string text = "states seen:";
        for (auto state : m_seen)
            text += " " + std::string(cs::stateName(state));
        return QByteArray::fromStdString(text);
    }

private:
    const cs::Cluster& m_cluster;
    int m_slot;
    std::uint64_t m_after = 0;
    std::set<cs::WorkerState> m_seen;
};

/// Sends `count` requests (Connection: close); empty when every one got 200 from a worker
/// in `servers` (any worker when empty), else what went wrong. `between` runs after each.
std::string failedRequests(std::uint16_t port, int count, const std::set<std::string>& servers = {},
                           const std::function<void()>& between = {})
{
    for (int i = 0; i < count; ++i) {
        auto response = cs::test::httpGet(port, "/");
        if (between)
            between();
        if (response.status != 200)
            return "request " + std::to_string(i + 1) + " got " + std::to_string(response.status) + " " + response.error;
        if (!servers.empty() && servers.count(response.headers["x-worker"]) == 0)
            return "request " + std::to_string(i + 1) + " was served by worker " + response.headers["x-worker"];
    }
    return {};
}

/// Waits until `slot` has had at least `count` SpawnFailed events; false on the deadline.
bool waitSpawnFailures(cs::Cluster& cluster, EventLog& log, int slot, int count, SlotStates* states = nullptr)
{
    return waitFor(
        [&] {
            log.take(cluster);
            if (states)
                states->look();
            return log.count(cs::EventKind::SpawnFailed, slot) >= count;
        },
        5s);
}

/// The line of `text` that holds every needle.
std::optional<std::string> lineWithAll(const std::string& text, const std::vector<std::string>& needles)
{
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        const auto line = text.substr(start, end - start);
        if (std::all_of(needles.begin(), needles.end(), [&](const std::string& n) { return contains(line, n); }))
            return line;
        start = end + 1;
    }
    return std::nullopt;
}

struct Account {
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<Account> nobodyAccount()
{
    const passwd* entry = ::getpwnam("nobody");
    if (!entry)
        return std::nullopt;
    return Account { entry->pw_uid, entry->pw_gid };
}

/// prlimit(2) on `pid`'s RLIMIT_NPROC from a short-lived child that has become `account`:
/// a caller with the target's own ids may change its limits without CAP_SYS_RESOURCE, which
/// a container's root may lack. Returns 0 or the errno of the step that failed.
int setProcessLimitAs(const Account& account, int pid, rlimit limit)
{
    const pid_t child = ::fork();
    if (child < 0)
        return errno;
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(account.gid, account.gid, account.gid) != 0
            || ::setresuid(account.uid, account.uid, account.uid) != 0
            || ::prlimit(pid, RLIMIT_NPROC, &limit, nullptr) != 0)
            ::_exit(errno);
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// setpriv's arguments to run `clusterscope --headless` as `account`. The program is a copy
/// in a 0755 directory the account can read (our build tree need not be), with the worker
/// copied beside it, where the master looks for it.
std::vector<std::string> headlessAsArgs(const Account& account, const std::string& clusterscope)
{
    return { "--reuid=" + std::to_string(account.uid), "--regid=" + std::to_string(account.gid), "--clear-groups",
             clusterscope, "--headless", "--json", "--interval", "100", "--port", "0", "--workers", "2",
             "--restart-limit", "1000", "--backoff-max", std::to_string(kBackoffMaxMs) };
}

} // namespace

class TestSpawnFailure : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedWorkerWhileProgramMissing();
    void rollingRestartWhileProgramMissing();
    void programNotExecutable();
    void crashLoopLimitEndsInFailedThenResetRevives();
    void forkRefusedForLackOfProcesses();
    void eachSpawnStepFailsCleanly_data();
    void eachSpawnStepFailsCleanly();

private:
    void killSlotOneAndExpectRetries(cs::Cluster& cluster, const WorkerProgramCopy& program, const std::string& osError,
                                     int killed);
};

/// Kills slot 1's worker while its program cannot be started and checks the slot reports it,
/// backs off and retries without the master going down, while slot 2 serves every request.
void TestSpawnFailure::killSlotOneAndExpectRetries(cs::Cluster& cluster, const WorkerProgramCopy& program,
                                                   const std::string& osError, int killed)
{
    EventLog log;
    SlotStates states(cluster, 1);
    QCOMPARE(::kill(killed, SIGKILL), 0);
    // Two failures: the first try and at least one retry after a back-off.
    QVERIFY2(waitSpawnFailures(cluster, log, 1, 1), log.describe());
    states.since();
    QVERIFY2(waitSpawnFailures(cluster, log, 1, 2, &states), log.describe());
    QVERIFY(cluster.running());
    const auto port = cluster.snapshot()->port;
    const auto requests = failedRequests(port, 20, { "2" }, [&] { states.look(); });
    QVERIFY2(requests.empty(), requests.c_str());
    QVERIFY2(waitFor([&] { states.look(); return states.saw(cs::WorkerState::BackingOff); }, 2s), states.describe());
    QVERIFY2(states.onlyRetrying(), states.describe());
    log.take(cluster);
    const auto problem = spawnFailedProblem(log, 1, program.path(), osError);
    QVERIFY2(problem.empty(), (problem + "\n" + log.describe().toStdString()).c_str());
    QCOMPARE(log.count(cs::EventKind::Failed, 1), 0);
    QVERIFY(cluster.running());
    QVERIFY(isOnline(cluster, 2));
}

void TestSpawnFailure::killedWorkerWhileProgramMissing()
{
    const WorkerProgramCopy program;
    QVERIFY(program.ok());
    cs::Cluster cluster;
    QVERIFY(startTwoOnline(cluster, retryingConfig(program.path())));
    const int killed = pidOf(cluster, 1);
    QVERIFY(program.hide());
    killSlotOneAndExpectRetries(cluster, program, std::strerror(ENOENT), killed);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(program.restore());
    QVERIFY(waitFor([&] { return isOnline(cluster, 1) && pidOf(cluster, 1) != killed; }, kBackWithin));
    const auto requests = failedRequests(cluster.snapshot()->port, 20);
    QVERIFY2(requests.empty(), requests.c_str());
    QVERIFY(cluster.running());
}

void TestSpawnFailure::rollingRestartWhileProgramMissing()
{
    const WorkerProgramCopy program;
    QVERIFY(program.ok());
    cs::Cluster cluster;
    QVERIFY(startTwoOnline(cluster, retryingConfig(program.path())));
    const int old1 = pidOf(cluster, 1), old2 = pidOf(cluster, 2);
    QVERIFY(program.hide());
    EventLog log;
    log.take(cluster);
    cluster.rollingRestart();
    QVERIFY2(waitFor(
                 [&] {
                     log.take(cluster);
                     return log.count(cs::EventKind::SpawnFailed, 1) >= 1
                         && log.hasMasterNote({ "rolling restart", "abandoned" });
                 },
                 5s),
             log.describe());
    // Abandoned at slot 1: slot 2 was never tried, and both old workers still serve.
    QCOMPARE(log.count(cs::EventKind::SpawnFailed, 2), 0);
    const auto problem = spawnFailedMessageProblem(log, 1, program.path(), std::strerror(ENOENT));
    QVERIFY2(problem.empty(), (problem + "\n" + log.describe().toStdString()).c_str());
    QVERIFY(cluster.running());
    const auto requests = failedRequests(cluster.snapshot()->port, 20, { "1", "2" });
    QVERIFY2(requests.empty(), requests.c_str());
    QVERIFY(isOnline(cluster, 1) && isOnline(cluster, 2));
    QCOMPARE(pidOf(cluster, 1), old1);
    QCOMPARE(pidOf(cluster, 2), old2);

    QVERIFY(program.restore());
    log.events.clear();
    cluster.rollingRestart();
    QVERIFY2(waitFor(
                 [&] {
                     log.take(cluster);
                     const int p1 = pidOf(cluster, 1), p2 = pidOf(cluster, 2);
                     return log.hasMasterNote({ "rolling restart complete" }) && isOnline(cluster, 1)
                         && isOnline(cluster, 2) && p1 != old1 && p2 != old2;
                 },
                 10s),
             log.describe());
    QCOMPARE(log.count(cs::EventKind::SpawnFailed, 1) + log.count(cs::EventKind::SpawnFailed, 2), 0);
}

void TestSpawnFailure::programNotExecutable()
{
    const WorkerProgramCopy program;
    QVERIFY(program.ok());
    cs::Cluster cluster;
    QVERIFY(startTwoOnline(cluster, retryingConfig(program.path())));
    const int killed = pidOf(cluster, 1);
    QVERIFY(program.setMode(0644)); // no execute bit at all: refused even to root
    killSlotOneAndExpectRetries(cluster, program, std::strerror(EACCES), killed);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(program.setMode(0755));
    QVERIFY(waitFor([&] { return isOnline(cluster, 1) && pidOf(cluster, 1) != killed; }, kBackWithin));
    const auto requests = failedRequests(cluster.snapshot()->port, 20);
    QVERIFY2(requests.empty(), requests.c_str());
}

void TestSpawnFailure::crashLoopLimitEndsInFailedThenResetRevives()
{
    const WorkerProgramCopy program;
    QVERIFY(program.ok());
    auto config = retryingConfig(program.path());
    config.restart.maxCrashes = 3;
    cs::Cluster cluster;
    QVERIFY(startTwoOnline(cluster, config));
    const int killed = pidOf(cluster, 1);
    QVERIFY(program.hide());
    EventLog log;
    log.take(cluster);
    QCOMPARE(::kill(killed, SIGKILL), 0);
    QVERIFY2(waitFor(
                 [&] {
                     log.take(cluster);
                     return log.count(cs::EventKind::Failed, 1) == 1;
                 },
                 5s),
             log.describe());
    QVERIFY2(log.count(cs::EventKind::SpawnFailed, 1) >= 1, log.describe());
    const auto problem = spawnFailedProblem(log, 1, program.path(), std::strerror(ENOENT));
    QVERIFY2(problem.empty(), (problem + "\n" + log.describe().toStdString()).c_str());
    QVERIFY(waitFor([&] { return stateOf(cluster, 1) == cs::WorkerState::Failed; }, 2s));
    QVERIFY(cluster.running());
    const auto requests = failedRequests(cluster.snapshot()->port, 20, { "2" });
    QVERIFY2(requests.empty(), requests.c_str());

    QVERIFY(program.restore());
    cluster.resetSlot(1);
    QVERIFY2(waitFor(
                 [&] {
                     log.take(cluster);
                     return isOnline(cluster, 1) && pidOf(cluster, 1) != killed;
                 },
                 kBackWithin),
             log.describe());
    QCOMPARE(log.count(cs::EventKind::Reset, 1), 1);
}

void TestSpawnFailure::forkRefusedForLackOfProcesses()
{
    // Root is exempt from RLIMIT_NPROC, so the master runs as nobody; its limit is then put
    // below the processes nobody already has, and every fork it makes fails with EAGAIN.
    const auto nobody = nobodyAccount();
    QVERIFY2(nobody, "there is no 'nobody' account");
    QVERIFY2(::access(kSetpriv, X_OK) == 0, "setpriv (util-linux) is missing");
    const TempDir dir;
    QVERIFY(dir.ok());
    QCOMPARE(::chmod(dir.path().c_str(), 0755), 0);
    const auto clusterscope = copyExecutable(dir, "clusterscope");
    QVERIFY(!clusterscope.empty() && !copyExecutable(dir, "clusterscope-worker").empty());
    ChildProcess master(kSetpriv, headlessAsArgs(*nobody, clusterscope));
    QVERIFY(master.start());
    const auto port = cs::test::jsonPort(master);
    QVERIFY2(port != 0, master.stderrText().c_str());
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    const int killed = workers.front(); // the JSON lists the workers by slot

    rlimit inherited {}; // setpriv keeps our limits, so this is the master's
    QCOMPARE(::getrlimit(RLIMIT_NPROC, &inherited), 0);
    // Only the soft limit goes down: raising a hard limit again needs CAP_SYS_RESOURCE.
    QCOMPARE(setProcessLimitAs(*nobody, master.pid(), { 1, inherited.rlim_max }), 0);
    QCOMPARE(::kill(killed, SIGKILL), 0);
    const std::vector<std::string> refused { "could not be started", std::strerror(EAGAIN) };
    QVERIFY2(waitFor([&] { return lineWithAll(master.stderrText(), refused).has_value(); }, 5s),
             master.stderrText().c_str());
    QVERIFY2(master.running(), master.stderrText().c_str());
    const auto requests = failedRequests(port, 20);
    QVERIFY2(requests.empty(), requests.c_str());
    QVERIFY2(master.running(), master.stderrText().c_str());

    QCOMPARE(setProcessLimitAs(*nobody, master.pid(), inherited), 0);
    const auto revived = cs::test::onlineWorkerPids(master, 2, { killed }, kBackWithin);
    QVERIFY2(revived.size() == 2, master.stderrText().c_str());
    master.signal(SIGTERM);
    const auto status = master.waitExit(10s);
    QVERIFY2(status.has_value(), "the master did not exit within 10 s of SIGTERM");
    QVERIFY2(WIFEXITED(*status) && WEXITSTATUS(*status) == 0, master.stderrText().c_str());
}

/// Descriptors this test process holds (the master runs in it, so its own count here too).
int openDescriptors()
{
    std::error_code ec;
    int count = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::end(it);
         it.increment(ec))
        ++count;
    return count;
}

/// The live worker processes of `slot` among this process's children (the master runs in
/// it), told apart by the CLUSTERSCOPE_WORKER_ID each was started with.
int workerProcessesOfSlot(int slot)
{
    const std::string id = "CLUSTERSCOPE_WORKER_ID=" + std::to_string(slot) + '\0';
    int count = 0;
    for (int pid : cs::test::childrenOf(::getpid()))
        if (cs::readSmallFile("/proc/" + std::to_string(pid) + "/environ").value_or(std::string {}).find(id)
            != std::string::npos)
            ++count;
    return count;
}

void TestSpawnFailure::eachSpawnStepFailsCleanly_data()
{
    QTest::addColumn<cs::SpawnStep>("step");
    QTest::addColumn<int>("error");
    QTest::addColumn<bool>("rolling");
    const std::pair<const char*, std::pair<cs::SpawnStep, int>> steps[] = {
        { "socketpair", { cs::SpawnStep::Channel, EMFILE } },
        { "pipe", { cs::SpawnStep::Pipes, ENFILE } },
        { "fork", { cs::SpawnStep::Fork, ENOMEM } },
        { "pidfd", { cs::SpawnStep::Pidfd, ENOSYS } },
    };
    for (const auto& [name, step] : steps) {
        QTest::newRow((std::string(name) + " after a crash").c_str()) << step.first << step.second << false;
        QTest::newRow((std::string(name) + " in a rolling restart").c_str()) << step.first << step.second << true;
    }
}

/// Whatever step fails (the seam makes the OS refuse it), the slot's failure takes the one
/// path: a SpawnFailed event that names the error; after a crash the slot backs off and comes
/// back once the step works again; in a rolling restart the restart is abandoned and the old
/// worker keeps serving. The master runs on, the other worker serves, and no descriptor leaks.
void TestSpawnFailure::eachSpawnStepFailsCleanly()
{
    QFETCH(cs::SpawnStep, step);
    QFETCH(int, error);
    QFETCH(bool, rolling);
    auto failing = std::make_shared<std::atomic<bool>>(false);
    cs::Cluster cluster;
    cluster.setSpawnFaultsForTesting([failing, step, error](cs::SpawnStep at, int slot) {
        return failing->load() && at == step && slot == 1 ? error : 0;
    });
    QVERIFY(startTwoOnline(cluster, retryingConfig(cs::test::binDir() + "/clusterscope-worker")));
    const int old1 = pidOf(cluster, 1);
    const int baseline = openDescriptors();
    EventLog log;
    log.take(cluster);
    failing->store(true);
    if (rolling)
        cluster.rollingRestart();
    else
        QCOMPARE(::kill(old1, SIGKILL), 0);
    QVERIFY2(waitSpawnFailures(cluster, log, 1, rolling ? 1 : 2), log.describe());
    // The error, and for the errors about limits what the operator can do.
    const std::string hint = error == EMFILE || error == ENFILE ? "ulimit -n" : error == ENOMEM ? "out of memory" : "";
    for (const auto& e : log.events)
        if (e.kind == cs::EventKind::SpawnFailed)
            QVERIFY2(contains(e.message, std::strerror(error)) && contains(e.message, hint), e.message.c_str());
    const auto servers = rolling ? std::set<std::string> { "1", "2" } : std::set<std::string> { "2" };
    const auto requests = failedRequests(cluster.snapshot()->port, 10, servers);
    QVERIFY2(requests.empty(), requests.c_str());
    QVERIFY(cluster.running());
    if (rolling) {
        QVERIFY2(waitFor([&] { log.take(cluster); return log.hasMasterNote({ "rolling restart", "abandoned" }); }, 5s),
                 log.describe());
        QCOMPARE(pidOf(cluster, 1), old1);
        QVERIFY(isOnline(cluster, 1));
    }
    failing->store(false);
    QVERIFY(waitFor([&] { return isOnline(cluster, 1) && isOnline(cluster, 2); }, kBackWithin));
    // One process per slot (no second "current" one beside the old), and the rolling restart
    // has ended: a new one runs to completion.
    QVERIFY2(waitFor([] { return workerProcessesOfSlot(1) == 1 && workerProcessesOfSlot(2) == 1; }, 3s),
             ("slot 1 runs " + std::to_string(workerProcessesOfSlot(1)) + " processes").c_str());
    log.events.clear();
    cluster.rollingRestart();
    QVERIFY2(waitFor([&] { log.take(cluster); return log.hasMasterNote({ "rolling restart complete" }); }, 10s),
             log.describe());
    // Every descriptor a failed try opened was closed: the count is back where it was
    // (a respawned worker holds as many as the one it replaces).
    QVERIFY2(waitFor([&] { return openDescriptors() == baseline; }, 3s),
             ("descriptors: " + std::to_string(openDescriptors()) + ", before: " + std::to_string(baseline)).c_str());
}

QTEST_APPLESS_MAIN(TestSpawnFailure)
#include "tst_spawnfailure.moc"
