#include "master/supervisor.h"

#include "messages/wording.h"
#include "settings/settingtable.h"
#include "supervision/exitclassification.h"

#include <algorithm>
#include <csignal>
#include <cstring>

#include <sys/wait.h>

namespace cs {

namespace {

using std::chrono::milliseconds;

std::string workerName(int slot)
{
    return "worker " + std::to_string(slot);
}

/// The signals a process does not survive by default: sending one is asking it to end.
bool endsProcess(int signal) noexcept
{
    return signal == SIGTERM || signal == SIGKILL || signal == SIGINT || signal == SIGQUIT || signal == SIGABRT
        || signal == SIGSEGV;
}

std::string signalName(int signal)
{
    const char* abbreviation = ::sigabbrev_np(signal);
    return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(signal);
}

/// "30 s", "2.5 s"
std::string secondsText(int ms)
{
    std::string text = std::to_string(ms / 1000);
    if (ms % 1000 != 0)
        text += "." + std::to_string((ms % 1000) / 100);
    return text + " s";
}

} // namespace

std::string_view processStateName(ProcessState state) noexcept
{
    switch (state) {
    case ProcessState::Spawning:
        return "spawning";
    case ProcessState::Starting:
        return "starting";
    case ProcessState::Ready:
        return "ready";
    case ProcessState::Serving:
        return "serving";
    case ProcessState::Draining:
        return "draining";
    }
    return "?";
}

Supervisor::Supervisor(ClusterConfig config, std::uint16_t port)
    : m_config(std::move(config))
    , m_port(port)
    , m_builtIn(usesBuiltInWorker(m_config))
    , m_masterAccepts(masterAccepts(m_config.policy))
{
}

// ---------------------------------------------------------------------------------------
// What the loop saw

template<>
void Supervisor::on(const input::Start&, Clock::time_point now, Actions& out)
{
    if (!m_slots.empty() || !m_lifecycle.running())
        return;
    for (int id = 1; id <= m_config.workers; ++id)
        spawn(m_slots.try_emplace(id, id, m_config.restart).first->second, ProcessRole::Current, now, out);
}

template<>
void Supervisor::on(const input::Spawned& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || process->state != ProcessState::Spawning)
        return;
    process->pid = in.pid;
    process->state = ProcessState::Starting;
    process->started = now;
    publish({ .kind = EventKind::Fork, .slot = process->slot, .pid = in.pid,
              .message = workerName(process->slot) + " forked as pid " + std::to_string(in.pid) },
            out);
    if (process->killReason != ExitReason::None || !m_lifecycle.running()) {
        // Stopped or scaled down while it was being started.
        kill(*process, SIGKILL, ExitReason::Stopped, out);
        return;
    }
    if (!m_builtIn && m_config.policy == Policy::Shared) {
        // The inherited socket already listens: connections wait in its queue until the
        // program accepts, so it serves from the start.
        publish({ .kind = EventKind::Online, .slot = process->slot, .pid = in.pid,
                  .message = workerName(process->slot) + " started with the listening socket (socket activation)" },
                out);
        becameServing(*process, now, out);
    }
}

template<>
void Supervisor::on(const input::SpawnFailed& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (process && process->state == ProcessState::Spawning)
        removeProcess(*process, ExitReason::SpawnFailed, in.error.empty() ? "unknown error" : in.error, now, out);
}

template<>
void Supervisor::on(const input::Ready& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || process->state != ProcessState::Starting || process->killReason != ExitReason::None)
        return; // not started, a second Ready, asked to drain meanwhile, or being killed
    publish({ .kind = EventKind::Online, .slot = process->slot, .pid = process->pid,
              .message = workerName(process->slot) + " is online" },
            out);
    if (m_masterAccepts)
        becameServing(*process, now, out);
    else
        process->state = ProcessState::Ready; // serves once it listens
}

template<>
void Supervisor::on(const input::Listening& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || m_masterAccepts || process->killReason != ExitReason::None
        || (process->state != ProcessState::Starting && process->state != ProcessState::Ready))
        return;
    publish({ .kind = EventKind::Listening, .slot = process->slot, .pid = process->pid,
              .message = m_builtIn ? workerName(process->slot) + " is listening"
                                   : workerName(process->slot) + " listens on port " + std::to_string(m_port) },
            out);
    becameServing(*process, now, out);
}

