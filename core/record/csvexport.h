#pragma once

#include "record/recording.h"

#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// One tidy table: a header row, then one row per observation, fields quoted per RFC 4180
/// (CRLF line ends; a field with a comma, a quote or a line break is quoted, quotes doubled).
/// Units are in the column names (time_s, rss_bytes, latency_p99_ms); an unknown value (a
/// program that counts no requests, a fairness not known yet) is an empty field, never 0.
struct CsvTable {
    std::string name; ///< "workers.csv"
    std::string text;
};

/// The recording's tables, one per kind:
///   workers.csv  time_s, sequence, slot, pid, state, uptime_s, restarts, requests_total,
///                requests_per_s, open_connections, connections_handed_off,
///                connections_accepted, cpu_percent, rss_bytes, core, latency_p50_ms, latency_p99_ms
///   cores.csv    time_s, sequence, core, busy_percent
///   cluster.csv  time_s, sequence, running, policy, slots, online, total_requests_per_s,
///                total_requests, fairness, connection_fairness, latency_p50_ms, latency_p99_ms,
///                master_cpu_percent, master_rss_bytes
///   events.csv   time_s, kind, slot, pid, reason, exit_code, signal, delay_ms, workers,
///                stream, message
/// time_s is cluster time (seconds since it started). Numbers are written in the shortest
/// form that reads back as the same double.
std::vector<CsvTable> csvTables(const Recording& recording);

/// Writes the tables into `directory` as PREFIX + name ("run-workers.csv"). Empty when done,
/// else one sentence saying which file failed and what to do.
std::string writeCsvTables(const Recording& recording, const std::string& directory, const std::string& prefix = {});

/// One field as RFC 4180 wants it.
std::string csvField(std::string_view text);

} // namespace cs
