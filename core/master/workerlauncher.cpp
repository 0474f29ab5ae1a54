#include "master/workerlauncher.h"

#include "affinity/cpulist.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cs {
namespace {

constexpr std::size_t kMaxFds = 4;
constexpr char kListenPid[] = "LISTEN_PID=";

/// Owns one descriptor of ours for the length of a spawn.
class Descriptor {
public:
    explicit Descriptor(int fd = -1)
        : m_fd(fd)
    {
    }
    ~Descriptor() { reset(); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return m_fd; }
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd;
};

/// Which step of the child failed; sent to the parent with its errno.
enum class Stage : int { Parent, Descriptors, WorkingDirectory, Affinity, Exec };
struct ChildReport {
    Stage stage;
    int error;
};

/// Everything the child does between fork and exec, prepared before the fork: the child
/// reads it and writes nothing but the LISTEN_PID digits.
struct ChildPlan {
    const char* program = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    char* listenPidDigits = nullptr; ///< null: no LISTEN_PID
    const char* workingDirectory = nullptr; ///< null: ours
    FdMapping moves[kMaxFds + 3] {}; ///< stdin, stdout, stderr and the request's
    int moveCount = 0;
    int above = 10; ///< past every target: copies made at or above it never sit on one
    int report = -1; ///< write end of the CLOEXEC pipe the parent reads
    pid_t parent = -1;
    bool detach = false; ///< a session of its own, and it outlives us
    bool setAffinity = false; ///< false: the child keeps the master's CPUs
    cpu_set_t affinity {}; ///< filled before the fork; the child only reads it
};

void writeDecimal(char* into, long value)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n > 0)
        *into++ = digits[--n];
    *into = '\0';
}

[[noreturn]] void failInChild(const ChildPlan& plan, Stage stage, int error) noexcept
{
    const ChildReport report { stage, error };
    while (::write(plan.report, &report, sizeof(report)) < 0 && errno == EINTR) {
    }
    ::_exit(127);
}

/// The child between fork and exec. Only the forking thread was copied, so a lock another
/// thread held at the fork (malloc's, ASan's stack depot) stays held here for ever: only
/// async-signal-safe calls, no allocation, no exceptions, no C++ library.
[[noreturn]] void runChild(const ChildPlan& plan) noexcept
{
    // The master's handlers must not run in the child: defaults again while the parent's
    // all-blocking mask is still in force (exec keeps SIG_IGN, so reset those too).
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            ::sigaction(sig, &defaults, nullptr);
    // Die with the master. The signal fires when the forking *thread* ends, which is why
    // workers are forked from the master's one long-lived thread; if the master is already
    // gone, getppid() has changed and we stop here.
    // A detached child (a master that carries on the window's cluster) instead leads a
    // session of its own: no terminal hang-up or process-group signal of ours reaches it.
    if (plan.detach) {
        if (::setsid() < 0)
            failInChild(plan, Stage::Parent, errno);
    } else if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != plan.parent) {
        failInChild(plan, Stage::Parent, ESRCH);
    }
    // Copy every source above all targets first, since a source may sit on another's target.
    // A copy is never its own target, so dup2 below always clears CLOEXEC (dup2(fd, fd)
    // would not).
    int copies[kMaxFds + 3];
    for (int i = 0; i < plan.moveCount; ++i)
        if ((copies[i] = ::fcntl(plan.moves[i].source, F_DUPFD_CLOEXEC, plan.above)) < 0)
            failInChild(plan, Stage::Descriptors, errno);
    // Whatever someone forgot to make CLOEXEC does not reach the worker either (Linux 5.11;
    // older kernels refuse and we rely on CLOEXEC alone).
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    for (int i = 0; i < plan.moveCount; ++i)
        if (::dup2(copies[i], plan.moves[i].target) < 0)
            failInChild(plan, Stage::Descriptors, errno);
    if (plan.workingDirectory && ::chdir(plan.workingDirectory) != 0)
        failInChild(plan, Stage::WorkingDirectory, errno);
    // Pinning: one system call on a set made before the fork (glibc's wrapper is the bare
    // syscall). Before exec, so the program starts on its CPUs and every thread it makes
    // inherits them; a set the kernel refuses (a CPU gone offline) fails the spawn, reported.
    if (plan.setAffinity && ::sched_setaffinity(0, sizeof(plan.affinity), &plan.affinity) != 0)
        failInChild(plan, Stage::Affinity, errno);
    if (plan.listenPidDigits)
        writeDecimal(plan.listenPidDigits, ::getpid());
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(plan.program, plan.argv, plan.envp);
    failInChild(plan, Stage::Exec, errno);
}