template<>
void Supervisor::on(const input::Exited& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || process->pid == 0)
        return;
    const bool askedToFinish = process->state == ProcessState::Draining || process->role == ProcessRole::Retiring;
    const bool byUserSignal = process->userSignal != 0 && WIFSIGNALED(in.waitStatus)
        && WTERMSIG(in.waitStatus) == process->userSignal;
    const auto killReason = process->killReason == ExitReason::None && byUserSignal ? ExitReason::KilledByUser
                                                                                    : process->killReason;
    const auto reason = classifyExit(in.waitStatus, killReason, askedToFinish);
    Event exit { .kind = EventKind::Exit, .slot = process->slot, .pid = process->pid, .reason = reason };
    exit.signal = WIFSIGNALED(in.waitStatus) ? WTERMSIG(in.waitStatus) : 0;
    exit.exitCode = WIFEXITED(in.waitStatus) ? WEXITSTATUS(in.waitStatus) : 0;
    exit.message = workerName(process->slot) + " (pid " + std::to_string(process->pid) + ") "
        + describeWaitStatus(in.waitStatus) + " [" + std::string(exitReasonName(reason)) + "]";
    publish(std::move(exit), out);
    removeProcess(*process, reason, {}, now, out);
}

template<>
void Supervisor::on(const input::Silences& in, Clock::time_point now, Actions& out)
{
    for (const auto& silent : in.each)
        onSilent(silent, now, out);
}

std::chrono::milliseconds Supervisor::silenceCheckInterval() const
{
    const int shortest = m_builtIn ? std::min(m_config.heartbeatTimeoutMs, m_config.startTimeoutMs) : m_config.startTimeoutMs;
    return std::chrono::milliseconds(std::clamp(shortest / 20, 100, 250));
}

void Supervisor::onSilent(const input::Silent& in, Clock::time_point now, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || process->pid == 0 || process->killReason != ExitReason::None)
        return;
    // The start deadline runs from the fork until it serves: a worker that said it is ready
    // but never listens is as stuck as one that never said anything.
    const bool notServing = process->state == ProcessState::Starting || process->state == ProcessState::Ready;
    if (notServing && now - process->started > std::chrono::milliseconds(m_config.startTimeoutMs)) {
        log(process->slot, process->pid,
            workerName(process->slot) + " did not start serving within " + std::to_string(m_config.startTimeoutMs)
                + " ms; killing it",
            out);
        kill(*process, SIGKILL, ExitReason::Timeout, out);
    } else if (m_builtIn && process->state != ProcessState::Starting && in.ms > m_config.heartbeatTimeoutMs) {
        log(process->slot, process->pid,
            workerName(process->slot) + " missed its heartbeat for " + std::to_string(in.ms) + " ms; killing it", out);
        kill(*process, SIGKILL, ExitReason::Timeout, out);
    }
}

template<>
void Supervisor::on(const input::MemoryUsed& in, Clock::time_point, Actions& out)
{
    Process* process = findProcess(in.process);
    const auto limit = m_config.memoryLimitBytes;
    if (!process || process->pid == 0 || limit == 0 || in.rssBytes <= limit || !m_lifecycle.running()
        || process->killReason != ExitReason::None)
        return;
    log(process->slot, process->pid,
        workerName(process->slot) + " uses " + std::to_string(in.rssBytes >> 20) + " MiB, over its limit of "
            + std::to_string(limit >> 20) + " MiB; restarting it",
        out);
    kill(*process, SIGKILL, ExitReason::MemoryLimit, out);
}

template<>
void Supervisor::on(const input::ChannelBroken& in, Clock::time_point, Actions& out)
{
    Process* process = findProcess(in.process);
    if (!process || process->pid == 0 || process->killReason != ExitReason::None)
        return;
    log(process->slot, process->pid, workerName(process->slot) + " " + in.why + "; killing it", out);
    kill(*process, SIGKILL, ExitReason::ChannelError, out);
}

