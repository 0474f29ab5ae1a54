#include "cli/report.h"

#include "messages/wording.h"

#include <cstdio>
#include <optional>

namespace cs {
namespace {

std::string formatUptime(double seconds)
{
    char buffer[32];
    const auto total = static_cast<long>(seconds);
    if (total >= 3600)
        std::snprintf(buffer, sizeof(buffer), "%ldh%02ldm", total / 3600, (total / 60) % 60);
    else if (total >= 60)
        std::snprintf(buffer, sizeof(buffer), "%ldm%02lds", total / 60, total % 60);
    else
        std::snprintf(buffer, sizeof(buffer), "%.1fs", seconds);
    return buffer;
}

void appendEscaped(std::string& out, std::string_view text)
{
    out.push_back('"');
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
            out += buffer;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

/// Fairness is unknown until the first request: "-" in the table, null in JSON, never a number.
std::string fairnessText(const std::optional<double>& index, const char* format, const char* unknown)
{
    if (!index)
        return unknown;
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), format, *index);
    return buffer;
}

} // namespace

std::string formatTable(const Snapshot& s)
{
    std::string out;
    char line[256];
    std::snprintf(line, sizeof(line),
                  "clusterscope %s  policy %s  up %s  %.0f req/s  %s  fairness %s  p50 %.2f ms  p99 "
                  "%.2f ms\n",
                  hostPort(s.bindAddress, s.port).c_str(), std::string(policyName(s.policy)).c_str(),
                  formatUptime(s.clusterUptimeSeconds).c_str(), s.totalRequestsPerSecond,
                  counted(s.totalRequests, "request").c_str(), fairnessText(s.fairness, "%.3f", "-").c_str(),
                  s.latencyP50Ms, s.latencyP99Ms);
    out += line;
    std::snprintf(line, sizeof(line), "%4s %8s %-11s %8s %8s %9s %11s %6s %6s %9s %4s\n", "slot", "pid", "state",
                  "uptime", "restarts", "req/s", "total", "conns", "cpu%", "rss", "core");
    out += line;
    for (const auto& w : s.workers) {
        if (!s.requestMetrics) {
            // A program we did not write: its requests are unknown, not zero.
            std::snprintf(line, sizeof(line), "%4d %8d %-11s %8s %8d %9s %11s %6s %6.1f %8.1fM %4d\n", w.slot, w.pid,
                          std::string(stateName(w.state)).c_str(), w.pid ? formatUptime(w.uptimeSeconds).c_str() : "-",
                          w.restarts, "n/a", "n/a", "n/a", w.cpuPercent,
                          static_cast<double>(w.rssBytes) / (1024.0 * 1024.0), w.core);
            out += line;
            continue;
        }
        std::snprintf(line, sizeof(line), "%4d %8d %-11s %8s %8d %9.0f %11llu %6u %6.1f %8.1fM %4d\n", w.slot, w.pid,
                      std::string(stateName(w.state)).c_str(), w.pid ? formatUptime(w.uptimeSeconds).c_str() : "-",
                      w.restarts, w.requestsPerSecond, static_cast<unsigned long long>(w.requests), w.openConnections,
                      w.cpuPercent, static_cast<double>(w.rssBytes) / (1024.0 * 1024.0), w.core);
        out += line;
    }
    return out;
}

std::string snapshotJson(const Snapshot& s)
{
    std::string out;
    out.reserve(512 + s.workers.size() * 256);
    char buffer[512];
    std::snprintf(buffer, sizeof(buffer),
                  "{\"seq\":%llu,\"uptime\":%.3f,\"running\":%s,\"bind\":", static_cast<unsigned long long>(s.sequence),
                  s.clusterUptimeSeconds, s.running ? "true" : "false");
    out += buffer;
    appendEscaped(out, s.bindAddress);
    std::snprintf(buffer, sizeof(buffer),
                  ",\"port\":%u,\"policy\":\"%s\",\"requestMetrics\":%s,\"master\":{\"pid\":%d,\"cpu\":%.1f,\"rss\":%llu},"
                  "\"totalRps\":%.1f,\"totalRequests\":%llu,\"fairness\":%s,\"connectionFairness\":%s,"
                  "\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"cores\":[",
                  s.port, std::string(policyName(s.policy)).c_str(), s.requestMetrics ? "true" : "false", s.masterPid, s.masterCpuPercent,
                  static_cast<unsigned long long>(s.masterRssBytes), s.totalRequestsPerSecond,
                  static_cast<unsigned long long>(s.totalRequests), fairnessText(s.fairness, "%.4f", "null").c_str(),
                  fairnessText(s.connectionFairness, "%.4f", "null").c_str(), s.latencyP50Ms, s.latencyP99Ms);
    out += buffer;
    for (std::size_t i = 0; i < s.cores.size(); ++i) {
        std::snprintf(buffer, sizeof(buffer), "%s%.1f", i ? "," : "", s.cores[i].busyPercent);
        out += buffer;
    }
    out += "],\"workers\":[";
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        const auto& w = s.workers[i];
        std::snprintf(buffer, sizeof(buffer),
                      "%s{\"slot\":%d,\"pid\":%d,\"state\":\"%s\",\"uptime\":%.3f,\"restarts\":%d,\"rps\":%.1f,"
                      "\"requests\":%llu,\"open\":%u,\"handedOff\":%llu,\"accepted\":%llu,\"cpu\":%.1f,\"rss\":%llu,"
                      "\"core\":%d,\"p50Ms\":%.3f,\"p99Ms\":%.3f}",
                      i ? "," : "", w.slot, w.pid, std::string(stateName(w.state)).c_str(), w.uptimeSeconds, w.restarts,
                      w.requestsPerSecond, static_cast<unsigned long long>(w.requests), w.openConnections,
                      static_cast<unsigned long long>(w.connectionsHandedOff),
                      static_cast<unsigned long long>(w.connectionsAccepted), w.cpuPercent,
                      static_cast<unsigned long long>(w.rssBytes), w.core, w.latencyP50Ms, w.latencyP99Ms);
        out += buffer;
    }
    out += "]}";
    return out;
}

std::string formatEvent(const Event& event)
{
    char prefix[64];
    if (event.slot > 0)
        std::snprintf(prefix, sizeof(prefix), "[%9.3f] worker %d: ", event.time, event.slot);
    else
        std::snprintf(prefix, sizeof(prefix), "[%9.3f] master: ", event.time);
    return prefix + event.message;
}

} // namespace cs
