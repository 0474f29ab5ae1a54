#include "master/snapshotbuilder.h"

#include "metrics/fairness.h"

#include <algorithm>

namespace cs {

namespace {
struct BySlot {
    bool operator()(const ProcessReading* reading, int slot) const { return reading->slot < slot; }
    bool operator()(int slot, const ProcessReading* reading) const { return slot < reading->slot; }
};
} // namespace

SnapshotBuilder::SnapshotBuilder(long ticksPerSecond, long pageSize)
    : m_ticksPerSecond(std::max(1L, ticksPerSecond))
    , m_pageSize(std::max(1L, pageSize))
{
}

std::uint64_t SnapshotBuilder::rssBytes(const ProcessStat& stat) const
{
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, stat.rssPages)) * static_cast<std::uint64_t>(m_pageSize);
}

Snapshot SnapshotBuilder::build(const ClusterReading& cluster, const std::vector<SlotReading>& slots,
                                const std::vector<ProcessReading>& processes)
{
    Snapshot snapshot;
    snapshot.sequence = ++m_sequence;
    snapshot.clusterUptimeSeconds = cluster.uptimeSeconds;
    snapshot.running = cluster.running;
    snapshot.rollingRestart = cluster.rollingRestart;
    snapshot.bindAddress = cluster.bindAddress;
    snapshot.port = cluster.port;
    snapshot.policy = cluster.policy;
    snapshot.masterPid = cluster.masterPid;
    snapshot.requestMetrics = cluster.requestMetrics;
    readMaster(cluster, snapshot);
    readProcesses(processes, cluster.elapsedSeconds);

    // Each slot's processes, found by a binary search over them sorted by slot: a scan of
    // every process per slot would make a sample O(workers²).
    std::vector<const ProcessReading*> bySlot;
    bySlot.reserve(processes.size());
    for (const auto& reading : processes)
        bySlot.push_back(&reading);
    std::stable_sort(bySlot.begin(), bySlot.end(), [](const auto* a, const auto* b) { return a->slot < b->slot; });
    std::vector<double> requestShares, connectionShares;
    requestShares.reserve(slots.size());
    connectionShares.reserve(slots.size());
    snapshot.workers.reserve(slots.size());
    for (const auto& slot : slots) {
        LatencyHistogram interval;
        const auto [first, last] = std::equal_range(bySlot.begin(), bySlot.end(), slot.slot, BySlot {});
        auto worker = workerSample(slot, std::span<const ProcessReading* const>(first, last), cluster.elapsedSeconds,
                                   interval);
        snapshot.latency.add(interval);
        snapshot.totalRequests += worker.requests;
        snapshot.totalRequestsPerSecond += worker.requestsPerSecond;
        requestShares.push_back(static_cast<double>(worker.requests));
        connectionShares.push_back(static_cast<double>(worker.connectionsAccepted));
        snapshot.workers.push_back(std::move(worker));
    }
    // One share per slot, so every slot counts, also one that got nothing.
    if (cluster.requestMetrics)
        snapshot.fairness = jainIndex(requestShares, slots.size());
    snapshot.connectionFairness = jainIndex(connectionShares, slots.size());
    snapshot.latencyP50Ms = snapshot.latency.quantileMicros(0.50) / 1000.0;
    snapshot.latencyP99Ms = snapshot.latency.quantileMicros(0.99) / 1000.0;
    return snapshot;
}

void SnapshotBuilder::readMaster(const ClusterReading& cluster, Snapshot& snapshot)
{
    const auto busy = m_cpuUsage.update(cluster.cores);
    for (std::size_t i = 0; i < busy.size(); ++i)
        snapshot.cores.push_back({ static_cast<int>(i), busy[i] });
    if (cluster.master) {
        const auto ticks = cluster.master->utimeTicks + cluster.master->stimeTicks;
        snapshot.masterCpuPercent = processCpuPercent(m_masterTicks, ticks, cluster.elapsedSeconds, m_ticksPerSecond);
        m_masterTicks = ticks;
        snapshot.masterRssBytes = rssBytes(*cluster.master);
    }
}

void SnapshotBuilder::readProcesses(const std::vector<ProcessReading>& processes, double elapsed)
{
    for (const auto& reading : processes) {
        auto& memory = m_processes[reading.process];
        if (!reading.stat)
            continue;
        const auto ticks = reading.stat->utimeTicks + reading.stat->stimeTicks;
        memory.cpuPercent = memory.haveCpu ? processCpuPercent(memory.cpuTicks, ticks, elapsed, m_ticksPerSecond) : 0;
        memory.cpuTicks = ticks;
        memory.haveCpu = true;
    }
}

WorkerSample SnapshotBuilder::workerSample(const SlotReading& slot, std::span<const ProcessReading* const> processes,
                                           double elapsed, LatencyHistogram& interval)
{
    auto& totals = m_slots[slot.slot];
    WorkerSample worker;
    worker.slot = slot.slot;
    worker.state = slot.state;
    worker.restarts = slot.restarts;
    worker.requests = totals.requests;
    worker.connectionsAccepted = totals.accepted;
    worker.connectionsHandedOff = totals.handedOff;
    worker.cpuSecondsTotal = totals.cpuSeconds;
    worker.latencyTotal = totals.latency;
    for (const ProcessReading* each : processes) {
        const ProcessReading& reading = *each;
        auto& memory = m_processes[reading.process];
        worker.requests += reading.telemetry.requests;
        worker.connectionsAccepted += reading.telemetry.connectionsAccepted;
        worker.connectionsHandedOff += reading.handedOff;
        worker.openConnections += reading.telemetry.openConnections;
        worker.cpuPercent += memory.cpuPercent;
        worker.cpuSecondsTotal += static_cast<double>(memory.cpuTicks) / static_cast<double>(m_ticksPerSecond);
        LatencyHistogram live;
        live.setCounts(reading.telemetry.latency, reading.telemetry.latencySum);
        interval.addDelta(live, memory.latencyAtSample);
        memory.latencyAtSample = live;
        worker.latencyTotal.add(live);
        if (reading.current) {
            worker.pid = reading.pid;
            worker.uptimeSeconds = reading.uptimeSeconds;
            worker.rssBytes = reading.stat ? rssBytes(*reading.stat) : 0;
            worker.core = reading.stat ? reading.stat->processor : -1;
            worker.allowedCpus = reading.allowedCpus;
        }
    }
    worker.requestsPerSecond = elapsed > 0 && worker.requests >= totals.requestsAtSample
        ? static_cast<double>(worker.requests - totals.requestsAtSample) / elapsed
        : 0;
    totals.requestsAtSample = worker.requests;
    worker.latencyP50Ms = interval.quantileMicros(0.50) / 1000.0;
    worker.latencyP99Ms = interval.quantileMicros(0.99) / 1000.0;
    return worker;
}

void SnapshotBuilder::processEnded(std::uint64_t process, int slot, const ipc::Telemetry& telemetry,
                                   std::uint64_t handedOff)
{
    auto& totals = m_slots[slot];
    totals.requests += telemetry.requests;
    totals.accepted += telemetry.connectionsAccepted;
    totals.handedOff += handedOff;
    LatencyHistogram ended;
    ended.setCounts(telemetry.latency, telemetry.latencySum);
    totals.latency.add(ended);
    if (const auto it = m_processes.find(process); it != m_processes.end()) {
        totals.cpuSeconds += static_cast<double>(it->second.cpuTicks) / static_cast<double>(m_ticksPerSecond);
        m_processes.erase(it);
    }
}

void SnapshotBuilder::forgetSlot(int slot)
{
    m_slots.erase(slot);
}

} // namespace cs
