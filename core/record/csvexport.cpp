#include "record/csvexport.h"

#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>

namespace cs {
namespace {

constexpr const char* kEnd = "\r\n";

/// The shortest text that reads back as the same double; empty (unknown) for NaN and infinities.
std::string number(double value)
{
    if (!std::isfinite(value))
        return {};
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
    return std::string(buffer, end);
}

std::string number(const std::optional<double>& value)
{
    return value ? number(*value) : std::string();
}

template<typename Integer>
std::string whole(Integer value)
{
    return std::to_string(value);
}

void row(std::string& out, std::initializer_list<std::string> fields)
{
    bool first = true;
    for (const std::string& field : fields) {
        if (!first)
            out += ',';
        first = false;
        out += csvField(field);
    }
    out += kEnd;
}

std::string streamName(LogStream stream)
{
    switch (stream) {
    case LogStream::Stdout: return "stdout";
    case LogStream::Stderr: return "stderr";
    case LogStream::Master: break;
    }
    return "master";
}

} // namespace

std::string csvField(std::string_view text)
{
    if (text.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::vector<CsvTable> csvTables(const Recording& recording)
{
    CsvTable workers { "workers.csv", {} };
    CsvTable cores { "cores.csv", {} };
    CsvTable cluster { "cluster.csv", {} };
    CsvTable events { "events.csv", {} };
    row(workers.text, { "time_s", "sequence", "slot", "pid", "state", "uptime_s", "restarts", "requests_total",
                        "requests_per_s", "open_connections", "connections_handed_off", "connections_accepted",
                        "cpu_percent", "rss_bytes", "core", "latency_p50_ms", "latency_p99_ms" });
    row(cores.text, { "time_s", "sequence", "core", "busy_percent" });
    row(cluster.text, { "time_s", "sequence", "running", "policy", "slots", "online", "total_requests_per_s",
                        "total_requests", "fairness", "connection_fairness", "latency_p50_ms", "latency_p99_ms",
                        "master_cpu_percent", "master_rss_bytes" });
    row(events.text, { "time_s", "kind", "slot", "pid", "reason", "exit_code", "signal", "delay_ms", "workers", "stream",
                       "message" });
    for (const Snapshot& s : recording.snapshots) {
        const std::string t = number(s.clusterUptimeSeconds);
        const std::string seq = whole(s.sequence);
        // A program we did not write counts no requests: unknown, an empty field.
        const auto counted = [&](const std::string& text) { return s.requestMetrics ? text : std::string(); };
        int online = 0;
        for (const WorkerSample& w : s.workers) {
            online += w.state == WorkerState::Online ? 1 : 0;
            row(workers.text, { t, seq, whole(w.slot), whole(w.pid), std::string(stateName(w.state)), number(w.uptimeSeconds),
                                whole(w.restarts), counted(whole(w.requests)), counted(number(w.requestsPerSecond)),
                                counted(whole(w.openConnections)), whole(w.connectionsHandedOff),
                                whole(w.connectionsAccepted), number(w.cpuPercent), whole(w.rssBytes),
                                w.core >= 0 ? whole(w.core) : std::string(), counted(number(w.latencyP50Ms)),
                                counted(number(w.latencyP99Ms)) });
        }
        for (const CoreSample& c : s.cores)
            row(cores.text, { t, seq, whole(c.index), number(c.busyPercent) });
        row(cluster.text, { t, seq, s.running ? "true" : "false", std::string(policyName(s.policy)), whole(s.workers.size()),
                            whole(online), counted(number(s.totalRequestsPerSecond)), counted(whole(s.totalRequests)),
                            number(s.fairness), number(s.connectionFairness), counted(number(s.latencyP50Ms)),
                            counted(number(s.latencyP99Ms)), number(s.masterCpuPercent), whole(s.masterRssBytes) });
    }
    for (const Event& e : recording.events) {
        const bool exit = e.kind == EventKind::Exit;
        row(events.text, { number(e.time), std::string(eventKindName(e.kind)), whole(e.slot), whole(e.pid),
                           exit ? std::string(exitReasonName(e.reason)) : std::string(),
                           exit || e.kind == EventKind::Stopped ? whole(e.exitCode) : std::string(),
                           exit || e.signal != 0 ? whole(e.signal) : std::string(),
                           e.kind == EventKind::Restart ? whole(e.delayMs) : std::string(),
                           e.kind == EventKind::Scaled ? whole(e.workers) : std::string(),
                           e.kind == EventKind::Log ? streamName(e.stream) : std::string(), e.message });
    }
    return { std::move(workers), std::move(cores), std::move(cluster), std::move(events) };
}

std::string writeCsvTables(const Recording& recording, const std::string& directory, const std::string& prefix)
{
    for (const CsvTable& table : csvTables(recording)) {
        const std::string path = directory + "/" + prefix + table.name;
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        if (!file)
            return "The table " + path + " cannot be written (" + std::strerror(errno)
                + "); choose another folder or check its permissions.";
        file << table.text;
        file.close();
        if (!file)
            return "Writing the table " + path + " failed; check the free space and export again.";
    }
    return {};
}

} // namespace cs
