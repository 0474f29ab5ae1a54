#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cs {

/// The head of an HTTP/1.x response, parsed in place: views point into the buffer given.
struct ResponseHead {
    int status = 0;
    std::size_t headBytes = 0; ///< status line and headers, blank line included
    bool hasContentLength = false;
    std::uint64_t contentLength = 0;
    bool close = false; ///< Connection: close, or HTTP/1.0 without keep-alive
    bool chunked = false;
    std::string_view worker; ///< the X-Worker value, empty when absent
    /// True when the body is known to be empty whatever the headers say (1xx, 204, 304).
    bool noBody() const { return status == 204 || status == 304 || (status >= 100 && status < 200); }
};

/// A minimal response-head parser, enough for measuring servers: status line, headers,
/// Content-Length, Connection and X-Worker. Bodies are framed by the caller.
class ResponseParser {
public:
    enum class Result { Incomplete, Complete, Invalid };

    /// Parses `data`, the bytes received so far from the start of a response.
    /// On Complete, head() describes it; on Invalid, error() says why in a few words.
    Result parse(std::string_view data);
    const ResponseHead& head() const { return m_head; }
    const std::string& error() const { return m_error; }

private:
    Result fail(std::string message);
    ResponseHead m_head;
    std::string m_error;
};

} // namespace cs
