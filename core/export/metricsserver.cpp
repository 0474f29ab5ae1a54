#include "export/metricsserver.h"

#include <chrono>
#include <exception>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace cs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 8192;
// The whole scrape, from accept to the response written: a client that trickles its request
// (slowloris) or never reads the answer is cut here, however steadily it sends.
constexpr auto kDeadline = std::chrono::seconds(5);
// Scrapes open at once. Past this a new connection is closed at once, so a crowd of slow
// clients cannot take the descriptors the master needs for the cluster's own connections.
constexpr int kMaxScrapes = 64;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr const char* kText = "text/plain; charset=utf-8";

/// What the scrapes share with the server.
struct Shared {
    std::function<std::string()> render;
    int scrapes = 0; ///< open now
};

} // namespace

struct MetricsServer::Impl {
    Shared shared; // before `io`: it outlives the scrapes that io's destructor ends
    asio::io_context io;
    tcp::acceptor acceptor { io };
    asio::steady_timer acceptRetry { io };
    std::thread thread;
    std::uint16_t port = 0;

    void accept();
    void run() noexcept;
};

namespace {

/// One scrape: read one request (head bounded in size, everything bounded in time) with
/// Beast's parser, answer it, close. Every failure ends here as a status or a quiet close.
class Scrape : public std::enable_shared_from_this<Scrape> {
public:
    Scrape(tcp::socket socket, Shared& server)
        : m_stream(std::move(socket))
        , m_server(server)
    {
        ++m_server.scrapes;
        m_parser.header_limit(kHeaderLimit);
    }
    ~Scrape() { --m_server.scrapes; }

    void start()
    {
        m_stream.expires_after(kDeadline);
        http::async_read(m_stream, m_buffer, m_parser,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

private:
    void onRead(beast::error_code ec)
    {
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
            respond(http::status::request_header_fields_too_large, "The request's header is larger than 8 KiB.\n",
                    false, kText, true);
            return;
        }
        if (ec == http::error::unexpected_body) { // the head was read: a POST with a form is still a 405
            if (!isGetOrHead())
                refuseMethod(true);
            else
                respond(http::status::bad_request, "A scrape is GET /metrics without a body.\n", false, kText, true);
            return;
        }
        if (ec == http::error::end_of_stream || ec == http::error::partial_message)
            return close(); // the client went away
        if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
            respond(http::status::bad_request, "The request is not valid HTTP/1.1; scrape GET /metrics.\n", false, kText,
                    true);
            return;
        }
        if (ec)
            return close(); // the deadline (the stream is closed already) or a socket error

        const auto& request = m_parser.get();
        const bool head = request.method() == http::verb::head;
        const std::string_view target = request.target();
        if (!isGetOrHead()) {
            refuseMethod(false);
        } else if (target != "/metrics" && !target.starts_with("/metrics?")) {
            respond(http::status::not_found, "Clusterscope serves its metrics at /metrics.\n", head);
        } else {
            respondMetrics(head);
        }
    }

    bool isGetOrHead() const
    {
        const auto method = m_parser.get().method();
        return method == http::verb::get || method == http::verb::head;
    }

    void refuseMethod(bool unread)
    {
        m_response.set(http::field::allow, "GET, HEAD");
        respond(http::status::method_not_allowed, "Only GET /metrics is served here.\n", false, kText, unread);
    }

    void respondMetrics(bool head)
    {
        std::string body;
        try {
            body = m_server.render();
        } catch (const std::exception& e) {
            respond(http::status::internal_server_error,
                    std::string("The metrics could not be put together (") + e.what() + "); try again.\n", head);
            return;
        } catch (...) {
            respond(http::status::internal_server_error, "The metrics could not be put together; try again.\n", head);
            return;
        }
        respond(http::status::ok, std::move(body), head, "text/plain; version=0.0.4; charset=utf-8", false);
    }

    /// `unread`: the request was refused part way, so more of it may still be coming.
    void respond(http::status status, std::string body, bool head, const char* type = kText, bool unread = false)
    {
        m_response.version(11);
        m_response.result(status);
        m_response.set(http::field::content_type, type);
        m_response.keep_alive(false); // one scrape per connection, as before
        m_response.body() = std::move(body);
        m_response.prepare_payload();
        if (head) // the length of what GET would send, and no body
            m_response.body().clear();
        http::async_write(m_stream, m_response, [self = shared_from_this(), unread](beast::error_code ec, std::size_t) {
            if (!ec)
                self->m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
            if (!ec && unread)
                self->drain();
            else
                self->close();
        });
    }

    // Closing with unread bytes makes the kernel send a reset, which can destroy the answer
    // before the client reads it; so read and drop the rest until the client closes (or the
    // deadline, still running, does).
    void drain()
    {
        m_stream.async_read_some(asio::buffer(m_drain), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                self->close();
            else
                self->drain();
        });
    }

    void close()
    {
        beast::error_code ignored;
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    Shared& m_server;
    // Above the header limit, so an oversized head is the parser's header_limit (431), not
    // a buffer overflow.
    beast::flat_buffer m_buffer { 2 * kHeaderLimit };
    char m_drain[512];
    http::request_parser<http::empty_body> m_parser;
    http::response<http::string_body> m_response;
};

} // namespace

void MetricsServer::Impl::accept()
{
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open())
            return;
        if (ec) {
            // Out of descriptors, say: accepting again at once would spin.
            acceptRetry.expires_after(kAcceptRetry);
            acceptRetry.async_wait([this](beast::error_code waitEc) {
                if (!waitEc)
                    accept();
            });
            return;
        }
        if (shared.scrapes < kMaxScrapes)
            std::make_shared<Scrape>(std::move(socket), shared)->start();
        // else the socket closes as it goes out of scope
        accept();
    });
}

void MetricsServer::Impl::run() noexcept
{
    // The handlers catch what they can throw; what is left (an allocation failing) ends that
    // handler only, never the thread or the master around it.
    for (;;) {
        try {
            io.run();
            return;
        } catch (...) {
        }
    }
}

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer()
{
    stop();
}

std::string MetricsServer::start(const std::string& bindAddress, std::uint16_t port,
                                 std::function<std::string()> render)
{
    stop();
    m_impl = std::make_unique<Impl>();
    m_impl->shared.render = std::move(render);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(bindAddress, ec);
    if (ec)
        return "The metrics address '" + bindAddress + "' is not an IP address.";
    const tcp::endpoint endpoint(address, port);
    m_impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        m_impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        m_impl->acceptor.bind(endpoint, ec);
    if (!ec)
        m_impl->acceptor.listen(64, ec);
    if (ec) {
        const std::string reason = ec == asio::error::address_in_use
            ? "is already in use; choose another port"
            : ec.message();
        m_impl.reset();
        return "The metrics port " + std::to_string(port) + " on " + bindAddress + " " + reason + ".";
    }
    m_impl->port = m_impl->acceptor.local_endpoint().port();
    m_impl->accept();
    Impl* impl = m_impl.get();
    m_impl->thread = std::thread([impl] { impl->run(); });
    return {};
}

void MetricsServer::stop()
{
    if (!m_impl)
        return;
    Impl* impl = m_impl.get();
    asio::post(impl->io, [impl] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        impl->io.stop();
    });
    if (impl->thread.joinable())
        impl->thread.join();
    m_impl.reset();
}

std::uint16_t MetricsServer::port() const
{
    return m_impl ? m_impl->port : 0;
}

} // namespace cs