template<>
void Supervisor::on(const input::BackoffExpired& in, Clock::time_point now, Actions& out)
{
    Slot* slot = findSlot(in.slot);
    if (!slot || slot->state != WorkerState::BackingOff || slot->backoffToken != in.token || !slot->wanted
        || !m_lifecycle.running())
        return;
    spawn(*slot, ProcessRole::Current, now, out);
}

template<>
void Supervisor::on(const input::GraceExpired&, Clock::time_point, Actions& out)
{
    if (!m_lifecycle.graceExpired())
        return;
    log(0, 0, "grace period over: killing the workers still running", out);
    killAll(ExitReason::Timeout, out);
    finishIfDone(out);
}

// ---------------------------------------------------------------------------------------
// Commands

template<>
void Supervisor::on(const input::Stop& in, Clock::time_point, Actions& out)
{
    stopCluster(in.fast, 0, out);
}

template<>
void Supervisor::on(const input::Scale& in, Clock::time_point now, Actions& out)
{
    scaleTo(in.workers, now, out);
}

template<>
void Supervisor::on(const input::ScaleBy& in, Clock::time_point now, Actions& out)
{
    scaleTo(wantedSlots() + in.delta, now, out);
}

template<>
void Supervisor::on(const input::SignalWorker& in, Clock::time_point, Actions& out)
{
    Process* process = signalTarget(in.slot, in.signal, "sending " + signalName(in.signal) + " to " + workerName(in.slot),
                                    "signal", out);
    if (!process)
        return;
    if (endsProcess(in.signal)) {
        kill(*process, in.signal, ExitReason::KilledByUser, out);
        return;
    }
    process->userSignal = in.signal; // should it end the process after all, the user did it
    out.emplace_back(action::Signal { process->id, process->pid, in.signal });
}

template<>
void Supervisor::on(const input::CrashWorker& in, Clock::time_point, Actions& out)
{
    Process* process = signalTarget(in.slot, SIGABRT, "making " + workerName(in.slot) + " crash (SIGABRT)", "crash", out);
    if (!process)
        return;
    // No kill reason: the exit is read as the crash it is.
    out.emplace_back(action::Signal { process->id, process->pid, SIGABRT });
}

template<>
void Supervisor::on(const input::RollingRestart&, Clock::time_point now, Actions& out)
{
    if (!m_lifecycle.running())
        return;
    if (m_rolling.active()) {
        log(0, 0, "a rolling restart is already under way", out);
        return;
    }
    std::vector<int> online;
    for (const auto& [id, slot] : m_slots)
        if (slot.wanted && slot.state == WorkerState::Online)
            online.push_back(id);
    log(0, 0, "rolling restart of " + counted(online.size(), "worker"), out);
    m_rolling.begin(std::move(online));
    advanceRolling(now, out);
}

template<>
void Supervisor::on(const input::ResetSlot& in, Clock::time_point now, Actions& out)
{
    if (Slot* slot = findSlot(in.slot))
        resetSlot(*slot, now, out);
}

template<>
void Supervisor::on(const input::ResetFailedSlots&, Clock::time_point now, Actions& out)
{
    std::vector<int> failed;
    for (const auto& [id, slot] : m_slots)
        if (slot.state == WorkerState::Failed)
            failed.push_back(id);
    for (int id : failed)
        if (Slot* slot = findSlot(id))
            resetSlot(*slot, now, out);
}

std::vector<Action> Supervisor::transition(const Input& input, Clock::time_point now)
{
    Actions out;
    std::visit([&](const auto& in) { on(in, now, out); }, input);
    return out;
}

// ---------------------------------------------------------------------------------------
// Processes

void Supervisor::spawn(Slot& slot, ProcessRole role, Clock::time_point now, Actions& out)
{
    const ProcessId id = m_nextProcess++;
    m_processes.emplace(id, Process { .id = id, .slot = slot.id, .role = role, .started = now });
    if (role == ProcessRole::Incoming) {
        slot.incoming = id;
    } else {
        slot.current = id;
        slot.state = WorkerState::Starting;
    }
    out.emplace_back(action::Spawn { id, slot.id });
}

