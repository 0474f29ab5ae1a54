#include "load/loadoptions.h"

#include "json/jsonobjectwriter.h"
#include "load/workercount.h"
#include "settings/commandline.h"

#include <algorithm>

#include <boost/json.hpp>

namespace cs {
namespace {

bool cleanText(const std::string& text)
{
    for (unsigned char c : text) {
        if (c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

constexpr const Setting& kPort = setting(Program::Load, "--port");
constexpr const Setting& kConnections = setting(Program::Load, "--connections");
constexpr const Setting& kDuration = setting(Program::Load, "--duration");
constexpr const Setting& kRate = setting(Program::Load, "--rate");
constexpr const Setting& kTimeout = setting(Program::Load, "--timeout-ms");
constexpr const Setting& kWorkers = setting(Program::Load, "--workers");

bool inRange(const Setting& row, double value)
{
    return value >= row.minimum && value <= row.maximum;
}

/// "The number of connections must be from 1 to 10000." from the table's range.
std::string outOfRange(std::string_view what, const Setting& row, std::string_view note = {})
{
    std::string range = expectedValue(row);
    range.erase(0, range.find("from"));
    return "The " + std::string(what) + " must be " + range + std::string(note) + ".";
}

} // namespace

std::string loadUsage()
{
    return "Usage: clusterscope-load [options]\n"
           "\n"
           "Sends HTTP/1.1 GET requests over N connections and reports throughput, latency\n"
           "quantiles and how the responses spread over workers (by their X-Worker header).\n"
           "Every option with a value also takes the form --option=value; -- ends the options.\n"
           "\n"
           "Options:\n"
        + optionsHelp(Program::Load)
        + "\n"
          "Without --workers or --metrics-url Jain's fairness index is over the workers that\n"
          "answered, and one worker answering everything looks perfectly fair.\n"
          "With --json, \"fairness\" is Jain's index over \"workers\" workers (null when no response\n"
          "named its worker) and \"workersFrom\" says where that count came from: \"given\"\n"
          "(--workers), \"metrics\" (--metrics-url) or \"answered\".\n"
          "Exit status: 0 when the load ran (even with errors), 1 when the target (or the\n"
          "metrics URL) could not be reached at all, 2 on a bad flag.\n";
}

std::string validateLoadOptions(const LoadOptions& o)
{
    if (o.host.empty() || !cleanText(o.host))
        return "The host must be a name or address without spaces.";
    if (!inRange(kPort, o.port))
        return outOfRange("port", kPort);
    if (!inRange(kConnections, o.connections))
        return outOfRange("number of connections", kConnections);
    if (o.requests == 0 && !inRange(kDuration, o.durationSeconds))
        return outOfRange("duration", kDuration);
    if (!inRange(kRate, o.rate))
        return outOfRange("rate", kRate, " (0: unlimited)");
    if (o.path.empty() || o.path.front() != '/' || !cleanText(o.path))
        return "The path must start with / and hold no spaces or control characters.";
    if (!inRange(kTimeout, o.timeoutMs))
        return outOfRange("timeout", kTimeout);
    if (o.workers != 0 && !inRange(kWorkers, o.workers))
        return outOfRange("number of workers", kWorkers, " (0: not known)");
    return {};
}

std::variant<LoadOptions, std::string> parseLoadArgs(int argc, const char* const* argv)
{
    std::vector<std::string_view> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i] ? argv[i] : "");
    auto read = readCommandLine(Program::Load, args);
    if (auto* error = std::get_if<std::string>(&read))
        return std::move(*error);
    const CommandLine& line = std::get<CommandLine>(read);
    LoadOptions o;
    o.help = line.help;
    o.version = line.version;
    if (o.help || o.version)
        return o;
    // The table has checked the numbers' ranges; the forms of the texts are checked here.
    for (const GivenSetting& given : line.given) {
        const std::string_view flag = given.setting->flag;
        if (flag == "--json") {
            o.json = true;
        } else if (flag == "--no-retry") {
            o.retryOnClose = false;
        } else if (flag == "--keep-alive" || flag == "--new-connection") {
            o.keepAlive = flag == "--keep-alive";
        } else if (flag == "--host") {
            if (given.text.empty() || !cleanText(given.text))
                return invalidValue(given, "a host name or address without spaces");
            o.host = given.text;
        } else if (flag == "--port") {
            o.port = static_cast<std::uint16_t>(given.number);
        } else if (flag == "--connections") {
            o.connections = static_cast<int>(given.number);
        } else if (flag == "--duration") {
            o.durationSeconds = given.number;
        } else if (flag == "--requests") {
            o.requests = static_cast<std::uint64_t>(given.number);
        } else if (flag == "--rate") {
            o.rate = given.number;
        } else if (flag == "--path") {
            if (given.text.empty() || given.text.front() != '/' || !cleanText(given.text))
                return invalidValue(given, "a path starting with / without spaces");
            o.path = given.text;
        } else if (flag == "--timeout-ms") {
            o.timeoutMs = static_cast<int>(given.number);
        } else if (flag == "--workers") {
            o.workers = static_cast<int>(given.number);
        } else if (flag == "--metrics-url") {
            if (!parseMetricsUrl(given.text))
                return invalidValue(given, "a URL such as http://127.0.0.1:9100/metrics");
            o.metricsUrl = given.text;
        }
    }
    // Two sources for one number could disagree; take exactly one.
    if (o.workers > 0 && !o.metricsUrl.empty())
        return "Options --workers and --metrics-url both give the worker count; pass only one.";
    return o;
}

std::string loadOptionsJson(const LoadOptions& o)
{
    std::string out;
    JsonObjectWriter w(out);
    w.string("host", o.host);
    w.integer("port", o.port);
    w.integer("connections", o.connections);
    w.number("durationSeconds", o.durationSeconds, 3);
    w.unsignedInteger("requests", o.requests);
    w.number("rate", o.rate, 3);
    w.boolean("keepAlive", o.keepAlive);
    w.boolean("retryOnClose", o.retryOnClose);
    w.string("path", o.path);
    w.integer("timeoutMs", o.timeoutMs);
    w.integer("workers", o.workers);
    w.close();
    return out;
}

std::optional<LoadOptions> loadOptionsFromJson(std::string_view text)
{
    boost::json::error_code ec;
    const boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    const boost::json::object& o = value.get_object();
    LoadOptions options;
    const auto number = [&](std::string_view key, double otherwise) {
        const auto* v = o.if_contains(key);
        return v && v->is_number() ? v->to_number<double>() : otherwise;
    };
    const auto flag = [&](std::string_view key, bool otherwise) {
        const auto* v = o.if_contains(key);
        return v && v->is_bool() ? v->get_bool() : otherwise;
    };
    const auto textOf = [&](std::string_view key, const std::string& otherwise) {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : otherwise;
    };
    options.host = textOf("host", options.host);
    options.port = static_cast<std::uint16_t>(number("port", options.port));
    options.connections = static_cast<int>(number("connections", options.connections));
    options.durationSeconds = number("durationSeconds", options.durationSeconds);
    options.requests = static_cast<std::uint64_t>(std::max(0.0, number("requests", 0)));
    options.rate = number("rate", options.rate);
    options.keepAlive = flag("keepAlive", options.keepAlive);
    options.retryOnClose = flag("retryOnClose", options.retryOnClose);
    options.path = textOf("path", options.path);
    options.timeoutMs = static_cast<int>(number("timeoutMs", options.timeoutMs));
    options.workers = static_cast<int>(number("workers", options.workers));
    return options;
}

} // namespace cs
