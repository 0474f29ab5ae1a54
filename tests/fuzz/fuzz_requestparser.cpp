// Feeds arbitrary bytes to the worker's request parser the way a session does: in pieces,
// with a fresh parser after each complete request, until an error or the input ends.
#include "worker/requestparser.h"

#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/asio/buffer.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The first byte picks the piece size, so splits inside tokens are explored too.
    if (size == 0)
        return 0;
    const std::size_t piece = 1 + data[0] % 64;
    ++data;
    --size;
    std::optional<cs::worker::RequestParser> parser;
    std::size_t begin = 0;
    std::size_t end = 0;
    while (begin < size) {
        end = std::min(size, std::max(end, begin) + piece);
        if (!parser) {
            parser.emplace();
            parser->body_limit(1 << 20);
        }
        boost::beast::error_code ec;
        const std::size_t used = parser->put(boost::asio::buffer(data + begin, end - begin), ec);
        begin += used;
        if (ec == boost::beast::http::error::need_more) {
            if (end == size)
                break;
            continue;
        }
        if (ec)
            break;
        if (parser->is_done()) {
            (void)parser->route();
            (void)parser->millis();
            parser.reset();
        } else if (used == 0 && end == size) {
            break;
        }
    }
    std::uint32_t millis = 0;
    (void)cs::worker::classifyTarget(std::string_view(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 256)), millis);
    return 0;
}
