#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/system/error_code.hpp>

namespace cs {

/// Reads HTTP/1.x responses for the load generator with Beast's parser: Content-Length,
/// chunked and read-until-close bodies, HEAD, 1xx interim responses and keep-alive. Only
/// what a load generator needs is kept (status, X-Worker, keep-alive, body size); the body
/// is counted and discarded. One per connection, reused for every response: nothing is
/// allocated per response once the X-Worker value's capacity has been reached.
class ResponseParser {
public:
    static constexpr std::uint32_t kHeaderLimit = 16 * 1024;
    static constexpr std::uint64_t kDefaultBodyLimit = 64ull * 1024 * 1024;

    explicit ResponseParser(std::uint64_t bodyLimit = kDefaultBodyLimit);

    /// Starts a new response; `head` when it answers a HEAD request (no body follows).
    void reset(bool head = false);
    /// Parses the bytes given; returns how many it used (the rest belong to a later call,
    /// with more bytes appended). `ec` is empty or beast::http::error::need_more while the
    /// response is incomplete, anything else means the response is invalid.
    std::size_t put(boost::asio::const_buffer bytes, boost::system::error_code& ec);
    /// The server closed the connection: ends a body that runs until close; `ec` is set
    /// when the response was cut short.
    void putEof(boost::system::error_code& ec);

    bool gotSome() const;
    bool done() const;
    /// A 1xx response other than 101: the final response follows on the same connection.
    bool interim() const { return done() && m_status >= 100 && m_status < 200 && m_status != 101; }
    int status() const { return m_status; }
    /// False when the connection ends with this response (Connection: close, HTTP/1.0,
    /// a body until close, 101 Switching Protocols).
    bool keepAlive() const;
    std::string_view worker() const { return m_worker; }
    std::uint64_t bodyBytes() const { return m_bodyBytes; }
    std::uint64_t bodyLimit() const { return m_bodyLimit; }

    /// What an error from put() or putEof() means, naming the server `from` ("host:port"):
    /// "the response from 127.0.0.1:8000 has a body larger than 64 MiB, the most that is read".
    std::string describe(const boost::system::error_code& ec, std::string_view from) const;

private:
    /// Beast's parser with callbacks that keep only what ResponseParser reports.
    class Reader : public boost::beast::http::basic_parser<false> {
    public:
        explicit Reader(ResponseParser& owner);

    private:
        void on_request_impl(boost::beast::http::verb, boost::beast::string_view, boost::beast::string_view, int,
                             boost::system::error_code&) override;
        void on_response_impl(int code, boost::beast::string_view, int, boost::system::error_code&) override;
        void on_field_impl(boost::beast::http::field, boost::beast::string_view name, boost::beast::string_view value,
                           boost::system::error_code&) override;
        void on_header_impl(boost::system::error_code&) override;
        void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::system::error_code&) override;
        std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code&) override;
        void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::system::error_code&) override;
        std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                       boost::system::error_code&) override;
        void on_finish_impl(boost::system::error_code&) override;

        ResponseParser& m_owner;
    };

    // basic_parser cannot be reset, but it is cheap to construct in place and allocates
    // nothing itself when fed one contiguous buffer.
    std::optional<Reader> m_reader;
    std::uint64_t m_bodyLimit;
    int m_status = 0;
    std::uint64_t m_bodyBytes = 0;
    std::string m_worker; ///< keeps its capacity from one response to the next
};

} // namespace cs
