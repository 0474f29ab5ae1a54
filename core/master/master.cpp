#include "master/master.h"

#include "affinity/cpulist.h"
#include "metrics/procnet.h"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <exception>
#include <utility>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

namespace cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::size_t kMaxEvents = 20000; // a log flood must not eat memory
constexpr auto kHousekeepingInterval = 100ms;

template<class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
// GCC deduces this from the aggregate alone (C++20); clang 14, which builds the fuzz targets, needs the guide.
template<class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
} // namespace

Master::Master(ClusterConfig config, int listenFd, std::uint16_t port)
    : m_config(std::move(config))
    , m_listenFd(listenFd)
    , m_port(port)
    , m_started(Clock::now())
    , m_supervisor(m_config, port)
    , m_dispatcher(m_io, listenFd, m_config.policy, [this](std::string note) {
        emit({ .kind = EventKind::Log, .message = std::move(note) });
    })
    , m_snapshots(::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE))
    , m_graceTimer(m_io)
    , m_housekeepingTimer(m_io)
    , m_sampleTimer(m_io)
    , m_lastSample(m_started)
{
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
    for (const auto& [id, process] : m_live)
        if (!process->exited())
            process->signal(SIGKILL);
    if (m_listenFd >= 0)
        ::close(m_listenFd);
}

