#include "master/master.h"

#include "ipc/channel.h"
#include "ipc/message.h"
#include "master/workerlauncher.h"
#include "metrics/fairness.h"
#include "metrics/procnet.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

namespace cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::size_t kMaxEvents = 20000; // a log flood must not eat memory
constexpr std::size_t kMaxLogLine = 2000;
constexpr std::size_t kMaxPending = 4096;
constexpr int kAcceptBatch = 128;

int pidfdOpen(int pid)
{
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::string describeStatus(int status)
{
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status))
            + ")";
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}
} // namespace

struct Master::Process {
    Process(asio::io_context& io, int slotId, Role r)
        : slot(slotId)
        , role(r)
        , channel(io)
        , pidfd(io)
        , out(io)
        , err(io)
        , eofTimer(io)
    {
    }
    int slot;
    Role role;
    int pid = -1;
    asio::posix::stream_descriptor channel;
    asio::posix::stream_descriptor pidfd;
    asio::posix::stream_descriptor out;
    asio::posix::stream_descriptor err;
    asio::steady_timer eofTimer;
    std::array<char, 4096> outBuffer {};
    std::array<char, 4096> errBuffer {};
    std::string outLine, errLine;
    Clock::time_point started;
    Clock::time_point lastHeard;
    bool hasChannel = true; ///< the built-in worker; an --exec program has none
    bool ready = false;
    bool listening = false;
    bool draining = false;
    bool exited = false;
    ExitReason killReason = ExitReason::None;
    ipc::Telemetry telemetry;
    std::uint64_t handedOff = 0;
    // sampling
    bool haveCpu = false;
    std::uint64_t cpuTicks = 0;
    double cpuPercent = 0;
    std::uint64_t rssBytes = 0;
    int core = -1;
    LatencyHistogram::Counts latencyAtSample {};
};

struct Master::Slot {
    Slot(asio::io_context& io, int slotId, const RestartLimits& limits)
        : id(slotId)
        , tracker(limits)
        , backoff(io)
    {
    }
    int id;
    bool wanted = true;
    bool failed = false;
    bool backingOff = false;
    RestartTracker tracker;
    asio::steady_timer backoff;
    int restarts = 0;
    std::uint64_t requestsBase = 0; // of processes that have ended
    double cpuSecondsBase = 0;
    LatencyHistogram latencyBase;
    std::uint64_t acceptedBase = 0;
    std::uint64_t handedOff = 0;
    std::uint64_t requestsAtSample = 0;
};

Master::Master(ClusterConfig config, int listenFd, std::uint16_t port)
    : m_config(std::move(config))
    , m_listenFd(listenFd)
    , m_port(port)
    , m_started(Clock::now())
    , m_listener(m_io)
    , m_housekeepingTimer(m_io)
    , m_sampleTimer(m_io)
    , m_stopTimer(m_io)
    , m_scheduler(m_config.policy)
    , m_lastSample(m_started)
    , m_ticksPerSecond(::sysconf(_SC_CLK_TCK))
    , m_pageSize(::sysconf(_SC_PAGESIZE))
{
    if (masterAccepts(m_config.policy))
        m_listener.assign(::fcntl(m_listenFd, F_DUPFD_CLOEXEC, 3));
    ipc::encode(ipc::Connection {}, m_connectionPacket);
    auto empty = std::make_shared<Snapshot>();
    empty->bindAddress = m_config.bindAddress;
    empty->port = m_port;
    empty->policy = m_config.policy;
    empty->masterPid = ::getpid();
    empty->running = true;
    m_snapshot = std::move(empty);
}

Master::~Master()
{
    for (const auto& process : m_processes)
        if (!process->exited && process->pid > 0)
            ::kill(process->pid, SIGKILL);
    if (m_listenFd >= 0)
        ::close(m_listenFd);
    for (int fd : m_pending)
        ::close(fd);
}

void Master::run()
{
    for (int id = 1; id <= m_config.workers; ++id)
        m_slots.push_back(std::make_unique<Slot>(m_io, id, m_config.restart));
    for (auto& slot : m_slots)
        spawn(*slot, Role::Current);
    housekeeping();
    sample();
    m_io.run();
}

void Master::post(std::function<void()> task)
{
    asio::post(m_io, std::move(task));
}

std::shared_ptr<const Snapshot> Master::snapshot() const
{
    std::lock_guard lock(m_mutex);
    return m_snapshot;
}

std::vector<Event> Master::takeEvents()
{
    std::lock_guard lock(m_mutex);
    std::vector<Event> events(std::make_move_iterator(m_events.begin()), std::make_move_iterator(m_events.end()));
    m_events.clear();
    return events;
}

double Master::now() const
{
    return std::chrono::duration<double>(Clock::now() - m_started).count();
}

void Master::emit(Event event)
{
    event.time = now();
    {
        std::lock_guard lock(m_mutex);
        if (m_events.size() >= kMaxEvents)
            m_events.pop_front();
        m_events.push_back(std::move(event));
    }
    notify();
}

