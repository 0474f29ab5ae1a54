#include "export/prometheus.h"

#include <array>
#include <cstdio>
#include <optional>

namespace cs {
namespace {

// Bucket bounds of the exported histogram, in seconds. Our own histogram is finer (log2 with
// four sub-buckets); each exported bucket counts our buckets whose upper bound fits under it.
constexpr std::array<double, 16> kBounds = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0 };

class Writer {
public:
    void family(const char* name, const char* type, const char* help)
    {
        m_out += "# HELP ";
        m_out += name;
        m_out += ' ';
        m_out += help;
        m_out += "\n# TYPE ";
        m_out += name;
        m_out += ' ';
        m_out += type;
        m_out += '\n';
    }
    void sample(const char* name, const char* labels, double value)
    {
        char line[256];
        std::snprintf(line, sizeof(line), "%s%s%s%s %.17g\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", value);
        m_out += line;
    }
    /// A value that is not known yet is NaN, as the Prometheus clients write a summary's
    /// quantiles before any observation: the series stays, and no comparison holds on it.
    void sample(const char* name, const char* labels, const std::optional<double>& value)
    {
        if (value) {
            sample(name, labels, *value);
            return;
        }
        m_out += name;
        if (*labels) {
            m_out += '{';
            m_out += labels;
            m_out += '}';
        }
        m_out += " NaN\n";
    }
    /// A sum of durations in seconds, written as its exact decimal rather than through a double.
    void sample(const char* name, const char* labels, const DurationSum& value)
    {
        char line[256];
        std::snprintf(line, sizeof(line), "%s%s%s%s %llu.%09u\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
                      static_cast<unsigned long long>(value.seconds), static_cast<unsigned>(value.nanos));
        m_out += line;
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

std::string slotLabel(const WorkerSample& worker)
{
    return "slot=\"" + std::to_string(worker.slot) + "\"";
}

} // namespace

std::string formatPrometheus(const Snapshot& s)
{
    Writer w;
    w.family("clusterscope_up", "gauge", "1 while the cluster runs.");
    w.sample("clusterscope_up", "", s.running ? 1 : 0);
    w.family("clusterscope_workers", "gauge", "Worker slots of the cluster.");
    w.sample("clusterscope_workers", "", static_cast<double>(s.workers.size()));

    w.family("clusterscope_worker_up", "gauge", "1 when the slot's worker is online and serving.");
    for (const auto& worker : s.workers)
        w.sample("clusterscope_worker_up", slotLabel(worker).c_str(), worker.state == WorkerState::Online ? 1 : 0);
    w.family("clusterscope_worker_restarts_total", "counter", "Respawns of the slot since the cluster started.");
    for (const auto& worker : s.workers)
        w.sample("clusterscope_worker_restarts_total", slotLabel(worker).c_str(), worker.restarts);
    w.family("clusterscope_worker_cpu_seconds_total", "counter", "CPU time used by the slot's processes.");
    for (const auto& worker : s.workers)
        w.sample("clusterscope_worker_cpu_seconds_total", slotLabel(worker).c_str(), worker.cpuSecondsTotal);
    w.family("clusterscope_worker_resident_memory_bytes", "gauge", "Resident memory of the slot's process.");
    for (const auto& worker : s.workers)
        w.sample("clusterscope_worker_resident_memory_bytes", slotLabel(worker).c_str(),
                 static_cast<double>(worker.rssBytes));
    w.family("clusterscope_worker_connections_handed_off_total", "counter",
             "Connections the master accepted and handed to the slot.");
    for (const auto& worker : s.workers)
        w.sample("clusterscope_worker_connections_handed_off_total", slotLabel(worker).c_str(),
                 static_cast<double>(worker.connectionsHandedOff));

    // Request figures exist only for the built-in worker; for other programs they are unknown,
    // so they are left out rather than reported as zero.
    if (s.requestMetrics) {
        w.family("clusterscope_worker_requests_total", "counter", "HTTP requests the slot has answered.");
        for (const auto& worker : s.workers)
            w.sample("clusterscope_worker_requests_total", slotLabel(worker).c_str(), static_cast<double>(worker.requests));
        w.family("clusterscope_worker_open_connections", "gauge", "Connections open in the slot's worker.");
        for (const auto& worker : s.workers)
            w.sample("clusterscope_worker_open_connections", slotLabel(worker).c_str(), worker.openConnections);
        w.family("clusterscope_worker_request_duration_seconds", "histogram",
                 "Time from a complete request to its response written, per slot (the sum is exact, to the "
                 "nanosecond).");
        for (const auto& worker : s.workers) {
            const auto& counts = worker.latencyTotal.counts();
            const std::string label = slotLabel(worker);
            std::uint64_t cumulative = 0;
            int bucket = 0;
            for (double bound : kBounds) {
                while (bucket < LatencyHistogram::kBuckets
                       && static_cast<double>(LatencyHistogram::upperBound(bucket)) / 1e6 <= bound) {
                    cumulative += counts[static_cast<std::size_t>(bucket)];
                    ++bucket;
                }
                char le[32];
                std::snprintf(le, sizeof(le), "%g", bound);
                w.sample("clusterscope_worker_request_duration_seconds_bucket", (label + ",le=\"" + le + "\"").c_str(),
                         static_cast<double>(cumulative));
            }
            w.sample("clusterscope_worker_request_duration_seconds_bucket", (label + ",le=\"+Inf\"").c_str(),
                     static_cast<double>(worker.latencyTotal.total()));
            w.sample("clusterscope_worker_request_duration_seconds_sum", label.c_str(), worker.latencyTotal.sum());
            w.sample("clusterscope_worker_request_duration_seconds_count", label.c_str(),
                     static_cast<double>(worker.latencyTotal.total()));
        }
        w.family("clusterscope_request_fairness_ratio", "gauge",
                 "Jain's fairness index over every slot's request count (1 = perfectly even, 1/N = one "
                 "slot serves all); NaN until the first request.");
        w.sample("clusterscope_request_fairness_ratio", "", s.fairness);
    }
    w.family("clusterscope_connection_fairness_ratio", "gauge",
             "Jain's fairness index over every slot's accepted connections (1 = perfectly even, 1/N = one "
             "slot accepts all); NaN until the first connection.");
    w.sample("clusterscope_connection_fairness_ratio", "", s.connectionFairness);

    w.family("clusterscope_core_busy_ratio", "gauge", "Share of the last sample interval each core was busy.");
    for (const auto& core : s.cores)
        w.sample("clusterscope_core_busy_ratio", ("core=\"" + std::to_string(core.index) + "\"").c_str(),
                 core.busyPercent / 100.0);
    w.family("clusterscope_master_resident_memory_bytes", "gauge", "Resident memory of the master process.");
    w.sample("clusterscope_master_resident_memory_bytes", "", static_cast<double>(s.masterRssBytes));
    return w.take();
}

} // namespace cs
