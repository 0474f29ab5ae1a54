#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cs {

/// A progress report, sent about every 200 ms while a load runs.
struct LoadProgress {
    double elapsedSeconds = 0;
    double fraction = 0; ///< 0..1 of the duration, or of the request count with -n
    std::uint64_t completed = 0;
    std::uint64_t errors = 0;
    double requestsPerSecond = 0; ///< over about the last second
};

/// Where the worker count behind a load's fairness index came from.
enum class WorkerCount {
    Answered, ///< not known: only the workers that answered are counted, one that got nothing is missed
    Given, ///< told by the user (--workers) or by the window, which knows its cluster
    Metrics, ///< read from the cluster's metrics endpoint (--metrics-url)
};

/// Latency quantiles of the completed responses, in milliseconds.
struct LatencyFigures {
    double p50Ms = 0, p90Ms = 0, p99Ms = 0, maxMs = 0;
};

/// What a finished load measured.
struct LoadSummary {
    double elapsedSeconds = 0;
    std::uint64_t completed = 0; ///< full responses, whatever their status
    std::uint64_t errors = 0; ///< connect failures, resets, timeouts, unparseable responses
    std::uint64_t non2xx = 0; ///< completed responses with a status outside 200..299
    double requestsPerSecond = 0; ///< completed / elapsedSeconds
    /// Latency as a user of the server sees it: under a rate (fromSchedule) timed from each
    /// request's scheduled send time, so a stall also counts against the requests it held
    /// back (coordinated omission corrected, as wrk2 does); else from the actual send.
    double p50Ms = 0, p90Ms = 0, p99Ms = 0, maxMs = 0;
    /// Latency timed from the moment each request was actually written: hides the requests
    /// a stall held back. The same as the figures above without a rate.
    LatencyFigures asSent;
    bool fromSchedule = false; ///< true when the load ran at a fixed rate (--rate)
    std::map<std::string, std::uint64_t> perWorker; ///< completed responses by X-Worker value
    /// Jain's index of the perWorker counts over `workers` workers, a worker that got no
    /// response counting as 0; empty when no response named its worker.
    std::optional<double> fairness;
    int workers = 0; ///< how many workers the index is over: the count known, or those that answered
    WorkerCount workersFrom = WorkerCount::Answered;
    std::string firstError; ///< empty when there was none
    std::uint64_t connectionsOpened = 0; ///< successful connects; 0 means the target was never reached
};

/// Sets fairness, workers and workersFrom from perWorker. `knownWorkers` is the cluster's
/// worker count (0: not known, so only the workers that answered count); the index is
/// over that many workers, or over more when more answered.
void setFairness(LoadSummary& summary, int knownWorkers, WorkerCount source);

/// A human table: throughput, latency quantiles, errors, each worker's share, Jain's index.
std::string formatSummary(const LoadSummary& summary);

/// The same as one JSON object (single line, no trailing newline).
std::string summaryJson(const LoadSummary& summary);
/// Reads summaryJson's object back (a recording's load-summary line); a missing or mistyped
/// field keeps its default. nullopt when `json` is not an object.
std::optional<LoadSummary> summaryFromJson(std::string_view json);

} // namespace cs