void Supervisor::becameServing(Process& process, Clock::time_point now, Actions& out)
{
    process.state = ProcessState::Serving;
    Slot* slot = findSlot(process.slot);
    if (!m_lifecycle.running() || !slot || !slot->wanted) {
        drain(process, out); // came up during a stop or a scale-down
        return;
    }
    if (process.role == ProcessRole::Incoming) {
        // Rolling restart: the replacement serves, so the old process can go.
        if (Process* old = currentOf(*slot)) {
            old->role = ProcessRole::Retiring;
            slot->retiring.push_back(old->id);
            drain(*old, out);
        }
        process.role = ProcessRole::Current;
        slot->current = process.id;
        slot->incoming = 0;
        ++slot->restarts;
    }
    slot->state = WorkerState::Online;
    out.emplace_back(action::ServingChanged {});
    if (m_rolling.active() && m_rolling.step() == slot->id) {
        m_rolling.stepDone();
        advanceRolling(now, out);
    }
}

void Supervisor::drain(Process& process, Actions& out)
{
    if (process.state == ProcessState::Draining)
        return;
    if (process.state == ProcessState::Spawning) {
        if (process.killReason == ExitReason::None)
            process.killReason = ExitReason::Stopped; // killed as soon as it is spawned
        return;
    }
    const bool wasServing = process.state == ProcessState::Serving;
    process.state = ProcessState::Draining;
    out.emplace_back(action::Drain { process.id });
    if (wasServing)
        out.emplace_back(action::ServingChanged {});
}

void Supervisor::kill(Process& process, int signal, ExitReason reason, Actions& out)
{
    if (process.killReason == ExitReason::None)
        process.killReason = reason;
    if (process.pid > 0)
        out.emplace_back(action::Signal { process.id, process.pid, signal });
}

void Supervisor::killAll(ExitReason reason, Actions& out)
{
    for (auto& [id, process] : m_processes)
        kill(process, SIGKILL, reason, out);
}

/// The one path for a process that is gone, whether it exited or never started.
void Supervisor::removeProcess(Process& process, ExitReason reason, const std::string& spawnError,
                               Clock::time_point now, Actions& out)
{
    const Process gone = process;
    m_processes.erase(gone.id);
    out.emplace_back(action::ServingChanged {});
    if (Slot* slot = findSlot(gone.slot)) {
        const auto uptime = std::chrono::duration_cast<milliseconds>(now - gone.started);
        switch (gone.role) {
        case ProcessRole::Incoming:
            slot->incoming = 0;
            replacementGone(*slot, spawnError, out);
            break;
        case ProcessRole::Current:
            slot->current = 0;
            currentGone(*slot, reason, uptime, spawnError, now, out);
            break;
        case ProcessRole::Retiring:
            std::erase(slot->retiring, gone.id);
            if (!spawnError.empty())
                publish({ .kind = EventKind::SpawnFailed, .slot = slot->id,
                          .message = workerName(slot->id) + " could not be started: " + spawnError
                              + "; no further try (it is no longer wanted)" },
                        out);
            break;
        }
        settle(*slot, out);
    }
    finishIfDone(out);
}

// ---------------------------------------------------------------------------------------
// Slots

void Supervisor::currentGone(Slot& slot, ExitReason reason, milliseconds uptime, const std::string& spawnError,
                             Clock::time_point now, Actions& out)
{
    if (!m_lifecycle.running() || !slot.wanted) {
        if (!spawnError.empty())
            publish({ .kind = EventKind::SpawnFailed, .slot = slot.id,
                      .message = workerName(slot.id) + " could not be started: " + spawnError },
                    out);
        return; // ended as asked; settle() says stopped
    }
    if (slot.incoming) {
        // A rolling restart's replacement is already on its way: it takes over.
        log(slot.id, 0, "the replacement of " + workerName(slot.id) + " takes over", out);
        Process& next = m_processes.at(slot.incoming);
        next.role = ProcessRole::Current;
        slot.current = next.id;
        slot.incoming = 0;
        slot.state = WorkerState::Starting;
        return;
    }
    if (reason == ExitReason::KilledByUser) {
        // The user asked for this exit: respawn at once, and it does not count as a crash.
        ++slot.restarts;
        publish({ .kind = EventKind::Restart, .slot = slot.id, .message = "respawning " + workerName(slot.id) }, out);
        spawn(slot, ProcessRole::Current, now, out);
        return;
    }
    respawnByLimits(slot, uptime, spawnError, now, out);
}

