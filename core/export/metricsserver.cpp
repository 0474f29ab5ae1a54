#include "export/metricsserver.h"

#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace cs {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// One scrape: read the request head (bounded in size and time), answer, close.
class Scrape : public std::enable_shared_from_this<Scrape> {
public:
    Scrape(tcp::socket socket, const std::function<std::string()>& render)
        : m_socket(std::move(socket))
        , m_timer(m_socket.get_executor())
        , m_request(8192)
        , m_render(render)
    {
    }

    void start()
    {
        auto self = shared_from_this();
        m_timer.expires_after(std::chrono::seconds(5));
        m_timer.async_wait([self](boost::system::error_code ec) {
            if (!ec)
                self->m_socket.close(ec);
        });
        asio::async_read_until(m_socket, m_request, "\r\n\r\n", [self](boost::system::error_code ec, std::size_t) {
            if (ec) {
                self->m_timer.cancel();
                return;
            }
            self->respond();
        });
    }

private:
    void respond()
    {
        std::istream stream(&m_request);
        std::string method, target;
        stream >> method >> target;
        std::string body;
        const char* status = "200 OK";
        const char* type = "text/plain; version=0.0.4; charset=utf-8";
        if (method != "GET" && method != "HEAD") {
            status = "405 Method Not Allowed";
            type = "text/plain; charset=utf-8";
            body = "Only GET /metrics is served here.\n";
        } else if (target != "/metrics" && target.rfind("/metrics?", 0) != 0) {
            status = "404 Not Found";
            type = "text/plain; charset=utf-8";
            body = "Clusterscope serves its metrics at /metrics.\n";
        } else {
            body = m_render();
        }
        m_response = std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + type
            + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        if (method != "HEAD")
            m_response += body;
        auto self = shared_from_this();
        asio::async_write(m_socket, asio::buffer(m_response), [self](boost::system::error_code, std::size_t) {
            boost::system::error_code ignored;
            self->m_socket.shutdown(tcp::socket::shutdown_both, ignored);
            self->m_socket.close(ignored);
            self->m_timer.cancel();
        });
    }

    tcp::socket m_socket;
    asio::steady_timer m_timer;
    asio::streambuf m_request;
    std::string m_response;
    const std::function<std::string()>& m_render;
};

} // namespace

struct MetricsServer::Impl {
    asio::io_context io;
    tcp::acceptor acceptor { io };
    std::function<std::string()> render;
    std::thread thread;
    std::uint16_t port = 0;

    void accept()
    {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open())
                return;
            if (!ec)
                std::make_shared<Scrape>(std::move(socket), render)->start();
            accept();
        });
    }
};

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
    m_impl->render = std::move(render);
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
    m_impl->thread = std::thread([impl] { impl->io.run(); });
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
