// spawnWorker as a real fork and exec: hundreds of children while other threads allocate
// (the child of a threaded program must not touch a lock another thread may hold: under ASan
// the old launcher's allocation between fork and exec hung the child), errors as sentences,
// and the child's descriptors, environment, directory and signal state.
#include "master/workerlauncher.h"
#include "affinity/cpulist.h"
#include "metrics/procstat.h"
#include "testsupport.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using cs::test::remainingMs;

namespace {

std::uint64_t nextRandom(std::uint64_t& state)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

// Allocation through a random path of two kinds of frame: each path is a call stack ASan has
// not recorded yet, so its stack depot takes its insertion lock again and again, and the
// varied sizes and the few blocks kept alive keep its allocator's size-class and quarantine
// locks busy too. Sums what it read back so no allocation can be optimised away.
[[gnu::noinline]] std::uint64_t churn(std::uint64_t& state, int depth, std::vector<char*>& kept);
[[gnu::noinline]] std::uint64_t churnLeft(std::uint64_t& state, int depth, std::vector<char*>& kept)
{
    return churn(state, depth, kept) + 1;
}
[[gnu::noinline]] std::uint64_t churnRight(std::uint64_t& state, int depth, std::vector<char*>& kept)
{
    return churn(state, depth, kept) + 2;
}
std::uint64_t churn(std::uint64_t& state, int depth, std::vector<char*>& kept)
{
    const std::uint64_t r = nextRandom(state);
    if (depth > 0)
        return (r & 1) != 0 ? churnLeft(state, depth - 1, kept) : churnRight(state, depth - 1, kept);
    const std::size_t size = (r & 0x100) != 0 ? 1 + (r >> 16) % 256 : 1 + (r >> 16) % 65536;
    char* block = new char[size];
    block[0] = static_cast<char>(r);
    block[size - 1] = static_cast<char>(r >> 8);
    asm volatile("" : : "r"(block) : "memory");
    const std::uint64_t seen = static_cast<unsigned char>(block[0]) + static_cast<unsigned char>(block[size - 1]);
    char*& slot = kept[(r >> 40) % kept.size()];
    delete[] slot;
    slot = block;
    return seen;
}

// Threads that allocate and free until told to stop; joined by the destructor, so a failed
// check does not leave them running.
class Allocators {
public:
    explicit Allocators(int count)
    {
        for (int i = 0; i < count; ++i)
            m_threads.emplace_back([this, i] {
                std::uint64_t state = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i + 1);
                std::vector<char*> kept(64, nullptr);
                std::uint64_t sum = 0;
                std::uint64_t rounds = 0;
                while (!m_stop.load(std::memory_order_relaxed)) {
                    sum += churn(state, 4 + static_cast<int>(nextRandom(state) % 13), kept);
                    ++rounds;
                }
                for (char* block : kept)
                    delete[] block;
                m_sum += sum;
                m_rounds += rounds;
            });
    }
    ~Allocators() { stop(); }
    Allocators(const Allocators&) = delete;
    Allocators& operator=(const Allocators&) = delete;
    void stop()
    {
        m_stop = true;
        for (auto& thread : m_threads)
            if (thread.joinable())
                thread.join();
    }
    std::uint64_t rounds() const { return m_rounds; }
    std::uint64_t sum() const { return m_sum; }

private:
    std::atomic<bool> m_stop { false };
    std::atomic<std::uint64_t> m_sum { 0 };
    std::atomic<std::uint64_t> m_rounds { 0 };
    std::vector<std::thread> m_threads;
};

// Children not reaped yet; the destructor kills and reaps them, so a failing test leaves nothing.
class Children {
public:
    ~Children()
    {
        for (int pid : m_pids) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    void add(int pid) { m_pids.push_back(pid); }
    /// The raw wait status once the child has ended; nullopt when the deadline passed first.
    std::optional<int> reap(int pid, std::chrono::milliseconds deadline)
    {
        int status = 0;
        const bool ended = cs::test::waitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, deadline);
        if (!ended)
            return std::nullopt;
        std::erase(m_pids, pid);
        return status;
    }

private:
    std::vector<int> m_pids;
};

std::string describeStatus(int status)
{
    if (WIFEXITED(status))
        return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

// Where a child that did not end is stuck: still our own program (before exec) or the new one.
std::string describeStuck(int pid)
{
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string stat = cs::readSmallFile(proc + "/stat").value_or("(gone)");
    const std::string where = cs::readSmallFile(proc + "/wchan").value_or("(gone)");
    return "/proc stat: " + stat.substr(0, 64) + ", wchan: " + where;
}

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe()
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return;
        // Far from the small numbers the tests place descriptors at.
        read = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 64);
        write = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 64);
        ::close(fds[0]);
        ::close(fds[1]);
    }
    ~Pipe()
    {
        closeRead();
        closeWrite();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void closeRead()
    {
        if (read >= 0)
            ::close(read);
        read = -1;
    }
    void closeWrite()
    {
        if (write >= 0)
            ::close(write);
        write = -1;
    }
};