void Master::notify()
{
    // Coalesced: a burst of events (a chatty worker's log) wakes the reader once.
    if (m_notifyScheduled || !m_notifier)
        return;
    m_notifyScheduled = true;
    asio::post(m_io, [this] {
        m_notifyScheduled = false;
        if (m_notifier)
            m_notifier();
    });
}

Master::Slot* Master::findSlot(int id)
{
    for (auto& slot : m_slots)
        if (slot->id == id)
            return slot.get();
    return nullptr;
}

Master::Process* Master::currentOf(const Slot& slot) const
{
    for (const auto& process : m_processes)
        if (process->slot == slot.id && process->role == Role::Current && !process->exited)
            return process.get();
    return nullptr;
}

bool Master::serving(const Process& process) const
{
    return masterAccepts(m_config.policy) ? process.ready : process.listening;
}

// ---------------------------------------------------------------------------------------
// Processes

void Master::spawn(Slot& slot, Role role)
{
    slot.backingOff = false;
    const bool builtIn = usesBuiltInWorker(m_config);
    std::error_code ec;
    ipc::SocketPair channel;
    if (builtIn)
        channel = ipc::makeChannel(ec);
    int outPipe[2] = { -1, -1 }, errPipe[2] = { -1, -1 };
    if (ec || ::pipe2(outPipe, O_CLOEXEC | O_NONBLOCK) != 0 || ::pipe2(errPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        const int error = ec ? ec.value() : errno;
        for (int fd : { channel.master, channel.worker, outPipe[0], outPipe[1], errPipe[0], errPipe[1] })
            if (fd >= 0)
                ::close(fd);
        emit({ .kind = EventKind::Log, .slot = slot.id,
               .message = std::string("Could not create the worker's pipes: ") + std::strerror(error) });
        scheduleRespawn(slot, 0ms);
        return;
    }
    // The child's ends must not be non-blocking: only the master's ends are.
    ::fcntl(outPipe[1], F_SETFL, 0);
    ::fcntl(errPipe[1], F_SETFL, 0);
    if (channel.worker >= 0)
        ::fcntl(channel.worker, F_SETFL, 0);

    SpawnRequest request;
    const std::string slotText = std::to_string(slot.id);
    request.extraEnvironment = { "CLUSTERSCOPE_WORKER_ID=" + slotText, "PORT=" + std::to_string(m_port) };
    if (builtIn) {
        request.program = m_config.workerProgram;
        const char* mode = masterAccepts(m_config.policy) ? "handoff"
            : m_config.policy == Policy::Shared          ? "shared"
                                                         : "reuseport";
        request.args = { "--slot", slotText, "--mode", mode, "--bind", m_config.bindAddress, "--port",
                         std::to_string(m_port) };
        if (m_config.chaos)
            request.args.push_back("--chaos");
        request.args.insert(request.args.end(), m_config.workerArgs.begin(), m_config.workerArgs.end());
        request.extraEnvironment.push_back("CLUSTERSCOPE_IPC_FD=3");
        request.fds.push_back({ channel.worker, 3 });
        if (m_config.policy == Policy::Shared) {
            request.fds.push_back({ m_listenFd, 4 });
            request.extraEnvironment.push_back("CLUSTERSCOPE_LISTEN_FD=4");
        }
    } else {
        // Any program: the systemd socket-activation protocol under `shared`, PORT alone under
        // `reuseport`. Arguments are passed as given; no shell is involved.
        request.program = findProgram(m_config.execCommand.front());
        request.args.assign(m_config.execCommand.begin() + 1, m_config.execCommand.end());
        request.workingDirectory = m_config.workingDirectory;
        if (m_config.policy == Policy::Shared) {
            request.fds.push_back({ m_listenFd, 3 });
            request.extraEnvironment.push_back("LISTEN_FDS=1");
            request.extraEnvironment.push_back("LISTEN_FDNAMES=clusterscope");
            request.setListenPid = true;
        }
    }
    request.extraEnvironment.insert(request.extraEnvironment.end(), m_config.environment.begin(),
                                    m_config.environment.end());
    request.stdoutFd = outPipe[1];
    request.stderrFd = errPipe[1];
    const auto result = spawnWorker(request);
    if (channel.worker >= 0)
        ::close(channel.worker);
    ::close(outPipe[1]);
    ::close(errPipe[1]);

    auto process = std::make_shared<Process>(m_io, slot.id, role);
    process->hasChannel = builtIn;
    if (builtIn)
        process->channel.assign(channel.master);
    process->out.assign(outPipe[0]);
    process->err.assign(errPipe[0]);
    process->started = process->lastHeard = Clock::now();
    if (result.pid < 0) {
        emit({ .kind = EventKind::Exit, .slot = slot.id, .reason = ExitReason::ExitCode, .exitCode = 127,
               .message = result.error });
        if (role == Role::Incoming) {
            m_rollingActive = false;
            m_rollingQueue.clear();
            return;
        }
        scheduleRespawn(slot, 0ms);
        return;
    }
    process->pid = result.pid;
    const int pidfd = pidfdOpen(result.pid);
    if (pidfd < 0) {
        // Without a pidfd we could not see it exit: do not leave an unsupervised worker behind.
        ::kill(result.pid, SIGKILL);
        ::waitpid(result.pid, nullptr, 0);
        emit({ .kind = EventKind::Log, .slot = slot.id,
               .message = std::string("Could not watch the worker (pidfd_open: ") + std::strerror(errno)
                   + "); Linux 5.3 or later is needed." });
        return;
    }
    process->pidfd.assign(pidfd);
    m_processes.push_back(process);
    emit({ .kind = EventKind::Fork, .slot = slot.id, .pid = result.pid,
           .message = "worker " + slotText + " forked as pid " + std::to_string(result.pid) });
    watchExit(process);
    if (builtIn)
        readChannel(process);
    readLog(process, false);
    readLog(process, true);
    if (!builtIn && m_config.policy == Policy::Shared) {
        // The inherited socket already listens: connections wait in its queue until the
        // program accepts, so it counts as serving from the start.
        process->ready = process->listening = true;
        emit({ .kind = EventKind::Online, .slot = slot.id, .pid = result.pid,
               .message = "worker " + slotText + " started with the listening socket (socket activation)" });
        onServing(process);
    }
}

void Master::checkExecListening()
{
    // An --exec program under reuseport is serving once it holds a socket listening on our port.
    std::vector<ProcessPtr> waiting;
    for (const auto& process : m_processes)
        if (!process->hasChannel && !process->listening && !process->exited && process->killReason == ExitReason::None)
            waiting.push_back(process);
    if (waiting.empty())
        return;
    std::vector<std::uint64_t> inodes;
    for (const char* table : { "/proc/net/tcp", "/proc/net/tcp6" })
        if (const auto text = readSmallFile(table)) {
            const auto found = listeningInodes(*text, m_port);
            inodes.insert(inodes.end(), found.begin(), found.end());
        }
    for (const auto& process : waiting) {
        if (!holdsSocket(process->pid, inodes))
            continue;
        process->ready = process->listening = true;
        emit({ .kind = EventKind::Listening, .slot = process->slot, .pid = process->pid,
               .message = "worker " + std::to_string(process->slot) + " listens on port " + std::to_string(m_port) });
        onServing(process);
    }
}

void Master::watchExit(const ProcessPtr& process)
{
    process->pidfd.async_wait(asio::posix::descriptor_base::wait_read, [this, process](boost::system::error_code ec) {
        if (ec || process->exited)
            return;
        int status = 0;
        const int reaped = ::waitpid(process->pid, &status, WNOHANG);
        if (reaped == 0) {
            watchExit(process);
            return;
        }
        onExit(process, reaped == process->pid ? status : 0);
    });
}

void Master::readChannel(const ProcessPtr& process)
{
    process->channel.async_wait(asio::posix::descriptor_base::wait_read, [this, process](boost::system::error_code ec) {
        if (ec || process->exited)
            return;
        std::array<std::byte, ipc::kMaxPacket> buffer;
        for (int i = 0; i < 64; ++i) {
            const auto received = ipc::receivePacket(process->channel.native_handle(), buffer);
            if (received.error == EAGAIN)
                break;
            if (received.error != 0 || received.eof) {
                // EOF also comes just before a normal exit: give the exit a moment to show up
                // before calling it a broken channel.
                process->eofTimer.expires_after(500ms);
                process->eofTimer.async_wait([this, process](boost::system::error_code timerError) {
                    if (!timerError && !process->exited && process->killReason == ExitReason::None) {
                        emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                               .message = "worker closed its channel to the master; killing it" });
                        kill(*process, SIGKILL, ExitReason::ChannelError);
                    }
                });
                return;
            }
            if (received.truncated) {
                if (received.fd >= 0)
                    ::close(received.fd);
                emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                       .message = "worker sent an oversized packet on its channel; killing it" });
                kill(*process, SIGKILL, ExitReason::ChannelError);
                return;
            }
            onMessage(process, std::span<const std::byte>(buffer.data(), received.size), received.fd);
            if (process->exited || process->killReason == ExitReason::ChannelError)
                return;
        }
        readChannel(process);
    });
}

