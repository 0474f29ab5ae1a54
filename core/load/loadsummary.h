#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace cs {

/// A progress report, sent about every 200 ms while a load runs.
struct LoadProgress {
    double elapsedSeconds = 0;
    double fraction = 0; ///< 0..1 of the duration, or of the request count with -n
    std::uint64_t completed = 0;
    std::uint64_t errors = 0;
    double requestsPerSecond = 0; ///< over about the last second
};

/// What a finished load measured.
struct LoadSummary {
    double elapsedSeconds = 0;
    std::uint64_t completed = 0; ///< full responses, whatever their status
    std::uint64_t errors = 0; ///< connect failures, resets, timeouts, unparseable responses
    std::uint64_t non2xx = 0; ///< completed responses with a status outside 200..299
    double requestsPerSecond = 0; ///< completed / elapsedSeconds
    double p50Ms = 0, p90Ms = 0, p99Ms = 0, maxMs = 0;
    std::map<std::string, std::uint64_t> perWorker; ///< completed responses by X-Worker value
    double fairness = 1; ///< Jain's index of the perWorker counts
    std::string firstError; ///< empty when there was none
    std::uint64_t connectionsOpened = 0; ///< successful connects; 0 means the target was never reached
};

/// A human table: throughput, latency quantiles, errors, each worker's share, Jain's index.
std::string formatSummary(const LoadSummary& summary);

/// The same as one JSON object (single line, no trailing newline).
std::string summaryJson(const LoadSummary& summary);

} // namespace cs