/// Everything written to `fd` until end of file; nullopt when the deadline passed first.
std::optional<std::string> readToEnd(int fd, std::chrono::milliseconds deadline)
{
    const auto end = Clock::now() + deadline;
    std::string text;
    for (;;) {
        pollfd p { fd, POLLIN, 0 };
        const int ready = ::poll(&p, 1, remainingMs(end));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return std::nullopt;
        char buffer[1024];
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return text;
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

bool descriptorFree(int fd)
{
    return ::fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

cs::SpawnRequest shell(const std::string& script)
{
    cs::SpawnRequest request;
    request.program = "/bin/sh";
    request.args = { "-c", script };
    return request;
}

} // namespace

class TestWorkerLauncher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void manyChildrenWhileOtherThreadsAllocate();
    void failuresAreOneSentence_data();
    void failuresAreOneSentence();
    void descriptorsReachTheirTargets_data();
    void descriptorsReachTheirTargets();
    void onlyMappedDescriptorsAreInherited();
    void standardStreams();
    void workingDirectoryApplies();
    void affinityApplies();
    void signalStateIsFresh();
};

void TestWorkerLauncher::manyChildrenWhileOtherThreadsAllocate()
{
    constexpr int kChildren = 500;
    const auto started = Clock::now();
    Children children;
    Allocators allocators(4);
    cs::SpawnRequest request;
    request.program = "/bin/true";
    for (int i = 0; i < kChildren; ++i) {
        const auto result = cs::spawnWorker(request);
        QVERIFY2(result.pid > 0, result.error.c_str());
        children.add(result.pid);
        const auto status = children.reap(result.pid, 10s);
        if (!status)
            QFAIL(("child " + std::to_string(i) + " (pid " + std::to_string(result.pid)
                   + ") did not end within 10 s; " + describeStuck(result.pid))
                      .c_str());
        QVERIFY2(WIFEXITED(*status) && WEXITSTATUS(*status) == 0, describeStatus(*status).c_str());
    }
    allocators.stop();
    QVERIFY(allocators.rounds() > 0);
    qInfo("%d children in %lld ms while 4 threads made %llu allocations (checksum %llu)", kChildren,
          static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()),
          static_cast<unsigned long long>(allocators.rounds()), static_cast<unsigned long long>(allocators.sum()));
}

void TestWorkerLauncher::failuresAreOneSentence_data()
{
    QTest::addColumn<QByteArray>("program"); // "@file": a fresh non-executable file, "@dir": a directory
    QTest::addColumn<QByteArray>("workingDirectory");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("named"); // what the sentence must name
    QTest::addColumn<int>("cpu"); // -1: none asked for
    QTest::newRow("missing program") << QByteArray("/nonexistent/cs-no-such-program") << QByteArray()
                                     << QByteArray("No such file or directory")
                                     << QByteArray("/nonexistent/cs-no-such-program") << -1;
    QTest::newRow("not executable") << QByteArray("@file") << QByteArray() << QByteArray("Permission denied")
                                    << QByteArray("@file") << -1;
    QTest::newRow("a directory") << QByteArray("@dir") << QByteArray() << QByteArray("Permission denied")
                                 << QByteArray("@dir") << -1;
    QTest::newRow("missing working directory") << QByteArray("/bin/true") << QByteArray("/nonexistent/cs-no-such-dir")
                                               << QByteArray("No such file or directory")
                                               << QByteArray("/nonexistent/cs-no-such-dir") << -1;
    // A CPU the kernel will not give (none has this number here): refused in the child, said.
    QTest::newRow("cpu refused") << QByteArray("/bin/true") << QByteArray()
                                 << QByteArray("it could not be put on CPUs 1023 (Invalid argument") << QByteArray("/bin/true")
                                 << 1023;
}

