#pragma once

#include "master/clusterconfig.h"
#include "metrics/histogram.h"
#include "supervision/workerstate.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// One worker slot as of one sample. Slots are 1..N and keep their number across respawns.
struct WorkerSample {
    int slot = 0;
    int pid = 0; ///< 0 when no process runs in the slot
    WorkerState state = WorkerState::Stopped;
    double uptimeSeconds = 0; ///< of the current process
    int restarts = 0; ///< respawns of this slot since the cluster started
    std::uint64_t requests = 0; ///< served by this slot since the cluster started, over all its processes
    double requestsPerSecond = 0; ///< over the last sample interval
    std::uint32_t openConnections = 0;
    std::uint64_t connectionsHandedOff = 0; ///< by the master to this slot (round-robin, least-connections)
    std::uint64_t connectionsAccepted = 0; ///< by this slot, over all its processes
    double cpuPercent = 0; ///< 100 = one whole core
    std::uint64_t rssBytes = 0;
    int core = -1; ///< the core it last ran on
    std::vector<int> allowedCpus; ///< the CPUs it may run on (its affinity), ascending; empty when unknown
    double latencyP50Ms = 0; ///< over the last sample interval
    double latencyP99Ms = 0;
    double cpuSecondsTotal = 0; ///< CPU time of this slot's processes since the cluster started
    LatencyHistogram latencyTotal; ///< every request of this slot since the cluster started
};

struct CoreSample {
    int index = 0;
    double busyPercent = 0;
};

/// An immutable picture of the cluster; a new one every sample interval.
struct Snapshot {
    std::uint64_t sequence = 0;
    double clusterUptimeSeconds = 0;
    bool running = false;
    std::string bindAddress;
    std::uint16_t port = 0; ///< the real port, also when 0 was asked for
    Policy policy = Policy::RoundRobin;
    int masterPid = 0;
    /// False when the workers are a program we did not write (--exec): requests, req/s,
    /// open connections and latency are unknown then, not zero. CPU, memory, core, restarts
    /// and logs are known for any program.
    bool requestMetrics = true;
    double masterCpuPercent = 0;
    std::uint64_t masterRssBytes = 0;
    /// The master's CPU time for making this snapshot (its /proc reads and the build), in µs.
    std::uint32_t sampleMicros = 0;
    std::vector<WorkerSample> workers; ///< ordered by slot
    std::vector<CoreSample> cores;
    double totalRequestsPerSecond = 0;
    std::uint64_t totalRequests = 0;
    /// Jain's index over every slot's request count (a slot that served none counts as 0);
    /// empty until the first request is served, and whenever requestMetrics is false.
    std::optional<double> fairness;
    /// The same over every slot's accepted connections; empty until the first one.
    std::optional<double> connectionFairness;
    double latencyP50Ms = 0; ///< all workers, last sample interval
    double latencyP99Ms = 0;
    LatencyHistogram latency; ///< all workers, last sample interval
    bool rollingRestart = false; ///< a rolling restart is under way
};

enum class EventKind {
    Fork, ///< a process was started in a slot
    Online, ///< it reported ready
    Listening, ///< it accepts on its own listener (shared, reuseport)
    Exit, ///< a process ended; see reason, exitCode, signal
    Restart, ///< a respawn was scheduled or started
    Failed, ///< the slot crashed too often and is no longer respawned
    Reset, ///< a failed slot was reset by the user
    Scaled, ///< the number of slots changed
    Log, ///< a line the worker wrote on stdout/stderr (message, stream), or a master note
    Stopped, ///< the cluster has stopped; the last event
    SpawnFailed, ///< a process could not be started in a slot; message says why and when the next try is
};
std::string_view eventKindName(EventKind kind) noexcept;

/// Where a Log event's line came from.
enum class LogStream {
    Master, ///< a note of the master's own
    Stdout, ///< the worker's standard output
    Stderr, ///< the worker's standard error
};

struct Event {
    EventKind kind = EventKind::Log;
    double time = 0; ///< seconds since the cluster started (same axis as Snapshot::clusterUptimeSeconds)
    int slot = 0; ///< 0 for the master itself
    int pid = 0;
    ExitReason reason = ExitReason::None; ///< Exit: why the process ended
    int exitCode = 0; ///< the exit code of what ended: the process (Exit) or the cluster (Stopped, 1 = every slot failed)
    int signal = 0; ///< the signal the event is about: the one that ended the process (Exit), or that is sent (Log)
    int delayMs = 0; ///< Restart: the back-off before the respawn
    int workers = 0; ///< Scaled: the number of slots now wanted
    LogStream stream = LogStream::Master; ///< Log: where the line came from
    std::string message; ///< one readable line
};

} // namespace cs
