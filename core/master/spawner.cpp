#include "master/spawner.h"

#include "affinity/cpulist.h"
#include "ipc/channel.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cs {

namespace {

/// Closes what it holds unless released.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) { }
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

int injected(const SpawnFaults& faults, SpawnStep step, int slot)
{
    return faults ? faults(step, slot) : 0;
}

SpawnOutcome failed(SpawnStep step, std::string error)
{
    SpawnOutcome outcome;
    outcome.failedStep = step;
    outcome.error = std::move(error);
    return outcome;
}

/// What the operator can do about the errors that are about limits, after the error text.
std::string withHint(std::string text)
{
    const auto says = [&](int error) { return text.find(std::strerror(error)) != std::string::npos; };
    if (says(EMFILE) || says(ENFILE))
        text += " (raise the open-file limit, ulimit -n)";
    else if (says(EAGAIN) && text.find("fork") != std::string::npos)
        text += " (the process limit, ulimit -u, is reached)";
    else if (says(ENOMEM))
        text += " (out of memory)";
    return text;
}

std::string describeErrno(const char* call, int error)
{
    return withHint(std::string(call) + " failed: " + std::strerror(error));
}

/// A pipe whose read end (ours) is non-blocking and whose write end (the child's) is not.
bool makeOutputPipe(Fd& read, Fd& write)
{
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    read.reset(ends[0]);
    write.reset(ends[1]);
    return ::fcntl(write.get(), F_SETFL, 0) == 0;
}

} // namespace

std::string_view spawnStepName(SpawnStep step) noexcept
{
    switch (step) {
    case SpawnStep::Channel:
        return "channel";
    case SpawnStep::Pipes:
        return "pipes";
    case SpawnStep::Fork:
        return "fork";
    case SpawnStep::Exec:
        return "exec";
    case SpawnStep::Pidfd:
        return "pidfd";
    }
    return "?";
}

SpawnRequest spawnRequestFor(const ClusterConfig& config, int slot, std::uint16_t port, int listenFd, int channelFd,
                             int outFd, int errFd)
{
    SpawnRequest request;
    const std::string slotText = std::to_string(slot);
    request.extraEnvironment = { "CLUSTERSCOPE_WORKER_ID=" + slotText, "PORT=" + std::to_string(port) };
    if (usesBuiltInWorker(config)) {
        request.program = config.workerProgram;
        const char* mode = masterAccepts(config.policy) ? "handoff"
            : config.policy == Policy::Shared          ? "shared"
                                                       : "reuseport";
        request.args = { "--slot", slotText, "--mode", mode, "--bind", config.bindAddress, "--port",
                         std::to_string(port) };
        if (config.chaos)
            request.args.push_back("--chaos");
        request.args.insert(request.args.end(), config.workerArgs.begin(), config.workerArgs.end());
        request.extraEnvironment.push_back("CLUSTERSCOPE_IPC_FD=3");
        request.extraEnvironment.push_back("CLUSTERSCOPE_HEARTBEAT_MS=" + std::to_string(config.heartbeatTimeoutMs));
        request.fds.push_back({ channelFd, 3 });
        if (config.policy == Policy::Shared) {
            request.fds.push_back({ listenFd, 4 });
            request.extraEnvironment.push_back("CLUSTERSCOPE_LISTEN_FD=4");
        }
    } else {
        // Any program: the systemd socket-activation protocol under `shared`, PORT alone under
        // `reuseport`. Arguments are passed as given; no shell is involved. The program is
        // looked up on every spawn, so one installed meanwhile is found.
        const std::string found = findProgram(config.execCommand.front());
        request.program = found.empty() ? config.execCommand.front() : found;
        request.args.assign(config.execCommand.begin() + 1, config.execCommand.end());
        request.workingDirectory = config.workingDirectory;
        if (config.policy == Policy::Shared) {
            request.fds.push_back({ listenFd, 3 });
            request.extraEnvironment.push_back("LISTEN_FDS=1");
            request.extraEnvironment.push_back("LISTEN_FDNAMES=clusterscope");
            request.setListenPid = true;
        }
    }
    request.extraEnvironment.insert(request.extraEnvironment.end(), config.environment.begin(),
                                    config.environment.end());
    request.stdoutFd = outFd;
    request.stderrFd = errFd;
    // The master is never pinned, so its own set is the machine's (or what taskset or a
    // cgroup left it) on every spawn: a respawn and a slot added by scaling get the same CPU.
    if (config.pin || !config.cpus.empty())
        request.cpus = cpusForSlot(config.pin, config.cpus, config.cpus.empty() ? allowedCpus() : CpuList {}, slot);
    return request;
}

SpawnOutcome spawnProcess(const ClusterConfig& config, int slot, std::uint16_t port, int listenFd,
                          const SpawnFaults& faults)
{
    try {
        Fd channelMaster, channelWorker;
        if (usesBuiltInWorker(config)) {
            ipc::SocketPair pair;
            int error = injected(faults, SpawnStep::Channel, slot);
            if (error == 0) {
                std::error_code ec;
                pair = ipc::makeChannel(ec);
                error = ec.value();
            }
            if (error)
                return failed(SpawnStep::Channel, describeErrno("socketpair", error));
            channelMaster.reset(pair.master);
            channelWorker.reset(pair.worker);
            if (::fcntl(channelWorker.get(), F_SETFL, 0) != 0) // the child's end blocks
                return failed(SpawnStep::Channel, describeErrno("fcntl", errno));
        }
        Fd outRead, outWrite, errRead, errWrite;
        if (int error = injected(faults, SpawnStep::Pipes, slot))
            return failed(SpawnStep::Pipes, describeErrno("pipe", error));
        if (!makeOutputPipe(outRead, outWrite) || !makeOutputPipe(errRead, errWrite))
            return failed(SpawnStep::Pipes, describeErrno("pipe", errno));

        const auto request = spawnRequestFor(config, slot, port, listenFd, channelWorker.get(), outWrite.get(),
                                             errWrite.get());
        if (int error = injected(faults, SpawnStep::Fork, slot))
            return failed(SpawnStep::Fork, withHint("'" + request.program + "': fork failed: " + std::strerror(error)));
        const auto result = spawnWorker(request);
        if (result.pid < 0)
            return failed(result.forked ? SpawnStep::Exec : SpawnStep::Fork,
                          result.what.empty() ? "'" + request.program + "': out of memory" : withHint(result.what));

        const int pidfdError = injected(faults, SpawnStep::Pidfd, slot);
        const int pidfd = pidfdError ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, result.pid, 0));
        if (pidfd < 0) {
            // Without a pidfd we could not see it exit: do not leave an unsupervised worker behind.
            const int error = pidfdError ? pidfdError : errno;
            ::kill(result.pid, SIGKILL);
            while (::waitpid(result.pid, nullptr, 0) < 0 && errno == EINTR) {
            }
            return failed(SpawnStep::Pidfd, describeErrno("pidfd_open", error) + " (Linux 5.3 or later is needed)");
        }
        SpawnOutcome outcome;
        outcome.ok = true;
        outcome.process = { result.pid, pidfd, channelMaster.release(), outRead.release(), errRead.release() };
        return outcome;
    } catch (const std::exception& error) { // std::bad_alloc while preparing: a failure like the others
        return failed(SpawnStep::Fork, std::string("out of memory before fork (") + error.what() + ")");
    }
}

} // namespace cs
