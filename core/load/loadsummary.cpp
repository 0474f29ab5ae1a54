#include "load/loadsummary.h"

#include "json/jsonobjectwriter.h"
#include "messages/wording.h"
#include "metrics/fairness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <boost/json.hpp>

namespace cs {
namespace {

std::string printf1(const char* format, double value)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

// Worker slots are numbers: order "2" before "10", and anything else after them by name.
std::vector<std::pair<std::string, std::uint64_t>> workersInOrder(const LoadSummary& s)
{
    std::vector<std::pair<std::string, std::uint64_t>> rows(s.perWorker.begin(), s.perWorker.end());
    auto numeric = [](const std::string& k) {
        return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
        const bool na = numeric(a.first), nb = numeric(b.first);
        if (na != nb)
            return na;
        if (na && a.first.size() != b.first.size())
            return a.first.size() < b.first.size();
        return a.first < b.first;
    });
    return rows;
}

std::string latencyLine(const LatencyFigures& f)
{
    return "p50 " + printf1("%.3f ms", f.p50Ms) + "   p90 " + printf1("%.3f ms", f.p90Ms) + "   p99 "
        + printf1("%.3f ms", f.p99Ms) + "   max " + printf1("%.3f ms", f.maxMs);
}

const char* workerCountName(WorkerCount source)
{
    switch (source) {
    case WorkerCount::Given: return "given";
    case WorkerCount::Metrics: return "metrics";
    case WorkerCount::Answered: break;
    }
    return "answered";
}

std::string workersNoun(int n)
{
    return std::to_string(n) + (n == 1 ? " worker" : " workers");
}

} // namespace

void setFairness(LoadSummary& s, int knownWorkers, WorkerCount source)
{
    std::vector<double> shares;
    for (const auto& [worker, count] : s.perWorker)
        shares.push_back(static_cast<double>(count));
    const bool known = knownWorkers > 0 && source != WorkerCount::Answered;
    s.workersFrom = known ? source : WorkerCount::Answered;
    // More workers than the count can answer (a cluster scaled up during the load): all count.
    s.workers = std::max(known ? knownWorkers : 0, static_cast<int>(shares.size()));
    s.fairness = jainIndex(shares, static_cast<std::size_t>(s.workers));
}

std::string formatSummary(const LoadSummary& s)
{
    std::string out;
    out += "Duration     " + printf1("%.2f s", s.elapsedSeconds) + "\n";
    out += "Requests     " + std::to_string(s.completed) + " completed, " + counted(s.errors, "error") + ", "
        + std::to_string(s.non2xx) + " non-2xx\n";
    out += "Throughput   " + printf1("%.1f req/s", s.requestsPerSecond) + "\n";
    const LatencyFigures headline { s.p50Ms, s.p90Ms, s.p99Ms, s.maxMs };
    if (s.fromSchedule) {
        // Both: the corrected figure is the one that counts, the as-sent one shows what it corrects.
        out += "Latency      " + latencyLine(headline) + "   (from the scheduled send)\n";
        out += "As sent      " + latencyLine(s.asSent) + "   (from the actual send; hides stalls)\n";
    } else {
        out += "Latency      " + latencyLine(headline) + "\n";
    }

    std::uint64_t attributed = 0;
    for (const auto& [worker, count] : s.perWorker)
        attributed += count;
    if (attributed > 0) {
        out += "Workers      share of responses by X-Worker\n";
        for (const auto& [worker, count] : workersInOrder(s)) {
            const double percent = 100.0 * static_cast<double>(count) / static_cast<double>(attributed);
            char line[160];
            std::snprintf(line, sizeof line, "  worker %-6s %10llu  %5.1f%%  ", worker.c_str(),
                          static_cast<unsigned long long>(count), percent);
            out += line;
            out += std::string(static_cast<std::size_t>(std::lround(percent / 2.5)), '#');
            out += '\n';
        }
        // Known workers that never answered have no X-Worker value to list, but they count.
        const int silent = s.workers - static_cast<int>(s.perWorker.size());
        if (silent > 0)
            out += "  " + std::to_string(silent) + (silent == 1 ? " other worker" : " other workers")
                + " got none\n";
        const std::string index = s.fairness ? printf1("%.3f", *s.fairness) : std::string("-");
        if (s.workersFrom == WorkerCount::Answered) {
            out += "Fairness     Jain's index " + index + " over the " + workersNoun(s.workers)
                + " that answered (1.000 = perfectly even)\n";
            out += "             workers that got nothing are not counted; "
                   "pass --workers N or --metrics-url URL\n";
        } else {
            out += "Fairness     Jain's index " + index + " over " + workersNoun(s.workers)
                + " (1.000 = perfectly even, " + printf1("%.3f", 1.0 / std::max(1, s.workers))
                + " = one takes all)\n";
        }
    } else if (s.completed > 0) {
        out += "Workers      no response carried an X-Worker header\n";
    }
    if (!s.firstError.empty())
        out += "First error  " + s.firstError + "\n";
    return out;
}

