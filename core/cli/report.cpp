#include "cli/report.h"

#include "affinity/cpulist.h"
#include "json/jsonobjectwriter.h"
#include "json/jsontext.h"
#include "messages/wording.h"

#include <cstdio>
#include <optional>
#include <string_view>

namespace cs {
namespace {

/// Fairness is unknown until the first request: "-" in the table (null in the JSON), never a number.
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
    std::snprintf(line, sizeof(line), "%4s %8s %-11s %8s %8s %9s %11s %6s %6s %9s %4s %s\n", "slot", "pid", "state",
                  "uptime", "restarts", "req/s", "total", "conns", "cpu%", "rss", "core", "cpus");
    out += line;
    for (const auto& w : s.workers) {
        const std::string cpus = w.allowedCpus.empty() ? std::string("-") : formatCpuList(w.allowedCpus);
        if (!s.requestMetrics) {
            // A program we did not write: its requests are unknown, not zero.
            std::snprintf(line, sizeof(line), "%4d %8d %-11s %8s %8d %9s %11s %6s %6.1f %8.1fM %4d %s\n", w.slot, w.pid,
                          std::string(stateName(w.state)).c_str(), w.pid ? formatUptime(w.uptimeSeconds).c_str() : "-",
                          w.restarts, "n/a", "n/a", "n/a", w.cpuPercent,
                          static_cast<double>(w.rssBytes) / (1024.0 * 1024.0), w.core, cpus.c_str());
            out += line;
            continue;
        }
        std::snprintf(line, sizeof(line), "%4d %8d %-11s %8s %8d %9.0f %11llu %6u %6.1f %8.1fM %4d %s\n", w.slot, w.pid,
                      std::string(stateName(w.state)).c_str(), w.pid ? formatUptime(w.uptimeSeconds).c_str() : "-",
                      w.restarts, w.requestsPerSecond, static_cast<unsigned long long>(w.requests), w.openConnections,
                      w.cpuPercent, static_cast<double>(w.rssBytes) / (1024.0 * 1024.0), w.core, cpus.c_str());
        out += line;
    }
    return out;
}

std::string snapshotJson(const Snapshot& s)
{
    // Numbers keep their fixed decimals; one that is NaN or infinite (a sampler dividing by a
    // zero interval, say) is written as null, so the line always parses.
    std::string out;
    out.reserve(512 + s.workers.size() * 256);
    JsonObjectWriter top(out);
    top.unsignedInteger("seq", s.sequence);
    top.number("uptime", s.clusterUptimeSeconds, 3);
    top.boolean("running", s.running);
    top.string("bind", s.bindAddress);
    top.integer("port", s.port);
    top.string("policy", policyName(s.policy));
    top.boolean("requestMetrics", s.requestMetrics);
    top.name("master");
    JsonObjectWriter master(out);
    master.integer("pid", s.masterPid);
    master.number("cpu", s.masterCpuPercent, 1);
    master.unsignedInteger("rss", s.masterRssBytes);
    master.unsignedInteger("sampleMicros", s.sampleMicros);
    master.close();
    top.number("totalRps", s.totalRequestsPerSecond, 1);
    top.unsignedInteger("totalRequests", s.totalRequests);
    top.number("fairness", s.fairness, 4);
    top.number("connectionFairness", s.connectionFairness, 4);
    top.number("p50Ms", s.latencyP50Ms, 3);
    top.number("p99Ms", s.latencyP99Ms, 3);
    top.name("cores");
    out.push_back('[');
    for (std::size_t i = 0; i < s.cores.size(); ++i) {
        if (i)
            out.push_back(',');
        appendJsonNumber(out, s.cores[i].busyPercent, 1);
    }
    out.push_back(']');
    top.name("workers");
    out.push_back('[');
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        const auto& w = s.workers[i];
        if (i)
            out.push_back(',');
        JsonObjectWriter worker(out);
        worker.integer("slot", w.slot);
        worker.integer("pid", w.pid);
        worker.string("state", stateName(w.state));
        worker.number("uptime", w.uptimeSeconds, 3);
        worker.integer("restarts", w.restarts);
        worker.number("rps", w.requestsPerSecond, 1);
        worker.unsignedInteger("requests", w.requests);
        worker.unsignedInteger("open", w.openConnections);
        worker.unsignedInteger("handedOff", w.connectionsHandedOff);
        worker.unsignedInteger("accepted", w.connectionsAccepted);
        worker.number("cpu", w.cpuPercent, 1);
        worker.unsignedInteger("rss", w.rssBytes);
        worker.integer("core", w.core);
        worker.string("cpus", formatCpuList(w.allowedCpus)); // the kernel's list syntax, as Cpus_allowed_list
        worker.number("p50Ms", w.latencyP50Ms, 3);
        worker.number("p99Ms", w.latencyP99Ms, 3);
        worker.close();
    }
    out.push_back(']');
    top.close();
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