void Supervisor::replacementGone(Slot& slot, const std::string& spawnError, Actions& out)
{
    const std::string what = spawnError.empty() ? "exited before it was ready" : "could not be started";
    if (!spawnError.empty())
        publish({ .kind = EventKind::SpawnFailed, .slot = slot.id,
                  .message = "the replacement of " + workerName(slot.id) + " could not be started: " + spawnError },
                out);
    if (!m_rolling.active() || m_rolling.step() != slot.id)
        return; // a stop or a scale-down has already ended this step
    abandonRolling("the replacement of " + workerName(slot.id) + " " + what + "; the old worker keeps serving", out);
}

/// A crash, or a spawn that failed: respawn now, after a back-off, or mark the slot failed.
void Supervisor::respawnByLimits(Slot& slot, milliseconds uptime, const std::string& spawnError,
                                 Clock::time_point now, Actions& out)
{
    const auto decision = slot.tracker.onCrash(now, uptime);
    if (decision.failed) {
        markFailed(slot, spawnError, now, out);
        return;
    }
    const std::string when = decision.delayMs == 0 ? "now" : "in " + std::to_string(decision.delayMs) + " ms";
    if (!spawnError.empty())
        publish({ .kind = EventKind::SpawnFailed, .slot = slot.id,
                  .message = workerName(slot.id) + " could not be started: " + spawnError + "; next try " + when },
                out);
    ++slot.restarts;
    publish({ .kind = EventKind::Restart, .slot = slot.id, .delayMs = decision.delayMs,
              .message = decision.delayMs == 0 ? "respawning " + workerName(slot.id)
                                               : "respawning " + workerName(slot.id) + " " + when + " (back-off)" },
            out);
    if (decision.delayMs == 0) {
        spawn(slot, ProcessRole::Current, now, out);
        return;
    }
    slot.state = WorkerState::BackingOff;
    slot.backoffToken = ++m_backoffTokens;
    out.emplace_back(action::StartBackoff { slot.id, slot.backoffToken, decision.delayMs });
}

void Supervisor::markFailed(Slot& slot, const std::string& spawnError, Clock::time_point now, Actions& out)
{
    slot.state = WorkerState::Failed;
    const auto crashes = static_cast<std::uint64_t>(slot.tracker.crashesInWindow(now));
    const std::string times = counted(crashes, "time") + " within " + secondsText(m_config.restart.crashWindowMs);
    if (!spawnError.empty())
        publish({ .kind = EventKind::SpawnFailed, .slot = slot.id,
                  .message = workerName(slot.id) + " could not be started: " + spawnError
                      + "; no further try (reset it to try again)" },
                out);
    publish({ .kind = EventKind::Failed, .slot = slot.id,
              .message = workerName(slot.id) + (spawnError.empty() ? " crashed " : " failed ") + times
                  + "; it is no longer respawned (reset it to try again)" },
            out);
    if (m_rolling.active() && m_rolling.step() == slot.id) {
        // Its replacement took over when the old process ended, and crashed until the slot
        // failed: the step can never end, and the new program does not run.
        abandonRolling(workerName(slot.id) + " failed while it was being replaced; the other workers keep serving",
                       out);
    }
    const bool allFailed = std::all_of(m_slots.begin(), m_slots.end(), [](const auto& entry) {
        return entry.second.state == WorkerState::Failed || !entry.second.wanted;
    });
    if (allFailed && m_config.stopWhenAllFailed) {
        log(0, 0, "every worker slot has failed; stopping the cluster", out);
        stopCluster(true, 1, out);
    }
}