std::string summaryJson(const LoadSummary& s)
{
    // Core's one writer of one-line JSON objects: strings escaped by Boost.JSON's serializer,
    // NaN and infinities written as null.
    std::string out;
    JsonObjectWriter o(out);
    auto latency = [&](std::string_view key, const LatencyFigures& f) {
        o.name(key);
        JsonObjectWriter l(out);
        l.number("p50", f.p50Ms, 3);
        l.number("p90", f.p90Ms, 3);
        l.number("p99", f.p99Ms, 3);
        l.number("max", f.maxMs, 3);
        l.close();
    };
    o.number("elapsedSeconds", s.elapsedSeconds, 3);
    o.unsignedInteger("completed", s.completed);
    o.unsignedInteger("errors", s.errors);
    o.unsignedInteger("non2xx", s.non2xx);
    o.number("requestsPerSecond", s.requestsPerSecond, 1);
    latency("latencyMs", { s.p50Ms, s.p90Ms, s.p99Ms, s.maxMs });
    latency("latencyAsSentMs", s.asSent);
    o.string("latencyFrom", s.fromSchedule ? "scheduled send" : "actual send");
    o.name("perWorker");
    JsonObjectWriter perWorker(out);
    for (const auto& [worker, count] : workersInOrder(s))
        perWorker.unsignedInteger(worker, count);
    perWorker.close();
    o.number("fairness", s.fairness, 6);
    o.integer("workers", s.workers);
    o.string("workersFrom", workerCountName(s.workersFrom));
    o.unsignedInteger("connectionsOpened", s.connectionsOpened);
    o.string("firstError", s.firstError);
    o.close();
    return out;
}

std::optional<LoadSummary> summaryFromJson(std::string_view text)
{
    boost::json::error_code ec;
    const boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    const boost::json::object& o = value.get_object();
    const auto number = [](const boost::json::object& from, std::string_view key) {
        const auto* v = from.if_contains(key);
        return v && v->is_number() ? v->to_number<double>() : 0.0;
    };
    const auto count = [](const boost::json::value* v) -> std::uint64_t {
        if (v && v->is_uint64())
            return v->get_uint64();
        return v && v->is_int64() && v->get_int64() >= 0 ? std::uint64_t(v->get_int64()) : 0;
    };
    const auto whole = [&](const boost::json::object& from, std::string_view key) { return count(from.if_contains(key)); };
    const auto textOf = [](const boost::json::object& from, std::string_view key) {
        const auto* v = from.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const auto latency = [&](std::string_view key) {
        LatencyFigures f;
        if (const auto* l = o.if_contains(key); l && l->is_object())
            f = { number(l->get_object(), "p50"), number(l->get_object(), "p90"), number(l->get_object(), "p99"),
                  number(l->get_object(), "max") };
        return f;
    };
    LoadSummary s;
    s.elapsedSeconds = number(o, "elapsedSeconds");
    s.completed = whole(o, "completed");
    s.errors = whole(o, "errors");
    s.non2xx = whole(o, "non2xx");
    s.requestsPerSecond = number(o, "requestsPerSecond");
    const LatencyFigures user = latency("latencyMs");
    s.p50Ms = user.p50Ms;
    s.p90Ms = user.p90Ms;
    s.p99Ms = user.p99Ms;
    s.maxMs = user.maxMs;
    s.asSent = latency("latencyAsSentMs");
    s.fromSchedule = textOf(o, "latencyFrom") == "scheduled send";
    if (const auto* perWorker = o.if_contains("perWorker"); perWorker && perWorker->is_object())
        for (const auto& [worker, responses] : perWorker->get_object())
            s.perWorker[std::string(worker)] = count(&responses);
    if (const auto* fairness = o.if_contains("fairness"); fairness && fairness->is_number())
        s.fairness = fairness->to_number<double>();
    s.workers = static_cast<int>(number(o, "workers"));
    const std::string from = textOf(o, "workersFrom");
    s.workersFrom = from == "given" ? WorkerCount::Given : from == "metrics" ? WorkerCount::Metrics : WorkerCount::Answered;
    s.connectionsOpened = whole(o, "connectionsOpened");
    s.firstError = textOf(o, "firstError");
    return s;
}

} // namespace cs
