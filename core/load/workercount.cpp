#include "load/workercount.h"

#include <charconv>
#include <chrono>
#include <cmath>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace cs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

constexpr std::string_view kWorkersGauge = "clusterscope_workers";

bool cleanText(std::string_view text)
{
    for (unsigned char c : text)
        if (c <= ' ' || c == 0x7f)
            return false;
    return true;
}

} // namespace

std::optional<MetricsUrl> parseMetricsUrl(std::string_view url)
{
    if (url.empty() || !cleanText(url))
        return std::nullopt;
    if (url.rfind("http://", 0) == 0)
        url.remove_prefix(7);
    else if (url.find("://") != std::string_view::npos)
        return std::nullopt; // https and the rest: not what a master serves
    MetricsUrl result;
    const std::size_t slash = url.find('/');
    if (slash != std::string_view::npos) {
        result.target = std::string(url.substr(slash));
        url = url.substr(0, slash);
    }
    std::string_view port;
    if (url.rfind('[', 0) == 0) {
        const std::size_t close = url.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        result.host = std::string(url.substr(1, close - 1));
        const std::string_view rest = url.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return std::nullopt;
            port = rest.substr(1);
            if (port.empty())
                return std::nullopt;
        }
    } else {
        const std::size_t colon = url.find(':');
        result.host = std::string(url.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = url.substr(colon + 1);
            if (port.empty())
                return std::nullopt;
        }
    }
    if (result.host.empty())
        return std::nullopt;
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535)
            return std::nullopt;
        result.port = static_cast<std::uint16_t>(value);
    }
    return result;
}

std::optional<int> workerCountFromMetrics(std::string_view text)
{
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view {} : text.substr(end + 1);
        // `clusterscope_workers 4`: the bare name (not a longer one such as ..._workers_up),
        // no labels, one space, the value.
        if (line.rfind(kWorkersGauge, 0) != 0 || line.size() <= kWorkersGauge.size()
            || line[kWorkersGauge.size()] != ' ')
            continue;
        line.remove_prefix(kWorkersGauge.size() + 1);
        double value = 0;
        const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
        if (ec != std::errc() || !std::isfinite(value) || value < 0 || value > 1e6
            || value != std::floor(value))
            return std::nullopt;
        return static_cast<int>(value);
    }
    return std::nullopt;
}

std::variant<int, std::string> fetchWorkerCount(const std::string& url, int timeoutMs)
{
    const auto where = parseMetricsUrl(url);
    if (!where)
        return "The metrics URL '" + url + "' is not an http://HOST:PORT/metrics address.";
    const std::string advice
        = "; check --metrics-url (the cluster's --metrics-port), or pass --workers N instead.";

    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> request(http::verb::get, where->target, 11);
    request.set(http::field::host, where->host + ":" + std::to_string(where->port));
    request.set(http::field::connection, "close");
    http::response<http::string_body> response;
    boost::system::error_code failure;
    const char* step = "connect to";

    // One deadline over the whole exchange: tcp_stream closes the socket when it passes.
    stream.expires_after(std::chrono::milliseconds(timeoutMs));
    using Endpoints = asio::ip::tcp::resolver::results_type;
    using Error = boost::system::error_code;
    auto onRead = [&](Error ec, std::size_t) {
        failure = ec;
        Error ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    };
    auto onWritten = [&](Error ec, std::size_t) {
        if (ec)
            failure = ec;
        else
            http::async_read(stream, buffer, response, onRead);
    };
    auto onConnected = [&](Error ec, const asio::ip::tcp::endpoint&) {
        if (ec) {
            failure = ec;
            return;
        }
        step = "read";
        http::async_write(stream, request, onWritten);
    };
    auto onResolved = [&](Error ec, const Endpoints& endpoints) {
        if (ec) {
            failure = ec;
            step = "find";
            return;
        }
        stream.async_connect(endpoints, onConnected);
    };
    asio::ip::tcp::resolver resolver(io);
    resolver.async_resolve(where->host, std::to_string(where->port), onResolved);
    io.run();

    if (failure) {
        const std::string reason = failure == beast::error::timeout
            ? "no answer within " + std::to_string(timeoutMs) + " ms"
            : failure.message();
        return std::string("Could not ") + step + " the metrics at " + url + " (" + reason + ")" + advice;
    }
    if (response.result() != http::status::ok)
        return "The metrics at " + url + " answered " + std::to_string(response.result_int())
            + " instead of 200" + advice;
    const auto count = workerCountFromMetrics(response.body());
    if (!count || *count == 0)
        return "The metrics at " + url + " carry no clusterscope_workers count" + advice;
    return *count;
}

} // namespace cs