/// After a process left the slot: a slot with nothing left in it is stopped, and a
/// scaled-down one disappears.
void Supervisor::settle(Slot& slot, Actions& out)
{
    if (slot.current || slot.incoming || !slot.retiring.empty())
        return;
    if (!slot.wanted) {
        slot.state = WorkerState::Stopped;
        if (m_lifecycle.running()) {
            out.emplace_back(action::ForgetSlot { slot.id });
            m_slots.erase(slot.id);
        }
        return;
    }
    if (!m_lifecycle.running() && slot.state != WorkerState::Failed)
        slot.state = WorkerState::Stopped;
}

/// Scale-down: the slot is no longer wanted; what runs in it finishes its work.
void Supervisor::retire(Slot& slot, Clock::time_point now, Actions& out)
{
    slot.wanted = false;
    slot.backoffToken = ++m_backoffTokens;
    for (ProcessId* id : { &slot.current, &slot.incoming }) {
        if (*id == 0)
            continue;
        Process& process = m_processes.at(*id);
        process.role = ProcessRole::Retiring;
        slot.retiring.push_back(process.id);
        drain(process, out);
        *id = 0;
    }
    slot.state = slot.retiring.empty() ? WorkerState::Stopped : WorkerState::Draining;
    const bool wasStep = m_rolling.active() && m_rolling.step() == slot.id;
    settle(slot, out); // may erase the slot
    if (wasStep) {
        m_rolling.stepDone();
        advanceRolling(now, out);
    }
}

void Supervisor::resetSlot(Slot& slot, Clock::time_point now, Actions& out)
{
    if (!m_lifecycle.running() || !slot.wanted)
        return;
    slot.tracker.reset();
    if (slot.state != WorkerState::Failed && slot.state != WorkerState::BackingOff)
        return; // its crash history is cleared; nothing else to do
    publish({ .kind = EventKind::Reset, .slot = slot.id, .message = workerName(slot.id) + " was reset" }, out);
    slot.backoffToken = ++m_backoffTokens;
    spawn(slot, ProcessRole::Current, now, out);
}

void Supervisor::scaleTo(int workers, Clock::time_point now, Actions& out)
{
    if (!m_lifecycle.running())
        return;
    constexpr const Setting& limit = setting(Program::Clusterscope, "--workers");
    workers = std::clamp(workers, static_cast<int>(limit.minimum), static_cast<int>(limit.maximum));
    const int wanted = wantedSlots();
    if (workers == wanted)
        return;
    if (workers > wanted) {
        for (int added = 0; added < workers - wanted; ++added) {
            int id = 1;
            while (m_slots.count(id))
                ++id;
            spawn(m_slots.try_emplace(id, id, m_config.restart).first->second, ProcessRole::Current, now, out);
        }
    } else {
        std::vector<int> highest;
        for (auto it = m_slots.rbegin(); it != m_slots.rend() && static_cast<int>(highest.size()) < wanted - workers;
             ++it)
            if (it->second.wanted)
                highest.push_back(it->first);
        for (int id : highest)
            if (Slot* slot = findSlot(id))
                retire(*slot, now, out);
    }
    publish({ .kind = EventKind::Scaled, .workers = workers,
              .message = "scaled to " + counted(static_cast<std::uint64_t>(workers), "worker") },
            out);
}

// ---------------------------------------------------------------------------------------
// The cluster

void Supervisor::advanceRolling(Clock::time_point now, Actions& out)
{
    while (const auto id = m_rolling.next()) {
        Slot* slot = findSlot(*id);
        if (!slot || !slot->wanted || slot->state != WorkerState::Online || slot->incoming)
            continue; // it went away or is down meanwhile: nothing to replace
        publish({ .kind = EventKind::Restart, .slot = *id, .message = "rolling restart: replacing " + workerName(*id) },
                out);
        spawn(*slot, ProcessRole::Incoming, now, out);
        return;
    }
    if (m_rolling.active())
        log(0, 0, "rolling restart complete", out);
    m_rolling.end();
}

void Supervisor::abandonRolling(const std::string& why, Actions& out)
{
    if (!m_rolling.active())
        return;
    m_rolling.end();
    log(0, 0, "rolling restart abandoned: " + why, out);
}

