#include "load/responseparser.h"

#include <algorithm>
#include <charconv>

namespace cs {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

// Whether a comma-separated header value such as "keep-alive, Upgrade" holds `token`.
bool hasToken(std::string_view value, std::string_view token)
{
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        if (equalsIgnoreCase(item, token))
            return true;
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

ResponseParser::Result ResponseParser::fail(std::string message)
{
    m_error = std::move(message);
    return Result::Invalid;
}

ResponseParser::Result ResponseParser::parse(std::string_view data)
{
    m_head = ResponseHead {};
    m_error.clear();

    // Reject garbage as soon as it shows, rather than waiting for a blank line that never comes.
    constexpr std::string_view prefix = "HTTP/1.";
    if (data.substr(0, prefix.size()) != prefix.substr(0, std::min(prefix.size(), data.size())))
        return fail("not an HTTP/1.x response");

    std::size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return Result::Incomplete;
    m_head.headBytes = end + 4;

    std::string_view lines = data.substr(0, end + 2);
    std::size_t eol = lines.find("\r\n");
    std::string_view statusLine = lines.substr(0, eol);
    lines.remove_prefix(eol + 2);

    // "HTTP/1.1 200 OK": version, one space, three digits, then an optional reason.
    if (statusLine.size() < 12 || statusLine[8] != ' ' || (statusLine.size() > 12 && statusLine[12] != ' '))
        return fail("malformed status line");
    const bool http10 = statusLine[7] == '0';
    if (!http10 && statusLine[7] != '1')
        return fail("unsupported HTTP version");
    int status = 0;
    auto [ptr, ec] = std::from_chars(statusLine.data() + 9, statusLine.data() + 12, status);
    if (ec != std::errc() || ptr != statusLine.data() + 12 || status < 100)
        return fail("malformed status code");
    m_head.status = status;
    m_head.close = http10;

    while (!lines.empty()) {
        eol = lines.find("\r\n");
        std::string_view line = lines.substr(0, eol);
        lines.remove_prefix(eol + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return fail("malformed header line");
        std::string_view name = line.substr(0, colon);
        std::string_view value = trim(line.substr(colon + 1));
        if (equalsIgnoreCase(name, "content-length")) {
            std::uint64_t length = 0;
            auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (value.empty() || e != std::errc() || p != value.data() + value.size())
                return fail("malformed Content-Length");
            if (m_head.hasContentLength && length != m_head.contentLength)
                return fail("conflicting Content-Length headers");
            m_head.hasContentLength = true;
            m_head.contentLength = length;
        } else if (equalsIgnoreCase(name, "connection")) {
            if (hasToken(value, "close"))
                m_head.close = true;
            else if (http10 && hasToken(value, "keep-alive"))
                m_head.close = false;
        } else if (equalsIgnoreCase(name, "transfer-encoding")) {
            if (hasToken(value, "chunked"))
                m_head.chunked = true;
        } else if (equalsIgnoreCase(name, "x-worker")) {
            m_head.worker = value;
        }
    }
    return Result::Complete;
}

} // namespace cs
