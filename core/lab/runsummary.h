#pragma once

#include "load/loadsummary.h"
#include "master/snapshot.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace cs::lab {

/// One worker slot's part of a run.
struct SlotFigures {
    int slot = 0;
    std::uint64_t requests = 0; ///< served in the run
    double share = 0; ///< of all requests of the run, 0..1 (0 when there were none)
    std::uint64_t connections = 0; ///< accepted (or handed to it) in the run, as the snapshots count them
    /// How many of the run's samples saw it on each core (index = core), counting only the
    /// samples in which it used CPU (over kBusyCpuPercent): where it ran while it worked.
    std::vector<int> coreSamples;
    int coresSeen = 0; ///< the distinct cores it was seen working on
};

/// A sample counts for where a worker ran only when it used more CPU than this (100 = one core).
inline constexpr double kBusyCpuPercent = 1.0;

/// What one run measured, reduced to the figures a comparison and a verdict need.
struct RunSummary {
    double seconds = 0; ///< the load's duration, else the time the snapshots span
    int workers = 0; ///< slots at the end of the run
    std::vector<SlotFigures> slots; ///< ordered by slot, every slot (those that served none too)
    std::uint64_t requests = 0;
    /// Jain's index over every slot's requests; empty when nothing was served.
    std::optional<double> jain;
    double maxShare = 0; ///< the largest slot's share, 0..1
    std::uint64_t connections = 0; ///< accepted by all slots in the run (from the snapshots)
    double maxConnectionShare = 0; ///< the largest slot's share of them, 0..1 (0 when none)
    double requestsPerSecond = 0;
    double p50Ms = 0, p99Ms = 0;
    bool loadMeasured = false; ///< a load summary was there (failed and latency are the client's)
    std::uint64_t failed = 0; ///< the load's errors and non-2xx responses
    double masterCpuPercent = 0; ///< mean over the run (100 = one core)
    std::vector<double> coreBusyPercent; ///< per core, mean over the run
    int crashes = 0; ///< exits nobody asked for (crash, non-zero exit, timeout)
    int forks = 0; ///< processes started during the run
    int failedSlots = 0; ///< slots marked failed during the run
    int resets = 0;
    int onlineAfterReset = 0; ///< workers that came online after the last reset
    std::vector<int> backoffMs; ///< the delay of each respawn, in order
};

/// The figures of a run from what was recorded during it: the snapshots (the first one is
/// the baseline the counts start from), the events, and the load generator's summary when a
/// load ran. The per-slot requests, latency and failures come from the load summary when
/// there is one (every response, as the client saw it), else from the snapshots.
RunSummary summarizeRun(std::span<const Snapshot> snapshots, std::span<const Event> events,
                        const std::optional<LoadSummary>& load);

} // namespace cs::lab
