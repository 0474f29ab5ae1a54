#include "worker/requestparser.h"

#include <charconv>

namespace cs::worker {

namespace http = boost::beast::http;

namespace {

constexpr std::uint32_t kMaxCpuMs = 5000;
constexpr std::uint32_t kMaxSleepMs = 60000;

// Reads `ms` from a query string; false if it is absent, not a plain decimal number or above max.
bool queryMillis(std::string_view query, std::uint32_t max, std::uint32_t& millis)
{
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.substr(0, 3) != "ms=")
            continue;
        const std::string_view digits = pair.substr(3);
        std::uint32_t value = 0;
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || value > max)
            return false;
        millis = value;
        return true;
    }
    return false;
}

} // namespace

Route classifyTarget(std::string_view target, std::uint32_t& millis)
{
    millis = 0;
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    if (path == "/")
        return Route::Root;
    if (path == "/cpu")
        return queryMillis(query, kMaxCpuMs, millis) ? Route::Cpu : Route::BadQuery;
    if (path == "/sleep")
        return queryMillis(query, kMaxSleepMs, millis) ? Route::Sleep : Route::BadQuery;
    if (path == "/crash")
        return Route::Crash;
    return Route::NotFound;
}

RequestParser::RequestParser()
{
    // The request line may take 8 KiB on top of the 16 KiB of fields; both are checked
    // separately below, this only bounds how much is buffered before the header ends.
    header_limit(static_cast<std::uint32_t>(kMaxTarget + kMaxFieldBytes + 64));
    eager(true);
}

void RequestParser::reject(int status, boost::beast::error_code& ec)
{
    m_reject = status;
    ec = http::error::bad_field;
}

void RequestParser::on_request_impl(http::verb method, boost::beast::string_view, boost::beast::string_view target,
                                    int, boost::beast::error_code& ec)
{
    m_requestLineDone = true;
    if (target.size() > kMaxTarget)
        return reject(414, ec);
    m_head = method == http::verb::head;
    if (method != http::verb::get && !m_head) {
        m_route = Route::BadMethod;
        return;
    }
    m_route = classifyTarget(std::string_view(target.data(), target.size()), m_millis);
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view nameText,
                                  boost::beast::string_view value, boost::beast::error_code& ec)
{
    m_fieldBytes += nameText.size() + value.size() + 4;
    if (++m_fields > kMaxFields || m_fieldBytes > kMaxFieldBytes)
        return reject(431, ec);
    // Beast accepts a repeated identical Content-Length and Content-Length after a
    // non-chunked Transfer-Encoding; both are request-smuggling material, so refuse them.
    if (name == http::field::content_length) {
        // "5, 5" in one line is the same duplicate as two lines, which Beast would also accept.
        if (m_sawContentLength || m_sawTransferEncoding || value.find(',') != boost::beast::string_view::npos)
            return reject(400, ec);
        m_sawContentLength = true;
    } else if (name == http::field::transfer_encoding) {
        if (m_sawContentLength || m_sawTransferEncoding)
            return reject(400, ec);
        m_sawTransferEncoding = true;
    }
}

void RequestParser::on_header_impl(boost::beast::error_code& ec)
{
    // A request whose last transfer coding is not chunked has no knowable length (RFC 9112
    // 6.3): Beast would read it as bodiless and parse the body as the next request.
    if (m_sawTransferEncoding && !chunked())
        reject(400, ec);
}

} // namespace cs::worker