void Master::readLog(const ProcessPtr& process, bool errorStream)
{
    auto& stream = errorStream ? process->err : process->out;
    auto& buffer = errorStream ? process->errBuffer : process->outBuffer;
    stream.async_read_some(asio::buffer(buffer), [this, process, errorStream](boost::system::error_code ec,
                                                                               std::size_t n) {
        auto& line = errorStream ? process->errLine : process->outLine;
        const auto& data = errorStream ? process->errBuffer : process->outBuffer;
        for (std::size_t i = 0; i < n; ++i) {
            if (data[i] == '\n' || line.size() >= kMaxLogLine) {
                emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                       .exitCode = errorStream ? 2 : 1, .message = std::move(line) });
                line.clear();
                if (data[i] == '\n')
                    continue;
            }
            line.push_back(data[i]);
        }
        if (ec) {
            if (!line.empty())
                emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                       .exitCode = errorStream ? 2 : 1, .message = std::move(line) });
            line.clear();
            return;
        }
        readLog(process, errorStream);
    });
}

void Master::onMessage(const ProcessPtr& process, std::span<const std::byte> packet, int fd)
{
    if (fd >= 0)
        ::close(fd); // workers never send descriptors
    const auto decoded = ipc::decode(packet);
    if (!decoded.message) {
        emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
               .message = std::string("worker sent a malformed message (") + ipc::describe(decoded.error)
                   + "); killing it" });
        kill(*process, SIGKILL, ExitReason::ChannelError);
        return;
    }
    process->lastHeard = Clock::now();
    if (const auto* telemetry = std::get_if<ipc::Telemetry>(&*decoded.message)) {
        process->telemetry = *telemetry;
        if (!m_pending.empty())
            flushPending();
    } else if (std::get_if<ipc::Ready>(&*decoded.message)) {
        if (process->ready)
            return;
        process->ready = true;
        emit({ .kind = EventKind::Online, .slot = process->slot, .pid = process->pid,
               .message = "worker " + std::to_string(process->slot) + " is online" });
        if (serving(*process))
            onServing(process);
    } else if (std::get_if<ipc::Listening>(&*decoded.message)) {
        if (process->listening)
            return;
        process->listening = true;
        emit({ .kind = EventKind::Listening, .slot = process->slot, .pid = process->pid,
               .message = "worker " + std::to_string(process->slot) + " is listening" });
        if (serving(*process))
            onServing(process);
    } else {
        emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
               .message = "worker sent a master-only message; killing it" });
        kill(*process, SIGKILL, ExitReason::ChannelError);
    }
}