void Master::run()
{
    feed(input::Start {});
    housekeeping();
    sample();
    for (;;) {
        try {
            m_io.run();
            return;
        } catch (const std::exception& error) {
            m_feeding = false;
            m_inputs.clear();
            emit({ .kind = EventKind::Log,
                   .message = std::string("the master's loop met an error and goes on: ") + error.what() });
        }
    }
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

// ---------------------------------------------------------------------------------------
// Carrying out

void Master::feed(Input input)
{
    m_inputs.push_back(std::move(input));
    if (m_feeding)
        return; // the loop below takes it in turn
    m_feeding = true;
    while (!m_inputs.empty()) {
        const Input next = std::move(m_inputs.front());
        m_inputs.pop_front();
        for (auto& action : m_supervisor.transition(next, Clock::now()))
            carryOut(action);
    }
    m_feeding = false;
}

void Master::carryOut(Action& action)
{
    std::visit(Overloaded {
                   [this](const action::Spawn& a) { spawn(a); },
                   [this](const action::Signal& a) { signal(a); },
                   [this](const action::Drain& a) { drain(a); },
                   [this](const action::StartBackoff& a) { startBackoff(a); },
                   [this](const action::StartGrace& a) { startGrace(a); },
                   [this](const action::CloseListener&) { m_dispatcher.close(); },
                   [this](const action::ServingChanged&) { updateTargets(); },
                   [this](action::Publish& a) { emit(std::move(a.event)); },
                   [this](const action::ForgetSlot& a) {
                       m_backoffTimers.erase(a.slot);
                       m_snapshots.forgetSlot(a.slot);
                   },
                   [this](const action::Finish&) { finish(); },
               },
               action);
}

void Master::spawn(const action::Spawn& spawn)
{
    auto outcome = spawnProcess(m_config, spawn.slot, m_port, m_listenFd, m_spawnFaults);
    if (!outcome.ok) {
        feed(input::SpawnFailed { spawn.process, std::move(outcome.error) });
        return;
    }
    ProcessEvents& events = *this;
    auto process = std::make_shared<WorkerProcess>(m_io, spawn.process, spawn.slot, outcome.process, events);
    if (auto error = process->watch(); !error.empty()) {
        // Unwatched, it could neither be supervised nor reaped later: end it now.
        ::kill(outcome.process.pid, SIGKILL);
        while (::waitpid(outcome.process.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        feed(input::SpawnFailed { spawn.process, std::move(error) });
        return;
    }
    m_live.emplace(spawn.process, std::move(process));
    feed(input::Spawned { spawn.process, outcome.process.pid });
}

void Master::signal(const action::Signal& signal)
{
    if (WorkerProcess* process = live(signal.process))
        process->signal(signal.signal);
}

void Master::drain(const action::Drain& drain)
{
    if (WorkerProcess* process = live(drain.process))
        process->drain(m_config.gracefulTimeoutMs);
}

void Master::startBackoff(const action::StartBackoff& backoff)
{
    auto& timer = m_backoffTimers.try_emplace(backoff.slot, m_io).first->second;
    timer.expires_after(std::chrono::milliseconds(backoff.delayMs)); // cancels the previous wait
    timer.async_wait([this, slot = backoff.slot, token = backoff.token](boost::system::error_code ec) {
        if (!ec)
            feed(input::BackoffExpired { slot, token });
    });
}

void Master::startGrace(const action::StartGrace& grace)
{
    m_graceTimer.expires_after(std::chrono::milliseconds(grace.ms));
    m_graceTimer.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            feed(input::GraceExpired {});
    });
}

/// The dispatcher's targets: each slot's current process while it serves.
void Master::updateTargets()
{
    std::vector<std::shared_ptr<WorkerProcess>> targets;
    for (const auto& [id, slot] : m_supervisor.slots()) {
        if (!m_supervisor.serving(slot.current))
            continue;
        if (const auto it = m_live.find(slot.current); it != m_live.end())
            targets.push_back(it->second);
    }
    m_dispatcher.setTargets(std::move(targets));
    m_dispatcher.resume();
}

void Master::finish()
{
    m_graceTimer.cancel();
    m_housekeepingTimer.cancel();
    m_sampleTimer.cancel();
    m_backoffTimers.clear();
    m_finished = true;
    sample(); // the last picture: every slot stopped
    // Let the notifier run once more for the last events, then end the loop.
    asio::post(m_io, [this] { m_io.stop(); });
}

// ---------------------------------------------------------------------------------------
// What the processes say

void Master::onMessage(WorkerProcess& process, const ipc::Message& message)
{
    if (std::holds_alternative<ipc::Telemetry>(message)) {
        if (m_dispatcher.waiting() > 0)
            m_dispatcher.resume();
    } else if (std::holds_alternative<ipc::Ready>(message)) {
        feed(input::Ready { process.id() });
    } else if (std::holds_alternative<ipc::Listening>(message)) {
        feed(input::Listening { process.id() });
    } else {
        feed(input::ChannelBroken { process.id(), "sent a master-only message" });
    }
}

void Master::onChannelBroken(WorkerProcess& process, std::string why)
{
    feed(input::ChannelBroken { process.id(), std::move(why) });
}

void Master::onLogLine(WorkerProcess& process, LogStream stream, std::string line)
{
    emit({ .kind = EventKind::Log, .slot = process.slot(), .pid = process.pid(), .stream = stream,
           .message = std::move(line) });
}

void Master::onExit(WorkerProcess& process, int waitStatus)
{
    // Out of the live set before the supervisor hears of it, kept alive until it has: the
    // cluster's last picture, taken while the supervisor handles this exit (finish()), would
    // count the process twice, in its slot's totals and again as a live reading.
    std::shared_ptr<WorkerProcess> keep;
    if (const auto it = m_live.find(process.id()); it != m_live.end()) {
        keep = std::move(it->second);
        m_live.erase(it);
    }
    m_snapshots.processEnded(process.id(), process.slot(), process.telemetry(), process.handedOff());
    feed(input::Exited { process.id(), waitStatus });
}

// ---------------------------------------------------------------------------------------
// Time

void Master::housekeeping()
{
    const auto t = Clock::now();
    // Every process's silence in one input: read them all first (feeding may end a process
    // and change m_live).
    input::Silences silences;
    silences.each.reserve(m_live.size());
    for (const auto& [id, process] : m_live) {
        const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(t - process->lastHeard());
        silences.each.push_back({ id, static_cast<int>(std::min<std::int64_t>(silent.count(), INT32_MAX)) });
    }
    if (!silences.each.empty())
        feed(std::move(silences));
    const bool waitingToListen = checkExecListening();
    m_dispatcher.summariseFailures(t);
    // Every 100 ms while a program we did not write is to be seen listening; otherwise as
    // often as the supervisor's deadlines need (250 ms with the defaults: at 256 resting
    // workers, each tick's walk over them was a tenth of the master's CPU).
    m_housekeepingTimer.expires_after(waitingToListen ? kHousekeepingInterval : m_supervisor.silenceCheckInterval());
    m_housekeepingTimer.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            housekeeping();
    });
}

