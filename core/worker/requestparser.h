#pragma once

#include <cstdint>

#include <boost/beast/http/basic_parser.hpp>

namespace cs::worker {

/// What a request asks for, decided from the request line while it is still in the buffer,
/// so nothing of the target has to be copied.
enum class Route { Root, Cpu, Sleep, Crash, NotFound, BadQuery, BadMethod };

/// An HTTP/1.1 request parser that keeps only what the worker needs: the route, its `ms`
/// parameter, HEAD-ness and a status to refuse the request with. It never allocates and
/// discards the body, so it is re-emplaced per request at no cost.
class RequestParser final : public boost::beast::http::basic_parser<true> {
public:
    static constexpr std::size_t kMaxTarget = 8192;
    static constexpr std::size_t kMaxFieldBytes = 16384;
    static constexpr int kMaxFields = 100;

    RequestParser();

    Route route() const { return m_route; }
    std::uint32_t millis() const { return m_millis; }
    bool isHead() const { return m_head; }
    /// The status our own checks refused the request with (414, 431, 400), or 0.
    int rejectStatus() const { return m_reject; }
    /// Beast consumes the request line before the fields are complete; until then an
    /// overlong first line means an overlong target (414), after it the fields are too big.
    bool requestLineDone() const { return m_requestLineDone; }

private:
    void on_request_impl(boost::beast::http::verb method, boost::beast::string_view methodText,
                         boost::beast::string_view target, int version,
                         boost::beast::error_code& ec) override;
    void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override { }
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view nameText,
                       boost::beast::string_view value, boost::beast::error_code& ec) override;
    void on_header_impl(boost::beast::error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::beast::error_code&) override { }
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override
    {
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) override { }
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   boost::beast::error_code&) override
    {
        return body.size();
    }
    void on_finish_impl(boost::beast::error_code&) override { }

    void reject(int status, boost::beast::error_code& ec);

    Route m_route = Route::NotFound;
    std::uint32_t m_millis = 0;
    bool m_head = false;
    bool m_requestLineDone = false;
    int m_reject = 0;
    int m_fields = 0;
    std::size_t m_fieldBytes = 0;
    bool m_sawContentLength = false;
    bool m_sawTransferEncoding = false;
};

/// Classifies a request target: exact path match, `ms` from the query for /cpu and /sleep
/// (a missing, non-numeric or out-of-range value gives Route::BadQuery). Pure, for tests.
Route classifyTarget(std::string_view target, std::uint32_t& millis);

} // namespace cs::worker
