#include "load/responseparser.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace cs {

namespace http = boost::beast::http;
using boost::system::error_code;

ResponseParser::Reader::Reader(ResponseParser& owner)
    : m_owner(owner)
{
}

void ResponseParser::Reader::on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                                             error_code&)
{
    // A response parser never sees a request line.
}

void ResponseParser::Reader::on_response_impl(int code, boost::beast::string_view, int, error_code&)
{
    m_owner.m_status = code;
}

void ResponseParser::Reader::on_field_impl(http::field, boost::beast::string_view name,
                                           boost::beast::string_view value, error_code&)
{
    if (boost::beast::iequals(name, "x-worker"))
        m_owner.m_worker.assign(value.data(), value.size()); // reuses the capacity it has
}

void ResponseParser::Reader::on_header_impl(error_code&) { }

void ResponseParser::Reader::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) { }

std::size_t ResponseParser::Reader::on_body_impl(boost::beast::string_view body, error_code&)
{
    m_owner.m_bodyBytes += body.size();
    return body.size();
}

void ResponseParser::Reader::on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) { }

std::size_t ResponseParser::Reader::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&)
{
    m_owner.m_bodyBytes += body.size();
    return body.size();
}

void ResponseParser::Reader::on_finish_impl(error_code&) { }

ResponseParser::ResponseParser(std::uint64_t bodyLimit)
    : m_bodyLimit(bodyLimit)
{
    m_worker.reserve(32);
    reset();
}

void ResponseParser::reset(bool head)
{
    m_status = 0;
    m_bodyBytes = 0;
    m_worker.clear();
    m_reader.emplace(*this);
    m_reader->header_limit(kHeaderLimit);
    m_reader->body_limit(m_bodyLimit);
    // Header and as much body as is buffered in one put(): one call per read, not two.
    m_reader->eager(true);
    m_reader->skip(head);
}

std::size_t ResponseParser::put(boost::asio::const_buffer bytes, error_code& ec)
{
    ec = {};
    return m_reader->put(bytes, ec);
}

void ResponseParser::putEof(error_code& ec)
{
    ec = {};
    m_reader->put_eof(ec);
}

bool ResponseParser::gotSome() const
{
    return m_reader->got_some();
}

bool ResponseParser::done() const
{
    return m_reader->is_done();
}

bool ResponseParser::keepAlive() const
{
    return m_reader->keep_alive() && !m_reader->need_eof() && m_status != 101;
}

std::string ResponseParser::describe(const error_code& ec, std::string_view from) const
{
    auto size = [](std::uint64_t bytes) {
        constexpr std::uint64_t MiB = 1024 * 1024;
        if (bytes >= MiB && bytes % MiB == 0)
            return std::to_string(bytes / MiB) + " MiB";
        if (bytes >= 1024 && bytes % 1024 == 0)
            return std::to_string(bytes / 1024) + " KiB";
        return std::to_string(bytes) + " bytes";
    };
    const std::string source(from);
    if (ec == http::error::body_limit)
        return "the response from " + source + " has a body larger than " + size(m_bodyLimit)
            + ", the most that is read";
    if (ec == http::error::header_limit)
        return "invalid response from " + source + ": head larger than " + size(kHeaderLimit);
    if (ec == http::error::partial_message)
        return "reading from " + source + ": the server closed the connection before a full response";
    return "invalid response from " + source + ": " + ec.message();
}

} // namespace cs
