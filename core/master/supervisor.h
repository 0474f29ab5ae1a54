#pragma once

#include "master/clusterconfig.h"
#include "master/lifecycle.h"
#include "master/rollingrestart.h"
#include "master/snapshot.h"
#include "supervision/restarttracker.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace cs {

/// A worker process as the supervisor knows it; numbered from 1, never reused.
using ProcessId = std::uint64_t;

enum class ProcessRole {
    Current, ///< the slot's process
    Incoming, ///< a rolling restart's replacement, not serving yet
    Retiring, ///< replaced or scaled down: finishing its work
};

enum class ProcessState {
    Spawning, ///< asked for; the loop has not reported the outcome yet
    Starting, ///< forked; has not reported ready
    Ready, ///< reported ready; waits to listen (shared, reuseport)
    Serving, ///< takes connections
    Draining, ///< asked to finish its requests and exit
};
std::string_view processStateName(ProcessState state) noexcept;

/// What happens to the supervisor: what the event loop saw, or a command from the façade.
namespace input {
struct Start { };
struct Spawned { ProcessId process = 0; int pid = 0; };
struct SpawnFailed { ProcessId process = 0; std::string error; }; ///< e.g. "fork: Resource temporarily unavailable"
struct Ready { ProcessId process = 0; };
struct Listening { ProcessId process = 0; };
struct Exited { ProcessId process = 0; int waitStatus = 0; };
struct Silent { ProcessId process = 0; int ms = 0; }; ///< not heard from for `ms`
/// Every live process's silence, once per tick: one input for all of them, not one each.
struct Silences { std::vector<Silent> each; };
struct MemoryUsed { ProcessId process = 0; std::uint64_t rssBytes = 0; };
struct ChannelBroken { ProcessId process = 0; std::string why; };
struct BackoffExpired { int slot = 0; std::uint64_t token = 0; };
struct GraceExpired { };
struct Stop { bool fast = false; };
struct Scale { int workers = 0; }; ///< the number of slots wanted
struct ScaleBy { int delta = 0; }; ///< relative to the slots still wanted
struct SignalWorker { int slot = 0; int signal = 0; }; ///< a signal that ends it counts as killed-by-user
struct CrashWorker { int slot = 0; }; ///< SIGABRT, counted as the crash it is
struct RollingRestart { };
struct ResetSlot { int slot = 0; };
struct ResetFailedSlots { };
} // namespace input

using Input = std::variant<input::Start, input::Spawned, input::SpawnFailed, input::Ready, input::Listening,
                           input::Exited, input::Silences, input::MemoryUsed, input::ChannelBroken,
                           input::BackoffExpired, input::GraceExpired, input::Stop, input::Scale, input::ScaleBy,
                           input::SignalWorker, input::CrashWorker, input::RollingRestart, input::ResetSlot,
                           input::ResetFailedSlots>;

/// What the event loop carries out, in order.
namespace action {
struct Spawn { ProcessId process = 0; int slot = 0; }; ///< answer with Spawned or SpawnFailed
struct Signal { ProcessId process = 0; int pid = 0; int signal = 0; };
struct Drain { ProcessId process = 0; }; ///< ask it to finish its requests and exit
struct StartBackoff { int slot = 0; std::uint64_t token = 0; int delayMs = 0; }; ///< answer with BackoffExpired
struct StartGrace { int ms = 0; }; ///< answer with GraceExpired
struct CloseListener { }; ///< stop accepting; close what waits
struct ServingChanged { }; ///< the set of serving processes changed
struct Publish { Event event; }; ///< time is stamped by the loop
struct ForgetSlot { int slot = 0; }; ///< scaled down and empty: drop its figures
struct Finish { }; ///< nothing runs any more: take the last sample and end the loop
} // namespace action

using Action = std::variant<action::Spawn, action::Signal, action::Drain, action::StartBackoff, action::StartGrace,
                            action::CloseListener, action::ServingChanged, action::Publish, action::ForgetSlot,
                            action::Finish>;

/// Every supervision decision of the master, as one state machine: slots and their processes,
/// respawn, back-off and crash-loop, start and heartbeat deadlines, the memory limit, scaling,
/// the rolling restart and the stop. Pure: no clock, no I/O, no processes; the caller passes
/// the time in and carries out the actions returned. Single-threaded.
class Supervisor {
public:
    using Clock = std::chrono::steady_clock;