SpawnResult failure(const std::string& program, const std::string& why)
{
    return { -1, "Could not start the worker program '" + program + "': " + why + ".", "'" + program + "': " + why };
}

/// Which step of the child failed, in words.
SpawnResult childStageFailure(const SpawnRequest& request, const ChildReport& report)
{
    const std::string reason = std::strerror(report.error);
    switch (report.stage) {
    case Stage::Parent:
        return failure(request.program, "the master was exiting");
    case Stage::Descriptors:
        return failure(request.program, "its descriptors could not be set up (" + reason + ")");
    case Stage::WorkingDirectory:
        return { -1,
                 "Could not start the worker program '" + request.program + "' in '" + request.workingDirectory
                     + "': " + reason + ".",
                 "'" + request.program + "' in '" + request.workingDirectory + "': " + reason };
    case Stage::Affinity:
        return failure(request.program, "it could not be put on CPUs " + formatCpuList(request.cpus) + " (" + reason
                           + "; a CPU may have gone offline)");
    case Stage::Exec:
        break;
    }
    return failure(request.program, reason);
}

/// A child was forked and reported its failure (then was reaped).
SpawnResult childFailure(const SpawnRequest& request, const ChildReport& report)
{
    auto result = childStageFailure(request, report);
    result.forked = true;
    return result;
}

/// The strings the child reads through ChildPlan's pointers, kept alive across the fork.
struct ChildStrings {
    std::map<std::string, std::string> environment; ///< name -> "NAME=value"
    std::vector<char*> envp;
    std::string program;
    std::vector<std::string> args;
    std::vector<char*> argv;
};

/// Ours, with the request's entries replacing same-named ones; LISTEN_PID gets room for the
/// digits the child writes.
void prepareEnvironment(const SpawnRequest& request, ChildStrings& strings, ChildPlan& plan)
{
    auto& merged = strings.environment;
    for (char** entry = ::environ; entry && *entry; ++entry) {
        const std::string text(*entry);
        merged[text.substr(0, text.find('='))] = text;
    }
    for (const auto& text : request.extraEnvironment)
        merged[text.substr(0, text.find('='))] = text;
    merged.erase("LISTEN_PID");
    if (request.setListenPid)
        merged["LISTEN_PID"] = std::string(kListenPid) + std::string(20, '0');
    strings.envp.reserve(merged.size() + 1);
    for (auto& [name, text] : merged) {
        strings.envp.push_back(text.data());
        if (name == "LISTEN_PID")
            plan.listenPidDigits = text.data() + sizeof(kListenPid) - 1;
    }
    strings.envp.push_back(nullptr);
    plan.envp = strings.envp.data();
}

void prepareArguments(const SpawnRequest& request, ChildStrings& strings, ChildPlan& plan)
{
    // A relative program is found from our directory, as findProgram checked it, not from the
    // worker's.
    strings.program = request.program;
    if (!strings.program.empty() && strings.program.front() != '/') {
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(strings.program, ec);
        if (!ec)
            strings.program = absolute.string();
    }
    strings.args.reserve(request.args.size() + 1);
    strings.args.push_back(request.program);
    strings.args.insert(strings.args.end(), request.args.begin(), request.args.end());
    strings.argv.reserve(strings.args.size() + 1);
    for (auto& arg : strings.args)
        strings.argv.push_back(arg.data());
    strings.argv.push_back(nullptr);
    plan.program = strings.program.c_str();
    plan.argv = strings.argv.data();
}