void Master::onServing(const ProcessPtr& process)
{
    if (process->role == Role::Incoming) {
        // Rolling restart: the replacement serves, so the old process can go.
        for (const auto& other : m_processes)
            if (other->slot == process->slot && other->role == Role::Current && !other->exited) {
                other->role = Role::Retiring;
                drain(*other);
            }
        process->role = Role::Current;
        if (auto* slot = findSlot(process->slot))
            ++slot->restarts;
        continueRollingRestart();
    }
    if (m_stopping) {
        drain(*process);
        return;
    }
    flushPending();
    armAccept();
}

void Master::drain(Process& process)
{
    if (process.draining || process.exited)
        return;
    process.draining = true;
    if (!process.hasChannel) {
        ::kill(process.pid, SIGTERM); // what servers we did not write understand as "finish and exit"
        return;
    }
    const auto grace = static_cast<std::uint32_t>(std::max(0, m_config.gracefulTimeoutMs));
    if (ipc::sendMessage(process.channel.native_handle(), ipc::Drain { grace }) != 0)
        ::kill(process.pid, SIGTERM); // the channel is full or gone: the signal drains too
}

void Master::kill(Process& process, int signal, ExitReason reason)
{
    if (process.exited || process.pid <= 0)
        return;
    if (process.killReason == ExitReason::None)
        process.killReason = reason;
    ::kill(process.pid, signal);
}

void Master::onExit(const ProcessPtr& process, int status)
{
    process->exited = true;
    boost::system::error_code ignored;
    process->channel.close(ignored);
    process->pidfd.close(ignored);
    process->eofTimer.cancel();
    const auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - process->started);
    m_processes.erase(std::remove(m_processes.begin(), m_processes.end(), process), m_processes.end());

    ExitReason reason = process->killReason;
    if (reason == ExitReason::None) {
        if (process->draining || process->role == Role::Retiring)
            reason = ExitReason::Stopped;
        else if (WIFSIGNALED(status))
            reason = ExitReason::Crash;
        else
            reason = WEXITSTATUS(status) == 0 ? ExitReason::Clean : ExitReason::ExitCode;
    }
    Event exitEvent { .kind = EventKind::Exit, .slot = process->slot, .pid = process->pid, .reason = reason };
    exitEvent.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    exitEvent.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    exitEvent.message = "worker " + std::to_string(process->slot) + " (pid " + std::to_string(process->pid) + ") "
        + describeStatus(status) + " [" + std::string(exitReasonName(reason)) + "]";
    emit(std::move(exitEvent));

    Slot* slot = findSlot(process->slot);
    if (slot) {
        slot->requestsBase += process->telemetry.requests;
        slot->cpuSecondsBase += static_cast<double>(process->cpuTicks) / static_cast<double>(m_ticksPerSecond);
        LatencyHistogram ended;
        ended.setCounts(process->telemetry.latency);
        slot->latencyBase.add(ended);
        slot->acceptedBase += process->telemetry.connectionsAccepted;
    }
    if (slot && process->role == Role::Incoming && !m_stopping) {
        emit({ .kind = EventKind::Log, .slot = slot->id,
               .message = "rolling restart stopped: the replacement of worker " + std::to_string(slot->id)
                   + " exited before it was ready; the old worker keeps serving" });
        m_rollingActive = false;
        m_rollingQueue.clear();
    } else if (slot && process->role == Role::Current) {
        if (m_stopping || !slot->wanted) {
            // ended as asked
        } else if (reason == ExitReason::KilledByUser) {
            // The user asked for this exit: respawn at once, and it does not count as a crash.
            ++slot->restarts;
            emit({ .kind = EventKind::Restart, .slot = slot->id, .message = "respawning worker " + std::to_string(slot->id) });
            spawn(*slot, Role::Current);
        } else {
            scheduleRespawn(*slot, uptime);
        }
    }
    // A scaled-down slot disappears once nothing runs in it.
    if (slot && !slot->wanted && !m_stopping) {
        const bool busy = std::any_of(m_processes.begin(), m_processes.end(),
                                      [&](const ProcessPtr& p) { return p->slot == slot->id; });
        if (!busy)
            m_slots.erase(std::remove_if(m_slots.begin(), m_slots.end(),
                                         [&](const std::unique_ptr<Slot>& s) { return s.get() == slot; }),
                          m_slots.end());
    }
    finishIfDone();
}