void TestWorkerLauncher::failuresAreOneSentence()
{
    QFETCH(QByteArray, program);
    QFETCH(QByteArray, workingDirectory);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, named);
    QFETCH(int, cpu);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string file = dir.filePath(QStringLiteral("not-executable")).toStdString();
    std::ofstream(file) << "#!/bin/sh\nexit 0\n";
    QCOMPARE(::chmod(file.c_str(), 0644), 0);
    const auto substitute = [&](const QByteArray& text) {
        return text == "@file" ? file : text == "@dir" ? dir.path().toStdString() : text.toStdString();
    };

    cs::SpawnRequest request;
    request.program = substitute(program);
    request.workingDirectory = workingDirectory.toStdString();
    if (cpu >= 0)
        request.cpus = { cpu };
    Children children;
    const auto result = cs::spawnWorker(request);
    if (result.pid > 0)
        children.add(result.pid);
    QCOMPARE(result.pid, -1);
    QVERIFY2(result.error.find(reason.toStdString()) != std::string::npos, result.error.c_str());
    QVERIFY2(result.error.find("'" + substitute(named) + "'") != std::string::npos, result.error.c_str());
    QVERIFY2(result.error.ends_with('.'), result.error.c_str());
    QVERIFY2(result.error.find('\n') == std::string::npos, result.error.c_str());
    // The failed child has been reaped already: nothing is left for us to wait for.
    QCOMPARE(::waitpid(-1, nullptr, WNOHANG), -1);
    QCOMPARE(errno, ECHILD);
}

void TestWorkerLauncher::descriptorsReachTheirTargets_data()
{
    // Per descriptor: the number our end is placed at first (-1: wherever it is) and its target
    // in the child, where the child writes "<index> $LISTEN_PID $$" to it. Placed numbers and
    // their targets are moved up by kPlacementShift in the test: other threads of this process
    // (QTest's watchdog, Qt's event dispatcher) take the lowest free descriptor at any time, so
    // a low fixed number can be taken by them, and dup3 onto it would close theirs.
    QTest::addColumn<QList<int>>("placedAt");
    QTest::addColumn<QList<int>>("targets");
    QTest::addColumn<bool>("listenPid");
    QTest::newRow("one at 3, socket activation") << QList<int> { -1 } << QList<int> { 3 } << true;
    QTest::newRow("two at 3 and 4") << QList<int> { -1, -1 } << QList<int> { 3, 4 } << false;
    QTest::newRow("already at its target") << QList<int> { 7 } << QList<int> { 7 } << true;
    QTest::newRow("each on the other's number") << QList<int> { 7, 8 } << QList<int> { 8, 7 } << false;
    QTest::newRow("four, reversed") << QList<int> { 9, 8, 7, 6 } << QList<int> { 6, 7, 8, 9 } << true;
}

void TestWorkerLauncher::descriptorsReachTheirTargets()
{
    QFETCH(QList<int>, placedAt);
    QFETCH(QList<int>, targets);
    QFETCH(bool, listenPid);
    constexpr int kPlacementShift = 200;
    for (int i = 0; i < placedAt.size(); ++i) {
        if (placedAt[i] >= 0) {
            placedAt[i] += kPlacementShift;
            targets[i] += kPlacementShift;
        }
    }
    std::vector<std::unique_ptr<Pipe>> pipes;
    cs::SpawnRequest request;
    std::string script;
    for (int i = 0; i < placedAt.size(); ++i) {
        auto& pipe = *pipes.emplace_back(std::make_unique<Pipe>());
        QVERIFY(pipe.write >= 0);
        if (placedAt[i] >= 0 && pipe.write != placedAt[i]) {
            // A taken descriptor would make the case test nothing: fail, never skip.
            if (!descriptorFree(placedAt[i]))
                QFAIL(("descriptor " + std::to_string(placedAt[i]) + " is already in use in this process: "
                       + std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(placedAt[i])).string())
                          .c_str());
            QCOMPARE(::dup3(pipe.write, placedAt[i], O_CLOEXEC), placedAt[i]);
            pipe.closeWrite();
            pipe.write = placedAt[i];
        }
        request.fds.push_back({ pipe.write, targets[i] });
        script += "echo " + std::to_string(i) + " \"$LISTEN_PID\" $$ >&" + std::to_string(targets[i]) + "; ";
    }
    request.program = "/bin/bash"; // dash redirects only to descriptors 0-9
    request.args = { "-c", script };
    request.setListenPid = listenPid;
    request.extraEnvironment = { "LISTEN_PID=1" }; // ours never reaches the child
    Children children;
    const auto result = cs::spawnWorker(request);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    for (auto& pipe : pipes)
        pipe->closeWrite();
    const std::string expectedPid = listenPid ? std::to_string(result.pid) + " " : " ";
    for (int i = 0; i < static_cast<int>(pipes.size()); ++i) {
        const auto text = readToEnd(pipes[static_cast<std::size_t>(i)]->read, 10s);
        QVERIFY(text);
        QCOMPARE(*text, std::to_string(i) + " " + expectedPid + std::to_string(result.pid) + "\n");
    }
    const auto status = children.reap(result.pid, 10s);
    QVERIFY(status);
    QCOMPARE(describeStatus(*status), std::string("exit 0"));
}

