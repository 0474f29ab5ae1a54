#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cs {

/// What to load and how hard.
struct LoadOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;
    int connections = 10;
    double durationSeconds = 10;
    std::uint64_t requests = 0; ///< 0: run for durationSeconds; else stop after this many
    double rate = 0; ///< total requests per second over all connections; 0 = unlimited
    bool keepAlive = true; ///< false: a new connection per request, sent with Connection: close
    /// A request that fails on a reused keep-alive connection the server closed with nothing
    /// received is sent again once on a new one, as browsers do; false counts it as failed,
    /// as wrk does (what a client that never retries sees).
    bool retryOnClose = true;
    std::string path = "/";
    int timeoutMs = 5000; ///< per request, connect included
    /// The cluster's worker count, so that workers that got no response count in the
    /// fairness index; 0 when not known (then it is over the workers that answered).
    int workers = 0;
    /// Command line only (--metrics-url): the cluster's Prometheus endpoint, read before the
    /// load for the worker count (see fetchWorkerCount); workers is 0 until then.
    std::string metricsUrl;
    bool json = false; ///< command line only: print the summary as JSON
    bool help = false; ///< command line only: --help was given
    bool version = false; ///< command line only: --version was given

    bool operator==(const LoadOptions&) const = default;
};

/// Reads the clusterscope-load command line (argv[0] is skipped). Pure: no I/O.
/// Returns the options, or one sentence saying which flag is wrong and why.
std::variant<LoadOptions, std::string> parseLoadArgs(int argc, const char* const* argv);

/// Checks values that parseLoadArgs would reject; empty when the options are usable.
/// LoadGenerator::start uses it too, since the window fills LoadOptions itself.
std::string validateLoadOptions(const LoadOptions& options);

/// The load's definition as one JSON object on one line (a recording's header keeps it):
/// host, port, connections, durationSeconds, requests, rate, keepAlive, retryOnClose, path,
/// timeoutMs, workers. The command-line-only fields are left out.
std::string loadOptionsJson(const LoadOptions& options);
/// Reads it back; a missing or mistyped field keeps its default. nullopt when not an object.
std::optional<LoadOptions> loadOptionsFromJson(std::string_view json);

/// The --help text (its options from the settings table).
std::string loadUsage();

} // namespace cs