void Master::scheduleRespawn(Slot& slot, std::chrono::milliseconds uptime)
{
    const auto decision = slot.tracker.onCrash(Clock::now(), uptime);
    if (decision.failed) {
        slot.failed = true;
        emit({ .kind = EventKind::Failed, .slot = slot.id,
               .message = "worker " + std::to_string(slot.id) + " crashed "
                   + std::to_string(slot.tracker.crashesInWindow(Clock::now())) + " times within "
                   + std::to_string(m_config.restart.crashWindowMs / 1000.0).substr(0, 4)
                   + " s; it is no longer respawned (reset it to try again)" });
        const bool allFailed = std::all_of(m_slots.begin(), m_slots.end(), [](const std::unique_ptr<Slot>& s) {
            return s->failed || !s->wanted;
        });
        if (allFailed && m_config.stopWhenAllFailed) {
            emit({ .kind = EventKind::Log, .message = "every worker slot has failed; stopping the cluster" });
            m_stopExitCode = 1;
            stop(true);
        }
        return;
    }
    ++slot.restarts;
    emit({ .kind = EventKind::Restart, .slot = slot.id, .delayMs = decision.delayMs,
           .message = decision.delayMs == 0 ? "respawning worker " + std::to_string(slot.id)
                                            : "respawning worker " + std::to_string(slot.id) + " in "
                   + std::to_string(decision.delayMs) + " ms (back-off)" });
    if (decision.delayMs == 0) {
        spawn(slot, Role::Current);
        return;
    }
    slot.backingOff = true;
    slot.backoff.expires_after(std::chrono::milliseconds(decision.delayMs));
    const int id = slot.id;
    slot.backoff.async_wait([this, id](boost::system::error_code ec) {
        Slot* target = findSlot(id);
        if (ec || !target || m_stopping || !target->wanted || !target->backingOff)
            return;
        spawn(*target, Role::Current);
    });
}

// ---------------------------------------------------------------------------------------
// Commands

void Master::stop(bool fast)
{
    if (m_finished)
        return;
    if (m_stopping && !fast && !m_fastStopping)
        fast = true; // a second graceful stop escalates
    if (m_stopping && m_fastStopping)
        return;
    const bool first = !m_stopping;
    m_stopping = true;
    m_fastStopping = fast;
    boost::system::error_code ignored;
    m_listener.close(ignored);
    for (int fd : m_pending)
        ::close(fd);
    m_pending.clear();
    m_rollingQueue.clear();
    m_rollingActive = false;
    for (auto& slot : m_slots) {
        slot->backoff.cancel();
        slot->backingOff = false;
    }
    if (first)
        emit({ .kind = EventKind::Log, .message = fast ? "stopping the cluster now" : "stopping the cluster gracefully" });
    else
        emit({ .kind = EventKind::Log, .message = "second stop request: stopping now" });
    for (const auto& process : m_processes) {
        if (fast)
            kill(*process, SIGKILL, ExitReason::Stopped);
        else
            drain(*process);
    }
    if (!fast) {
        m_stopTimer.expires_after(std::chrono::milliseconds(m_config.gracefulTimeoutMs));
        m_stopTimer.async_wait([this](boost::system::error_code ec) {
            if (ec || m_finished)
                return;
            emit({ .kind = EventKind::Log, .message = "grace period over: killing the workers still running" });
            m_fastStopping = true;
            for (const auto& process : m_processes)
                kill(*process, SIGKILL, ExitReason::Timeout);
        });
    }
    finishIfDone();
}

void Master::finishIfDone()
{
    if (!m_stopping || m_finished || !m_processes.empty())
        return;
    m_finished = true;
    m_stopTimer.cancel();
    m_housekeepingTimer.cancel();
    m_sampleTimer.cancel();
    sample(); // the last picture: every slot stopped
    emit({ .kind = EventKind::Stopped, .exitCode = m_stopExitCode,
           .message = m_stopExitCode == 0 ? "cluster stopped" : "cluster stopped: every worker slot failed" });
    // Let the notifier run once more, then end the loop.
    asio::post(m_io, [this] { m_io.stop(); });
}