void Supervisor::stopCluster(bool fast, int exitCode, Actions& out)
{
    const bool first = m_lifecycle.running();
    switch (m_lifecycle.stop(fast, exitCode)) {
    case Lifecycle::StopStep::None:
        return;
    case Lifecycle::StopStep::Drain:
        log(0, 0, "stopping the cluster gracefully", out);
        leaveRunning(out);
        for (auto& [id, process] : m_processes)
            drain(process, out);
        out.emplace_back(action::StartGrace { std::max(0, m_config.gracefulTimeoutMs) });
        break;
    case Lifecycle::StopStep::Kill:
        if (first) {
            log(0, 0, "stopping the cluster now", out);
            leaveRunning(out);
        } else {
            log(0, 0, "second stop request: stopping now", out);
        }
        killAll(ExitReason::Stopped, out);
        break;
    }
    finishIfDone(out);
}

void Supervisor::leaveRunning(Actions& out)
{
    out.emplace_back(action::CloseListener {});
    abandonRolling("the cluster is stopping", out);
    for (auto& [id, slot] : m_slots) {
        slot.backoffToken = ++m_backoffTokens;
        if (slot.state == WorkerState::Failed)
            continue; // stays failed, even while a process it replaced still finishes its requests
        const bool runs = slot.current || slot.incoming || !slot.retiring.empty();
        slot.state = runs ? WorkerState::Draining : WorkerState::Stopped;
    }
}

void Supervisor::finishIfDone(Actions& out)
{
    if (!m_lifecycle.finish(m_processes.empty()))
        return;
    const int code = m_lifecycle.exitCode();
    publish({ .kind = EventKind::Stopped, .exitCode = code,
              .message = code == 0 ? "cluster stopped" : "cluster stopped: every worker slot failed" },
            out);
    out.emplace_back(action::Finish {});
}

// ---------------------------------------------------------------------------------------
// Lookups

const Supervisor::Slot* Supervisor::slot(int id) const
{
    const auto it = m_slots.find(id);
    return it == m_slots.end() ? nullptr : &it->second;
}

const Supervisor::Process* Supervisor::process(ProcessId id) const
{
    const auto it = m_processes.find(id);
    return it == m_processes.end() ? nullptr : &it->second;
}

bool Supervisor::serving(ProcessId id) const
{
    const Process* p = process(id);
    return p && p->state == ProcessState::Serving && p->role == ProcessRole::Current;
}

Supervisor::Slot* Supervisor::findSlot(int id)
{
    const auto it = m_slots.find(id);
    return it == m_slots.end() ? nullptr : &it->second;
}

Supervisor::Process* Supervisor::findProcess(ProcessId id)
{
    const auto it = m_processes.find(id);
    return it == m_processes.end() ? nullptr : &it->second;
}

/// The slot's running process, after saying what is sent to it; null after saying that there
/// is none to `verb`.
Supervisor::Process* Supervisor::signalTarget(int slotId, int signal, std::string note, const char* verb, Actions& out)
{
    Slot* slot = findSlot(slotId);
    Process* process = slot ? currentOf(*slot) : nullptr;
    if (!process) {
        log(slotId, 0, workerName(slotId) + " has no running process to " + verb, out);
        return nullptr;
    }
    publish({ .kind = EventKind::Log, .slot = slotId, .pid = process->pid, .signal = signal, .message = std::move(note) },
            out);
    return process;
}

Supervisor::Process* Supervisor::currentOf(Slot& slot)
{
    Process* process = slot.current ? findProcess(slot.current) : nullptr;
    return process && process->pid > 0 ? process : nullptr;
}

int Supervisor::wantedSlots() const
{
    return static_cast<int>(
        std::count_if(m_slots.begin(), m_slots.end(), [](const auto& entry) { return entry.second.wanted; }));
}

void Supervisor::publish(Event event, Actions& out) const
{
    out.emplace_back(action::Publish { std::move(event) });
}

void Supervisor::log(int slot, int pid, std::string message, Actions& out) const
{
    publish({ .kind = EventKind::Log, .slot = slot, .pid = pid, .message = std::move(message) }, out);
}

} // namespace cs