    struct Process {
        ProcessId id = 0;
        int slot = 0;
        ProcessRole role = ProcessRole::Current;
        ProcessState state = ProcessState::Spawning;
        int pid = 0; ///< 0 until spawned
        ExitReason killReason = ExitReason::None; ///< why the master ends it, once it does
        int userSignal = 0; ///< a signal the user sent that need not end it (SIGHUP, SIGUSR1 ...)
        Clock::time_point started;
    };
    struct Slot {
        explicit Slot(int slotId, const RestartLimits& limits) : id(slotId), tracker(limits) { }
        int id;
        WorkerState state = WorkerState::Starting;
        bool wanted = true; ///< false once scaled down
        int restarts = 0; ///< respawns since the cluster started; never goes down
        ProcessId current = 0;
        ProcessId incoming = 0;
        std::vector<ProcessId> retiring;
        std::uint64_t backoffToken = 0; ///< the BackoffExpired that counts; unique over all slots
        RestartTracker tracker;
    };

    /// `port` is the real one (config.port may be 0).
    Supervisor(ClusterConfig config, std::uint16_t port);

    /// The one way the state changes.
    std::vector<Action> transition(const Input& input, Clock::time_point now);

    const std::map<int, Slot>& slots() const { return m_slots; } ///< by id
    const Slot* slot(int id) const;
    const Process* process(ProcessId id) const;
    const std::map<ProcessId, Process>& processes() const { return m_processes; }
    LifecyclePhase phase() const { return m_lifecycle.phase(); }
    bool rollingRestartActive() const { return m_rolling.active(); }
    /// True when the process takes connections (the dispatcher's candidates).
    bool serving(ProcessId id) const;
    /// How often the loop should feed Silences: a twentieth of the shortest deadline they are
    /// checked against (a hung or stuck worker is killed at most 5 % late), 100 to 250 ms.
    std::chrono::milliseconds silenceCheckInterval() const;

private:
    using Actions = std::vector<Action>;
    template<typename T> void on(const T&, Clock::time_point, Actions&);

    // Processes
    void spawn(Slot& slot, ProcessRole role, Clock::time_point now, Actions& out);
    void becameServing(Process& process, Clock::time_point now, Actions& out);
    void drain(Process& process, Actions& out);
    void kill(Process& process, int signal, ExitReason reason, Actions& out);
    void killAll(ExitReason reason, Actions& out);
    void onSilent(const input::Silent& in, Clock::time_point now, Actions& out);
    void removeProcess(Process& process, ExitReason reason, const std::string& spawnError, Clock::time_point now,
                       Actions& out);
    // Slots
    void currentGone(Slot& slot, ExitReason reason, std::chrono::milliseconds uptime, const std::string& spawnError,
                     Clock::time_point now, Actions& out);
    void replacementGone(Slot& slot, const std::string& spawnError, Actions& out);
    void respawnByLimits(Slot& slot, std::chrono::milliseconds uptime, const std::string& spawnError,
                         Clock::time_point now, Actions& out);
    void markFailed(Slot& slot, const std::string& spawnError, Clock::time_point now, Actions& out);
    void settle(Slot& slot, Actions& out);
    void retire(Slot& slot, Clock::time_point now, Actions& out);
    void resetSlot(Slot& slot, Clock::time_point now, Actions& out);
    void scaleTo(int workers, Clock::time_point now, Actions& out);
    // The cluster
    void advanceRolling(Clock::time_point now, Actions& out);
    void abandonRolling(const std::string& why, Actions& out);
    void stopCluster(bool fast, int exitCode, Actions& out);
    void leaveRunning(Actions& out);
    void finishIfDone(Actions& out);

    Slot* findSlot(int id);
    Process* findProcess(ProcessId id);
    Process* currentOf(Slot& slot);
    Process* signalTarget(int slotId, int signal, std::string note, const char* verb, Actions& out);
    int wantedSlots() const;
    void publish(Event event, Actions& out) const;
    void log(int slot, int pid, std::string message, Actions& out) const;

    ClusterConfig m_config;
    std::uint16_t m_port;
    bool m_builtIn;
    bool m_masterAccepts;
    std::map<int, Slot> m_slots;
    std::map<ProcessId, Process> m_processes;
    ProcessId m_nextProcess = 1;
    std::uint64_t m_backoffTokens = 0;
    Lifecycle m_lifecycle;
    RollingRestart m_rolling;
};

} // namespace cs