void Master::scale(int workers)
{
    if (m_stopping)
        return;
    workers = std::clamp(workers, 1, 256);
    int wanted = 0;
    for (const auto& slot : m_slots)
        wanted += slot->wanted ? 1 : 0;
    if (workers == wanted)
        return;
    if (workers > wanted) {
        for (int i = 0; i < workers - wanted; ++i) {
            int id = 1;
            while (findSlot(id))
                ++id;
            auto slot = std::make_unique<Slot>(m_io, id, m_config.restart);
            auto* raw = slot.get();
            m_slots.push_back(std::move(slot));
            std::sort(m_slots.begin(), m_slots.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
            spawn(*raw, Role::Current);
        }
    } else {
        int toRemove = wanted - workers;
        for (auto it = m_slots.rbegin(); it != m_slots.rend() && toRemove > 0; ++it) {
            Slot& slot = **it;
            if (!slot.wanted)
                continue;
            slot.wanted = false;
            slot.backoff.cancel();
            slot.backingOff = false;
            --toRemove;
            for (const auto& process : m_processes)
                if (process->slot == slot.id) {
                    process->role = Role::Retiring;
                    drain(*process);
                }
        }
        m_slots.erase(std::remove_if(m_slots.begin(), m_slots.end(),
                                     [&](const std::unique_ptr<Slot>& s) {
                                         return !s->wanted
                                             && std::none_of(m_processes.begin(), m_processes.end(),
                                                             [&](const ProcessPtr& p) { return p->slot == s->id; });
                                     }),
                      m_slots.end());
    }
    emit({ .kind = EventKind::Scaled, .exitCode = workers,
           .message = "scaled to " + std::to_string(workers) + " worker" + (workers == 1 ? "" : "s") });
}

void Master::scaleBy(int delta)
{
    const auto wanted = std::count_if(m_slots.begin(), m_slots.end(), [](const auto& s) { return s->wanted; });
    scale(static_cast<int>(wanted) + delta);
}

void Master::signalWorker(int slotId, int signal)
{
    Slot* slot = findSlot(slotId);
    Process* process = slot ? currentOf(*slot) : nullptr;
    if (!process) {
        emit({ .kind = EventKind::Log, .slot = slotId,
               .message = "worker " + std::to_string(slotId) + " has no running process to signal" });
        return;
    }
    const bool ends = signal == SIGTERM || signal == SIGKILL || signal == SIGINT || signal == SIGQUIT
        || signal == SIGABRT || signal == SIGSEGV;
    emit({ .kind = EventKind::Log, .slot = slotId, .pid = process->pid, .signal = signal,
           .message = std::string("sending ") + ::sigabbrev_np(signal) + " to worker " + std::to_string(slotId) });
    if (ends)
        kill(*process, signal, ExitReason::KilledByUser);
    else
        ::kill(process->pid, signal);
}

void Master::crashWorker(int slotId)
{
    Slot* slot = findSlot(slotId);
    Process* process = slot ? currentOf(*slot) : nullptr;
    if (!process) {
        emit({ .kind = EventKind::Log, .slot = slotId,
               .message = "worker " + std::to_string(slotId) + " has no running process to crash" });
        return;
    }
    emit({ .kind = EventKind::Log, .slot = slotId, .pid = process->pid, .signal = SIGABRT,
           .message = "making worker " + std::to_string(slotId) + " crash (SIGABRT)" });
    ::kill(process->pid, SIGABRT); // no kill reason: the exit is read as the crash it is
}

void Master::rollingRestart()
{
    if (m_stopping)
        return;
    if (m_rollingActive) {
        emit({ .kind = EventKind::Log, .message = "a rolling restart is already under way" });
        return;
    }
    m_rollingQueue.clear();
    for (const auto& slot : m_slots)
        if (slot->wanted && !slot->failed)
            m_rollingQueue.push_back(slot->id);
    m_rollingActive = true;
    emit({ .kind = EventKind::Log, .message = "rolling restart of " + std::to_string(m_rollingQueue.size()) + " workers" });
    continueRollingRestart();
}

void Master::continueRollingRestart()
{
    while (!m_rollingQueue.empty()) {
        const int id = m_rollingQueue.front();
        m_rollingQueue.pop_front();
        Slot* slot = findSlot(id);
        if (!slot || !slot->wanted || slot->failed || !currentOf(*slot))
            continue;
        emit({ .kind = EventKind::Restart, .slot = id, .message = "rolling restart: replacing worker " + std::to_string(id) });
        spawn(*slot, Role::Incoming);
        return;
    }
    if (m_rollingActive)
        emit({ .kind = EventKind::Log, .message = "rolling restart complete" });
    m_rollingActive = false;
}

void Master::resetSlot(int slotId)
{
    Slot* slot = findSlot(slotId);
    if (!slot || m_stopping)
        return;
    slot->tracker.reset();
    if (!slot->failed)
        return;
    slot->failed = false;
    emit({ .kind = EventKind::Reset, .slot = slotId, .message = "worker " + std::to_string(slotId) + " was reset" });
    spawn(*slot, Role::Current);
}

void Master::resetFailedSlots()
{
    std::vector<int> ids;
    for (const auto& slot : m_slots)
        if (slot->failed)
            ids.push_back(slot->id);
    for (int id : ids)
        resetSlot(id);
}

// ---------------------------------------------------------------------------------------
// Connections

bool Master::anyReady() const
{
    return std::any_of(m_processes.begin(), m_processes.end(), [](const ProcessPtr& p) {
        return p->role == Role::Current && p->ready && !p->draining && !p->exited;
    });
}

void Master::armAccept()
{
    if (m_acceptArmed || m_stopping || !m_listener.is_open() || !m_pending.empty() || !anyReady())
        return;
    m_acceptArmed = true;
    m_listener.async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
        m_acceptArmed = false;
        if (ec || m_stopping)
            return;
        onAcceptable();
    });
}

