#include "load/loadoptions.h"

#include "load/workercount.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace cs {
namespace {

template <typename T>
std::optional<T> parseNumber(std::string_view text, T min, T max)
{
    T value {};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || !(value >= min) || !(value <= max))
        return std::nullopt;
    if constexpr (std::is_floating_point_v<T>) {
        if (!std::isfinite(value))
            return std::nullopt;
    }
    return value;
}

bool cleanText(const std::string& text)
{
    for (unsigned char c : text) {
        if (c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

} // namespace

const char* loadUsage()
{
    return "usage: clusterscope-load [--host 127.0.0.1] [--port 8000] [-c|--connections 10]\n"
           "                         [-d|--duration SECONDS | -n|--requests COUNT] [--rate REQ_PER_S]\n"
           "                         [--keep-alive | --new-connection] [--path /] [--timeout-ms 5000]\n"
           "                         [--workers N | --metrics-url URL] [--no-retry] [--json] [--help]\n"
           "Sends HTTP/1.1 GET requests over N connections and reports throughput, latency\n"
           "quantiles and how the responses spread over workers (by their X-Worker header).\n"
           "  -d, --duration     seconds to run (10); ignored when --requests is given\n"
           "  -n, --requests     stop after this many requests (0: use the duration)\n"
           "      --rate         total requests per second over all connections (0: unlimited)\n"
           "      --new-connection  one connection per request, sent with Connection: close\n"
           "      --no-retry     a request cut off by the server closing a kept-alive connection\n"
           "                     counts as an error; by default it is sent again once on a new\n"
           "                     connection, as browsers do\n"
           "      --workers      the cluster's worker count: Jain's fairness index then counts\n"
           "                     the workers that got no response as 0 (without it or --metrics-url\n"
           "                     the index is over the workers that answered, and one worker\n"
           "                     answering everything looks perfectly fair)\n"
           "      --metrics-url  read the worker count from the cluster's Prometheus endpoint\n"
           "                     (clusterscope --metrics-port N: http://127.0.0.1:N/metrics)\n"
           "      --json         print the summary as one JSON object; \"fairness\" is Jain's index\n"
           "                     over \"workers\" workers (null when no response named its worker),\n"
           "                     \"workersFrom\" says where that count came from: \"given\" (--workers),\n"
           "                     \"metrics\" (--metrics-url) or \"answered\" (neither: only the workers\n"
           "                     that answered are counted)\n"
           "Exit status: 0 when the load ran (even with errors), 1 when the target (or the\n"
           "metrics URL) could not be reached at all, 2 on a bad flag.\n";
}

std::string validateLoadOptions(const LoadOptions& o)
{
    if (o.host.empty() || !cleanText(o.host))
        return "The host must be a name or address without spaces.";
    if (o.port == 0)
        return "The port must be from 1 to 65535.";
    if (o.connections < 1 || o.connections > 10000)
        return "The number of connections must be from 1 to 10000.";
    if (o.requests == 0 && !(o.durationSeconds > 0 && o.durationSeconds <= 86400))
        return "The duration must be more than 0 and at most 86400 seconds.";
    if (!(o.rate >= 0 && o.rate <= 10000000))
        return "The rate must be from 0 (unlimited) to 10000000 requests per second.";
    if (o.path.empty() || o.path.front() != '/' || !cleanText(o.path))
        return "The path must start with / and hold no spaces or control characters.";
    if (o.timeoutMs < 1 || o.timeoutMs > 3600000)
        return "The timeout must be from 1 to 3600000 milliseconds.";
    if (o.workers < 0 || o.workers > 10000)
        return "The number of workers must be from 1 to 10000 (0: not known).";
    return {};
}

std::variant<LoadOptions, std::string> parseLoadArgs(int argc, const char* const* argv)
{
    LoadOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i] ? argv[i] : "";
        std::optional<std::string> inlineValue;
        // Accept --flag=value as well as --flag value.
        if (flag.rfind("--", 0) == 0) {
            if (auto eq = flag.find('='); eq != std::string::npos) {
                inlineValue = flag.substr(eq + 1);
                flag.resize(eq);
            }
        }
        auto noValue = [&]() -> std::optional<std::string> {
            if (inlineValue)
                return "Option " + flag + " takes no value.";
            return std::nullopt;
        };
        if (flag == "--help" || flag == "-h") {
            if (auto e = noValue())
                return *e;
            o.help = true;
            return o;
        }
        if (flag == "--json") {
            if (auto e = noValue())
                return *e;
            o.json = true;
            continue;
        }
        if (flag == "--no-retry") {
            if (auto e = noValue())
                return *e;
            o.retryOnClose = false;
            continue;
        }
        if (flag == "--keep-alive" || flag == "--new-connection") {
            if (auto e = noValue())
                return *e;
            o.keepAlive = flag == "--keep-alive";
            continue;
        }

        const bool known = flag == "--host" || flag == "--port" || flag == "-c" || flag == "--connections"
            || flag == "-d" || flag == "--duration" || flag == "-n" || flag == "--requests" || flag == "--rate"
            || flag == "--path" || flag == "--timeout-ms" || flag == "--workers" || flag == "--metrics-url";
        if (!known)
            return "Option " + flag + " is unknown; see --help.";
        std::string value;
        if (inlineValue) {
            value = *inlineValue;
        } else {
            if (i + 1 >= argc || !argv[i + 1])
                return "Option " + flag + " needs a value; see --help.";
            value = argv[++i];
        }
        auto bad = [&](const char* what) {
            return "Option " + flag + " needs " + what + ", not \"" + value + "\".";
        };

        if (flag == "--host") {
            if (value.empty() || !cleanText(value))
                return bad("a host name or address");
            o.host = value;
        } else if (flag == "--port") {
            auto v = parseNumber<unsigned>(value, 1, 65535);
            if (!v)
                return bad("a port from 1 to 65535");
            o.port = static_cast<std::uint16_t>(*v);
        } else if (flag == "-c" || flag == "--connections") {
            auto v = parseNumber<int>(value, 1, 10000);
            if (!v)
                return bad("a number of connections from 1 to 10000");
            o.connections = *v;
        } else if (flag == "-d" || flag == "--duration") {
            auto v = parseNumber<double>(value, 0.001, 86400);
            if (!v)
                return bad("a number of seconds above 0 and at most 86400");
            o.durationSeconds = *v;
        } else if (flag == "-n" || flag == "--requests") {
            auto v = parseNumber<std::uint64_t>(value, 0, std::uint64_t(1) << 48);
            if (!v)
                return bad("a request count (0 to use the duration)");
            o.requests = *v;
        } else if (flag == "--rate") {
            auto v = parseNumber<double>(value, 0, 10000000);
            if (!v)
                return bad("requests per second from 0 (unlimited) to 10000000");
            o.rate = *v;
        } else if (flag == "--path") {
            if (value.empty() || value.front() != '/' || !cleanText(value))
                return bad("a path starting with / without spaces");
            o.path = value;
        } else if (flag == "--timeout-ms") {
            auto v = parseNumber<int>(value, 1, 3600000);
            if (!v)
                return bad("milliseconds from 1 to 3600000");
            o.timeoutMs = *v;
        } else if (flag == "--workers") {
            auto v = parseNumber<int>(value, 1, 10000);
            if (!v)
                return bad("the cluster's number of workers, from 1 to 10000");
            o.workers = *v;
        } else if (flag == "--metrics-url") {
            if (!parseMetricsUrl(value))
                return bad("a URL such as http://127.0.0.1:9100/metrics");
            o.metricsUrl = value;
        }
    }
    // Two sources for one number could disagree; take exactly one.
    if (o.workers > 0 && !o.metricsUrl.empty())
        return "Options --workers and --metrics-url both give the worker count; pass only one.";
    return o;
}

} // namespace cs