/// A program we did not write, under reuseport, serves once it holds a socket listening on
/// our port. True while one is still to be seen listening.
bool Master::checkExecListening()
{
    if (usesBuiltInWorker(m_config) || m_config.policy != Policy::ReusePort)
        return false;
    std::vector<ProcessId> waiting;
    for (const auto& [id, process] : m_live) {
        const auto* known = m_supervisor.process(id);
        if (known && known->state == ProcessState::Starting && known->killReason == ExitReason::None)
            waiting.push_back(id);
    }
    if (waiting.empty())
        return false;
    std::vector<std::uint64_t> inodes;
    for (const char* table : { "/proc/net/tcp", "/proc/net/tcp6" })
        if (const auto text = readSmallFile(table)) {
            const auto found = listeningInodes(*text, m_port);
            inodes.insert(inodes.end(), found.begin(), found.end());
        }
    bool stillWaiting = false;
    for (ProcessId id : waiting) {
        if (WorkerProcess* process = live(id); process && holdsSocket(process->pid(), inodes))
            feed(input::Listening { id });
        else
            stillWaiting = true;
    }
    return stillWaiting;
}

namespace {
// CPU time of the calling thread: what making a snapshot costs the master, not counting the
// time it waited for a CPU on a busy machine.
std::int64_t threadCpuMicros()
{
    timespec ts {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
} // namespace

void Master::sample()
{
    const auto cpuStart = threadCpuMicros();
    const auto t = Clock::now();
    ClusterReading cluster;
    cluster.uptimeSeconds = now();
    cluster.elapsedSeconds = std::chrono::duration<double>(t - m_lastSample).count();
    m_lastSample = t;
    cluster.running = !m_finished;
    cluster.rollingRestart = m_supervisor.rollingRestartActive();
    cluster.requestMetrics = usesBuiltInWorker(m_config);
    cluster.bindAddress = m_config.bindAddress;
    cluster.port = m_port;
    cluster.policy = m_config.policy;
    cluster.masterPid = ::getpid();
    if (const auto text = readSmallFile("/proc/stat"))
        cluster.cores = parseProcStat(*text);
    if (const auto text = readSmallFile("/proc/self/stat"))
        cluster.master = parseProcPidStat(*text);

    std::vector<ProcessReading> processes;
    processes.reserve(m_live.size());
    for (const auto& [id, process] : m_live) {
        ProcessReading reading { .process = id, .slot = process->slot(), .pid = process->pid(),
                                 .telemetry = process->telemetry(), .handedOff = process->handedOff() };
        if (const auto* slot = m_supervisor.slot(process->slot()))
            reading.current = slot->current == id;
        reading.uptimeSeconds = std::chrono::duration<double>(t - process->started()).count();
        reading.stat = process->sampleStat(t);
        if (reading.current)
            reading.allowedCpus = allowedCpus(process->pid()); // one syscall: what the kernel enforces now
        processes.push_back(std::move(reading));
    }
    std::vector<SlotReading> slots;
    for (const auto& [id, slot] : m_supervisor.slots())
        slots.push_back({ id, slot.state, slot.restarts });
    Snapshot built = m_snapshots.build(cluster, slots, processes);
    built.sampleMicros = static_cast<std::uint32_t>(std::max<std::int64_t>(0, threadCpuMicros() - cpuStart));
    auto snapshot = std::make_shared<const Snapshot>(std::move(built));
    {
        std::lock_guard lock(m_mutex);
        m_snapshot = std::move(snapshot);
    }
    notify();
    for (const auto& reading : processes)
        if (reading.stat)
            feed(input::MemoryUsed { reading.process, m_snapshots.rssBytes(*reading.stat) });
    if (m_finished)
        return;
    m_sampleTimer.expires_after(std::chrono::milliseconds(m_config.sampleIntervalMs));
    m_sampleTimer.async_wait([this](boost::system::error_code ec) {
        if (!ec)
            sample();
    });
}

// ---------------------------------------------------------------------------------------
// Publishing

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

WorkerProcess* Master::live(ProcessId id)
{
    const auto it = m_live.find(id);
    return it == m_live.end() ? nullptr : it->second.get();
}

} // namespace cs