void Master::onAcceptable()
{
    for (int i = 0; i < kAcceptBatch; ++i) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                emit({ .kind = EventKind::Log, .message = "the master ran out of file descriptors; raise ulimit -n" });
            }
            break;
        }
        if (!handOff(fd)) {
            // Nobody could take it right now: keep it and stop accepting until someone can.
            if (m_pending.size() >= kMaxPending)
                ::close(fd);
            else
                m_pending.push_back(fd);
            return;
        }
    }
    armAccept();
}

bool Master::handOff(int fd)
{
    m_candidates.clear();
    m_candidateProcesses.clear();
    for (const auto& slot : m_slots) {
        Process* process = currentOf(*slot);
        if (!process)
            continue;
        // What the worker has not yet reported taking is still on its way to it.
        const auto inFlight = static_cast<std::uint32_t>(
            process->handedOff - std::min<std::uint64_t>(process->handedOff, process->telemetry.connectionsAccepted));
        m_candidates.push_back({ slot->id, process->ready && !process->draining,
                                 process->telemetry.openConnections + inFlight });
        m_candidateProcesses.push_back(process);
    }
    std::array<int, 8> skip {};
    std::size_t skipped = 0;
    for (;;) {
        const int index = m_scheduler.pick(m_candidates, std::span<const int>(skip.data(), skipped));
        if (index < 0)
            return false;
        Process* process = m_candidateProcesses[static_cast<std::size_t>(index)];
        if (ipc::sendPacket(process->channel.native_handle(), m_connectionPacket, fd) == 0) {
            ::close(fd);
            ++process->handedOff;
            if (Slot* slot = findSlot(process->slot))
                ++slot->handedOff;
            return true;
        }
        // Its queue is full or it is gone: the next ready worker gets this connection.
        if (skipped == skip.size()) {
            m_candidates[static_cast<std::size_t>(index)].ready = false;
        } else {
            skip[skipped++] = index;
        }
    }
}

void Master::flushPending()
{
    while (!m_pending.empty()) {
        if (!handOff(m_pending.front()))
            return;
        m_pending.pop_front();
    }
    armAccept();
}

// ---------------------------------------------------------------------------------------
// Time

void Master::housekeeping()
{
    const auto t = Clock::now();
    for (const auto& process : std::vector<ProcessPtr>(m_processes)) {
        if (process->exited || process->killReason != ExitReason::None)
            continue;
        const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(t - process->lastHeard).count();
        if (!process->ready && silent > m_config.startTimeoutMs) {
            emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                   .message = "worker " + std::to_string(process->slot) + " did not get ready within "
                       + std::to_string(m_config.startTimeoutMs) + " ms; killing it" });
            kill(*process, SIGKILL, ExitReason::Timeout);
        } else if (process->ready && process->hasChannel && silent > m_config.heartbeatTimeoutMs) {
            emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                   .message = "worker " + std::to_string(process->slot) + " missed its heartbeat for "
                       + std::to_string(silent) + " ms; killing it" });
            kill(*process, SIGKILL, ExitReason::Timeout);
        }
    }
    checkExecListening();
    m_housekeepingTimer.expires_after(100ms);
    m_housekeepingTimer.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            housekeeping();
    });
}