void TestWorkerLauncher::onlyMappedDescriptorsAreInherited()
{
    // A descriptor someone forgot to make CLOEXEC must not reach the worker either.
    const int leaked = ::open("/dev/null", O_RDONLY);
    QVERIFY(leaked >= 0);
    Pipe out, mapped;
    auto request = shell("ls /proc/$$/fd; exit 0");
    request.stdoutFd = out.write;
    request.fds.push_back({ mapped.write, 5 });
    Children children;
    const auto result = cs::spawnWorker(request);
    ::close(leaked);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    out.closeWrite();
    mapped.closeWrite();
    const auto text = readToEnd(out.read, 10s);
    QVERIFY(text);
    std::istringstream lines(*text);
    std::vector<int> fds;
    for (int fd; lines >> fd;)
        fds.push_back(fd);
    QCOMPARE(fds, (std::vector<int> { 0, 1, 2, 5 }));
    QVERIFY(children.reap(result.pid, 10s));
}

void TestWorkerLauncher::standardStreams()
{
    Pipe out, err;
    auto request = shell("readlink /proc/self/fd/0; echo to-stderr >&2");
    request.stdoutFd = out.write;
    request.stderrFd = err.write;
    Children children;
    const auto result = cs::spawnWorker(request);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    out.closeWrite();
    err.closeWrite();
    QCOMPARE(readToEnd(out.read, 10s).value_or("(timeout)"), std::string("/dev/null\n"));
    QCOMPARE(readToEnd(err.read, 10s).value_or("(timeout)"), std::string("to-stderr\n"));
    QVERIFY(children.reap(result.pid, 10s));
}

void TestWorkerLauncher::workingDirectoryApplies()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Pipe out;
    auto request = shell("pwd -P >&3");
    request.fds.push_back({ out.write, 3 });
    request.workingDirectory = dir.path().toStdString();
    Children children;
    const auto result = cs::spawnWorker(request);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    out.closeWrite();
    QCOMPARE(readToEnd(out.read, 10s).value_or("(timeout)"),
             std::filesystem::canonical(dir.path().toStdString()).string() + "\n");
    QVERIFY(children.reap(result.pid, 10s));
}

// The set is in force from exec on: the program reads its own Cpus_allowed_list.
void TestWorkerLauncher::affinityApplies()
{
    const cs::CpuList allowed = cs::allowedCpus();
    QVERIFY(!allowed.empty());
    Pipe out;
    auto request = shell("grep Cpus_allowed_list /proc/self/status >&3");
    request.fds.push_back({ out.write, 3 });
    request.cpus = { allowed.back() };
    Children children;
    const auto result = cs::spawnWorker(request);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    out.closeWrite();
    QCOMPARE(readToEnd(out.read, 10s).value_or("(timeout)"), "Cpus_allowed_list:\t" + std::to_string(allowed.back()) + "\n");
    QVERIFY(children.reap(result.pid, 10s));
    QCOMPARE(cs::allowedCpus(), allowed); // ours unchanged
}

void TestWorkerLauncher::signalStateIsFresh()
{
    // The master blocks and ignores signals of its own; none of that may reach a worker.
    sigset_t block, before;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    QCOMPARE(::pthread_sigmask(SIG_BLOCK, &block, &before), 0);
    struct sigaction ignore {}, previous {};
    ignore.sa_handler = SIG_IGN;
    QCOMPARE(::sigaction(SIGUSR2, &ignore, &previous), 0);

    Pipe out;
    auto request = shell("grep -E '^Sig(Blk|Ign):' /proc/self/status >&3");
    request.fds.push_back({ out.write, 3 });
    Children children;
    const auto result = cs::spawnWorker(request);
    sigset_t after;
    ::pthread_sigmask(SIG_SETMASK, &before, &after);
    ::sigaction(SIGUSR2, &previous, nullptr);
    QVERIFY2(result.pid > 0, result.error.c_str());
    children.add(result.pid);
    // spawnWorker gave the caller its mask back unchanged.
    QVERIFY(sigismember(&after, SIGTERM) == 1 && sigismember(&after, SIGHUP) == 1);
    QVERIFY(sigismember(&after, SIGINT) == sigismember(&before, SIGINT));
    out.closeWrite();
    QCOMPARE(readToEnd(out.read, 10s).value_or("(timeout)"),
             std::string("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"));
    QVERIFY(children.reap(result.pid, 10s));
}

QTEST_APPLESS_MAIN(TestWorkerLauncher)
#include "tst_workerlauncher.moc"
