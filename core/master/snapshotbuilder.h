#pragma once

#include "ipc/message.h"
#include "master/snapshot.h"
#include "metrics/procstat.h"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace cs {

/// One live process as read for one sample.
struct ProcessReading {
    std::uint64_t process = 0; ///< the supervisor's ProcessId
    int slot = 0;
    bool current = false; ///< the slot's current process: its pid, uptime, memory and core are shown
    int pid = 0;
    double uptimeSeconds = 0;
    ipc::Telemetry telemetry; ///< as last reported (zero for programs we did not write)
    std::uint64_t handedOff = 0; ///< connections the master gave it
    std::optional<ProcessStat> stat; ///< /proc/<pid>/stat, when it could be read
    std::vector<int> allowedCpus; ///< its affinity (sched_getaffinity); empty when unknown
};

/// One slot as the supervisor has it.
struct SlotReading {
    int slot = 0;
    WorkerState state = WorkerState::Stopped;
    int restarts = 0;
};

/// The cluster-wide readings of one sample.
struct ClusterReading {
    double uptimeSeconds = 0;
    double elapsedSeconds = 0; ///< since the previous sample
    bool running = true;
    bool rollingRestart = false;
    bool requestMetrics = true;
    std::string bindAddress;
    std::uint16_t port = 0;
    Policy policy = Policy::RoundRobin;
    int masterPid = 0;
    std::vector<CpuTimes> cores; ///< /proc/stat
    std::optional<ProcessStat> master; ///< /proc/self/stat
};

/// Turns readings into a Snapshot. Pure (no clock, no /proc): it remembers only what rates
/// need (the previous tick and request counts) and the totals of processes that have ended,
/// so a slot's figures cover every process it has had.
class SnapshotBuilder {
public:
    SnapshotBuilder(long ticksPerSecond, long pageSize);

    Snapshot build(const ClusterReading& cluster, const std::vector<SlotReading>& slots,
                   const std::vector<ProcessReading>& processes);
    /// A process ended: its last figures join its slot's totals.
    void processEnded(std::uint64_t process, int slot, const ipc::Telemetry& telemetry, std::uint64_t handedOff);
    /// A slot was scaled away: a slot of that number later starts from zero.
    void forgetSlot(int slot);

    std::uint64_t rssBytes(const ProcessStat& stat) const;

private:
    struct ProcessMemory {
        bool haveCpu = false;
        std::uint64_t cpuTicks = 0;
        double cpuPercent = 0;
        LatencyHistogram latencyAtSample;
    };
    struct SlotTotals {
        std::uint64_t requests = 0; ///< of processes that have ended
        std::uint64_t accepted = 0;
        std::uint64_t handedOff = 0;
        double cpuSeconds = 0;
        LatencyHistogram latency;
        std::uint64_t requestsAtSample = 0; ///< all processes, as of the previous sample
    };

    void readProcesses(const std::vector<ProcessReading>& processes, double elapsed);
    /// `processes`: the slot's own.
    WorkerSample workerSample(const SlotReading& slot, std::span<const ProcessReading* const> processes,
                              double elapsed, LatencyHistogram& interval);
    void readMaster(const ClusterReading& cluster, Snapshot& snapshot);

    long m_ticksPerSecond;
    long m_pageSize;
    CpuUsageComputer m_cpuUsage;
    std::uint64_t m_masterTicks = 0;
    std::uint64_t m_sequence = 0;
    std::map<std::uint64_t, ProcessMemory> m_processes;
    std::map<int, SlotTotals> m_slots;
};

} // namespace cs