void Master::sample()
{
    const auto t = Clock::now();
    const double elapsed = std::chrono::duration<double>(t - m_lastSample).count();
    m_lastSample = t;

    auto snapshot = std::make_shared<Snapshot>();
    snapshot->sequence = ++m_sequence;
    snapshot->clusterUptimeSeconds = now();
    snapshot->running = !m_finished;
    snapshot->bindAddress = m_config.bindAddress;
    snapshot->port = m_port;
    snapshot->policy = m_config.policy;
    snapshot->masterPid = ::getpid();
    snapshot->requestMetrics = usesBuiltInWorker(m_config);

    if (const auto text = readSmallFile("/proc/stat")) {
        const auto busy = m_cpuUsage.update(parseProcStat(*text));
        for (std::size_t i = 0; i < busy.size(); ++i)
            snapshot->cores.push_back({ static_cast<int>(i), busy[i] });
    }
    if (const auto text = readSmallFile("/proc/self/stat"))
        if (const auto stat = parseProcPidStat(*text)) {
            const auto ticks = stat->utimeTicks + stat->stimeTicks;
            snapshot->masterCpuPercent = processCpuPercent(m_masterTicks, ticks, elapsed, m_ticksPerSecond);
            m_masterTicks = ticks;
            snapshot->masterRssBytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stat->rssPages)) * m_pageSize;
        }

    // Per process: CPU, memory, core, and the latency of this interval.
    for (const auto& process : m_processes) {
        if (const auto text = readSmallFile("/proc/" + std::to_string(process->pid) + "/stat"))
            if (const auto stat = parseProcPidStat(*text)) {
                const auto ticks = stat->utimeTicks + stat->stimeTicks;
                process->cpuPercent = process->haveCpu
                    ? processCpuPercent(process->cpuTicks, ticks, elapsed, m_ticksPerSecond)
                    : 0;
                process->cpuTicks = ticks;
                process->haveCpu = true;
                process->rssBytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stat->rssPages)) * m_pageSize;
                process->core = stat->processor;
            }
        if (m_config.memoryLimitBytes > 0 && process->rssBytes > m_config.memoryLimitBytes && !m_stopping
            && process->killReason == ExitReason::None) {
            emit({ .kind = EventKind::Log, .slot = process->slot, .pid = process->pid,
                   .message = "worker " + std::to_string(process->slot) + " uses "
                       + std::to_string(process->rssBytes >> 20) + " MiB, over its limit; restarting it" });
            kill(*process, SIGKILL, ExitReason::MemoryLimit);
        }
    }

    std::vector<double> requestShares, connectionShares;
    for (const auto& slot : m_slots) {
        WorkerSample worker;
        worker.slot = slot->id;
        worker.restarts = slot->restarts;
        worker.connectionsHandedOff = slot->handedOff;
        std::uint64_t requests = slot->requestsBase;
        worker.cpuSecondsTotal = slot->cpuSecondsBase;
        worker.latencyTotal = slot->latencyBase;
        std::uint64_t accepted = slot->acceptedBase;
        LatencyHistogram latency;
        Process* current = nullptr;
        bool draining = false;
        for (const auto& process : m_processes) {
            if (process->slot != slot->id)
                continue;
            requests += process->telemetry.requests;
            accepted += process->telemetry.connectionsAccepted;
            worker.openConnections += process->telemetry.openConnections;
            worker.cpuPercent += process->cpuPercent;
            latency.addDelta(process->telemetry.latency, process->latencyAtSample);
            worker.cpuSecondsTotal += static_cast<double>(process->cpuTicks) / static_cast<double>(m_ticksPerSecond);
            LatencyHistogram live;
            live.setCounts(process->telemetry.latency);
            worker.latencyTotal.add(live);
            process->latencyAtSample = process->telemetry.latency;
            if (process->role == Role::Current)
                current = process.get();
            draining = draining || process->draining;
        }
        worker.requests = requests;
        worker.connectionsAccepted = accepted;
        worker.requestsPerSecond = elapsed > 0 && requests >= slot->requestsAtSample
            ? static_cast<double>(requests - slot->requestsAtSample) / elapsed
            : 0;
        slot->requestsAtSample = requests;
        worker.latencyP50Ms = latency.quantileMicros(0.50) / 1000.0;
        worker.latencyP99Ms = latency.quantileMicros(0.99) / 1000.0;
        snapshot->latency.add(latency);
        if (current) {
            worker.pid = current->pid;
            worker.uptimeSeconds = std::chrono::duration<double>(t - current->started).count();
            worker.rssBytes = current->rssBytes;
            worker.core = current->core;
            worker.state = current->draining ? WorkerState::Draining
                : serving(*current)          ? WorkerState::Online
                                             : WorkerState::Starting;
        } else {
            worker.state = slot->failed ? WorkerState::Failed
                : slot->backingOff      ? WorkerState::BackingOff
                : draining              ? WorkerState::Draining
                : (m_stopping || !slot->wanted) ? WorkerState::Stopped
                                                : WorkerState::Starting;
        }
        snapshot->totalRequests += requests;
        snapshot->totalRequestsPerSecond += worker.requestsPerSecond;
        requestShares.push_back(static_cast<double>(requests));
        connectionShares.push_back(static_cast<double>(accepted));
        snapshot->workers.push_back(worker);
    }
    snapshot->fairness = jainIndex(requestShares);
    snapshot->connectionFairness = jainIndex(connectionShares);
    snapshot->latencyP50Ms = snapshot->latency.quantileMicros(0.50) / 1000.0;
    snapshot->latencyP99Ms = snapshot->latency.quantileMicros(0.99) / 1000.0;
    {
        std::lock_guard lock(m_mutex);
        m_snapshot = std::move(snapshot);
    }
    notify();
    if (m_finished)
        return;
    m_sampleTimer.expires_after(std::chrono::milliseconds(m_config.sampleIntervalMs));
    m_sampleTimer.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            sample();
    });
}

} // namespace cs