/// Which of our descriptors lands where in the child: stdin from `devNull`, then stdout,
/// stderr and the request's.
void planDescriptors(const SpawnRequest& request, int devNull, ChildPlan& plan)
{
    plan.moves[plan.moveCount++] = { devNull, STDIN_FILENO };
    if (request.stdoutFd >= 0)
        plan.moves[plan.moveCount++] = { request.stdoutFd, STDOUT_FILENO };
    if (request.stderrFd >= 0)
        plan.moves[plan.moveCount++] = { request.stderrFd, STDERR_FILENO };
    for (const auto& fd : request.fds) {
        plan.moves[plan.moveCount++] = fd;
        plan.above = std::max(plan.above, fd.target + 1);
    }
}

/// Forks, and waits for the child's report: EOF when the exec succeeded.
SpawnResult forkAndWait(const SpawnRequest& request, ChildPlan& plan, const Descriptor& reportRead,
                        Descriptor& reportWrite)
{
    plan.report = reportWrite.get();
    plan.parent = ::getpid();
    plan.detach = request.detach;
    // fork, not vfork or clone(CLONE_VM): the child then has its own copy of our memory, so
    // nothing it does before exec (a signal, the LISTEN_PID digits) can touch the master's.
    // All signals stay blocked across it, so no handler of ours runs in the child before
    // runChild has put the defaults back.
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    const pid_t pid = ::fork();
    if (pid == 0)
        runChild(plan);
    const int forkError = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (pid < 0)
        return failure(request.program, std::string("fork failed: ") + std::strerror(forkError));
    reportWrite.reset();

    ChildReport report {};
    ssize_t got;
    do
        got = ::read(reportRead.get(), &report, sizeof(report));
    while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof(report)))
        return { pid, {} }; // EOF: exec succeeded; the master owns the child from here
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return childFailure(request, report);
}

SpawnResult spawn(const SpawnRequest& request)
{
    if (request.fds.size() > kMaxFds)
        return failure(request.program, "it was given more than " + std::to_string(kMaxFds) + " descriptors");
    for (const auto& fd : request.fds)
        if (fd.source < 0 || fd.target <= STDERR_FILENO)
            return failure(request.program, "descriptor " + std::to_string(fd.source) + " cannot be given to it as "
                               + std::to_string(fd.target) + " (3 and up only)");
    ChildPlan plan;
    ChildStrings strings;
    prepareEnvironment(request, strings, plan);
    prepareArguments(request, strings, plan);
    plan.workingDirectory = request.workingDirectory.empty() ? nullptr : request.workingDirectory.c_str();
    if (!request.cpus.empty()) {
        plan.setAffinity = true;
        CPU_ZERO(&plan.affinity);
        for (const int cpu : request.cpus) {
            if (cpu < 0 || cpu >= CPU_SETSIZE)
                return failure(request.program, "CPU " + std::to_string(cpu) + " is not a CPU number");
            CPU_SET(cpu, &plan.affinity);
        }
    }
    const Descriptor devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devNull.get() < 0)
        return failure(request.program, std::string("/dev/null could not be opened (") + std::strerror(errno) + ")");
    planDescriptors(request, devNull.get(), plan);

    // The child reports a failed setup or exec here; a successful exec closes it (EOF).
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
        return failure(request.program, std::string("no pipe for its start (") + std::strerror(errno) + ")");
    const Descriptor reportRead(ends[0]);
    Descriptor reportWrite(ends[1]);
    // Kept above every target, so no dup2 in the child lands on it.
    if (ends[1] < plan.above) {
        const int moved = ::fcntl(ends[1], F_DUPFD_CLOEXEC, plan.above);
        if (moved < 0)
            return failure(request.program, std::string("no pipe for its start (") + std::strerror(errno) + ")");
        reportWrite.reset(moved);
    }
    return forkAndWait(request, plan, reportRead, reportWrite);
}

} // namespace

std::string findProgram(const std::string& name)
{
    if (name.empty())
        return {};
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? name : std::string {};
    const char* path = std::getenv("PATH");
    std::stringstream directories(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

SpawnResult spawnWorker(const SpawnRequest& request)
{
    // Only preparing the child can throw (std::bad_alloc): a failure like any other for the caller.
    try {
        return spawn(request);
    } catch (const std::exception& error) {
        try {
            return failure(request.program, error.what());
        } catch (...) {
            return { -1, {}, {} };
        }
    }
}

} // namespace cs
