#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cs {

/// Where a cluster serves its Prometheus metrics (clusterscope --metrics-port N).
struct MetricsUrl {
    std::string host;
    std::uint16_t port = 80;
    std::string target = "/metrics";
};

/// Reads `[http://]HOST[:PORT][/PATH]` (an IPv6 address in brackets; the path defaults to
/// /metrics). Pure: no I/O. Empty when it is not such a URL.
std::optional<MetricsUrl> parseMetricsUrl(std::string_view url);

/// The cluster's worker count in the Prometheus text of a clusterscope master: its
/// `clusterscope_workers` gauge (every slot, whatever its state). Pure. Empty when the text
/// has no such sample, or it is not a count.
std::optional<int> workerCountFromMetrics(std::string_view text);

/// Fetches `url` and reads the worker count from it, within `timeoutMs`. Returns the count,
/// or one sentence saying what failed and what to do.
std::variant<int, std::string> fetchWorkerCount(const std::string& url, int timeoutMs);

} // namespace cs
