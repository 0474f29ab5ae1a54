#include "lab/runsummary.h"

#include "metrics/fairness.h"

#include <algorithm>
#include <map>
#include <string>

namespace cs::lab {

namespace {

bool unasked(ExitReason reason)
{
    return reason == ExitReason::Crash || reason == ExitReason::ExitCode || reason == ExitReason::Timeout
        || reason == ExitReason::ChannelError || reason == ExitReason::MemoryLimit;
}

} // namespace

RunSummary summarizeRun(std::span<const Snapshot> snapshots, std::span<const Event> events,
                        const std::optional<LoadSummary>& load)
{
    RunSummary s;
    std::map<int, std::uint64_t> bySlot;
    std::map<int, std::uint64_t> connectionsBySlot;
    std::map<int, std::vector<int>> coresBySlot;
    if (!snapshots.empty()) {
        const Snapshot& first = snapshots.front();
        const Snapshot& last = snapshots.back();
        s.workers = int(last.workers.size());
        s.seconds = last.clusterUptimeSeconds - first.clusterUptimeSeconds;
        std::map<int, std::uint64_t> base, baseConnections;
        for (const WorkerSample& w : first.workers) {
            base[w.slot] = w.requests;
            baseConnections[w.slot] = w.connectionsAccepted;
        }
        for (const WorkerSample& w : last.workers) {
            const std::uint64_t from = base.count(w.slot) ? base[w.slot] : 0;
            bySlot[w.slot] = w.requests >= from ? w.requests - from : w.requests;
            const std::uint64_t fromC = baseConnections.count(w.slot) ? baseConnections[w.slot] : 0;
            connectionsBySlot[w.slot] = w.connectionsAccepted >= fromC ? w.connectionsAccepted - fromC : w.connectionsAccepted;
        }
        // Means over the run's samples after the baseline (the baseline's figures are of
        // the interval before the run).
        const auto after = snapshots.size() > 1 ? snapshots.subspan(1) : snapshots;
        double cpu = 0;
        std::vector<double> cores;
        std::vector<int> coreSamples;
        LatencyHistogram latency;
        for (const Snapshot& snap : after) {
            cpu += snap.masterCpuPercent;
            for (const CoreSample& c : snap.cores) {
                if (c.index < 0)
                    continue;
                if (std::size_t(c.index) >= cores.size()) {
                    cores.resize(std::size_t(c.index) + 1, 0);
                    coreSamples.resize(std::size_t(c.index) + 1, 0);
                }
                cores[std::size_t(c.index)] += c.busyPercent;
                ++coreSamples[std::size_t(c.index)];
            }
            latency.add(snap.latency);
            for (const WorkerSample& w : snap.workers) {
                if (w.core < 0 || w.cpuPercent <= kBusyCpuPercent)
                    continue;
                std::vector<int>& seen = coresBySlot[w.slot];
                if (std::size_t(w.core) >= seen.size())
                    seen.resize(std::size_t(w.core) + 1, 0);
                ++seen[std::size_t(w.core)];
            }
        }
        s.masterCpuPercent = cpu / double(after.size());
        for (std::size_t i = 0; i < cores.size(); ++i)
            s.coreBusyPercent.push_back(coreSamples[i] ? cores[i] / coreSamples[i] : 0);
        if (latency.total() > 0) {
            s.p50Ms = latency.quantileMicros(0.50) / 1000.0;
            s.p99Ms = latency.quantileMicros(0.99) / 1000.0;
        }
    }
    if (load) {
        s.loadMeasured = true;
        s.seconds = load->elapsedSeconds;
        s.failed = load->errors + load->non2xx;
        s.p50Ms = load->p50Ms;
        s.p99Ms = load->p99Ms;
        if (!load->perWorker.empty()) {
            for (auto& [slot, n] : bySlot)
                n = 0;
            for (const auto& [name, n] : load->perWorker) {
                try {
                    bySlot[std::stoi(name)] += n;
                } catch (const std::exception&) {
                    // A worker named in a way we cannot place is left out of the shares.
                }
            }
        }
    }
    for (const auto& [slot, n] : bySlot) {
        const std::uint64_t connections = connectionsBySlot.count(slot) ? connectionsBySlot[slot] : 0;
        SlotFigures f { slot, n, 0, connections };
        if (const auto it = coresBySlot.find(slot); it != coresBySlot.end()) {
            f.coreSamples = it->second;
            f.coresSeen = int(std::count_if(f.coreSamples.begin(), f.coreSamples.end(), [](int samples) { return samples > 0; }));
        }
        s.slots.push_back(std::move(f));
        s.requests += n;
        s.connections += connections;
    }
    s.workers = std::max(s.workers, int(s.slots.size()));
    std::vector<double> counts;
    for (SlotFigures& f : s.slots) {
        f.share = s.requests ? double(f.requests) / double(s.requests) : 0;
        s.maxShare = std::max(s.maxShare, f.share);
        if (s.connections)
            s.maxConnectionShare = std::max(s.maxConnectionShare, double(f.connections) / double(s.connections));
        counts.push_back(double(f.requests));
    }
    s.jain = jainIndex(counts, std::size_t(s.workers));
    if (load)
        s.requestsPerSecond = load->requestsPerSecond;
    else if (s.seconds > 0)
        s.requestsPerSecond = double(s.requests) / s.seconds;

    for (const Event& e : events) {
        switch (e.kind) {
        case EventKind::Fork:
            ++s.forks;
            break;
        case EventKind::Exit:
            if (unasked(e.reason))
                ++s.crashes;
            break;
        case EventKind::Restart:
            s.backoffMs.push_back(e.delayMs);
            break;
        case EventKind::Failed:
            ++s.failedSlots;
            break;
        case EventKind::Reset:
            ++s.resets;
            s.onlineAfterReset = 0;
            break;
        case EventKind::Online:
            if (s.resets > 0)
                ++s.onlineAfterReset;
            break;
        default:
            break;
        }
    }
    return s;
}

} // namespace cs::lab
