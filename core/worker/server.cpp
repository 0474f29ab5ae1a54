#include "worker/server.h"

#include "ipc/channel.h"
#include "ipc/message.h"
#include "messages/wording.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

namespace cs::worker {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTelemetryPeriod = std::chrono::milliseconds(100);
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);
constexpr std::uint32_t kSignalGraceMs = 10000;
// Accepting a bounded batch per wake-up keeps one busy worker from starving its own
// connections when the listener is shared.
constexpr int kAcceptBatch = 64;

tcp protocolOf(int fd)
{
    sockaddr_storage address {};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 && address.ss_family == AF_INET6)
        return tcp::v6();
    return tcp::v4();
}

} // namespace

Server::Server(asio::io_context& io, const WorkerOptions& options)
    : m_io(io)
    , m_options(options)
    , m_responses(options.slot, static_cast<int>(::getpid()))
    , m_telemetryTimer(io)
    , m_sweepTimer(io)
    , m_graceTimer(io)
    , m_acceptRetryTimer(io)
    , m_signals(io)
    , m_scratch(Session::kMaxBuffer)
{
    // A quarter of the heartbeat leaves the master three more chances before it calls a
    // silent worker hung; never less often than today's period, never more than 1 s apart.
    if (options.heartbeatMs > 0)
        m_quietPeriod = std::clamp(std::chrono::milliseconds(options.heartbeatMs / 4), kTelemetryPeriod,
                                   std::chrono::milliseconds(1000));
}

Server::~Server() = default;

std::string Server::start()
{
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0)
        return "Could not create the connections' epoll set: " + std::string(std::strerror(errno)) + ".";
    boost::system::error_code ec;
    m_events.emplace(m_io);
    m_events->assign(epoll, ec);
    if (ec) {
        ::close(epoll);
        return "Could not watch the connections' epoll set: " + ec.message() + ".";
    }
    waitEvents();
    if (m_options.mode != AcceptMode::Handoff) {
        if (auto error = openListener(); !error.empty())
            return error;
    }
    if (m_options.ipcFd >= 0) {
        m_channel.emplace(m_io);
        m_channel->assign(m_options.ipcFd, ec);
        if (ec)
            return "The master's channel (fd " + std::to_string(m_options.ipcFd) + ") is not usable: " + ec.message() + ".";
        if (int error = ipc::sendMessage(m_options.ipcFd, ipc::Ready { static_cast<std::int32_t>(::getpid()) }); error != 0)
            return "Could not report readiness to the master: " + std::string(std::strerror(error)) + ".";
        if (m_acceptor)
            ipc::sendMessage(m_options.ipcFd, ipc::Listening {});
        waitChannel();
        scheduleTelemetry();
    } else {
        const auto endpoint = m_acceptor->local_endpoint();
        std::printf("listening on %s\n", hostPort(endpoint.address().to_string(), endpoint.port()).c_str());
        std::fflush(stdout);
    }
    if (m_acceptor)
        waitAccept();
    m_signals.add(SIGTERM);
    m_signals.add(SIGINT);
    waitSignals();
    scheduleSweep();
    return {};
}

std::string Server::openListener()
{
    boost::system::error_code ec;
    if (m_options.mode == AcceptMode::Shared) {
        m_acceptor.emplace(m_io);
        m_acceptor->assign(protocolOf(m_options.listenFd), m_options.listenFd, ec);
        if (ec)
            return "The inherited listening socket (fd " + std::to_string(m_options.listenFd) + ") is not usable: " + ec.message() + ".";
    } else {
        const auto address = asio::ip::make_address(m_options.bindAddress, ec);
        if (ec)
            return "The bind address \"" + m_options.bindAddress + "\" is not an IP address.";
        const tcp::endpoint endpoint(address, m_options.port);
        m_acceptor.emplace(m_io);
        auto& acceptor = *m_acceptor;
        acceptor.open(endpoint.protocol(), ec);
        if (!ec)
            acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec)
            acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
        if (!ec)
            acceptor.set_option(tcp::no_delay(true), ec);
        if (!ec)
            acceptor.bind(endpoint, ec);
        if (!ec)
            acceptor.listen(tcp::acceptor::max_listen_connections, ec);
        if (ec)
            return "Could not listen on " + hostPort(m_options.bindAddress, m_options.port) + ": " + ec.message() + ".";
    }
    // Accepting with our own accept4 loop: a worker that loses the race for a shared
    // listener's connection must get EAGAIN, not block.
    m_acceptor->native_non_blocking(true, ec);
    return {};
}

void Server::waitAccept()
{
    m_acceptor->async_wait(tcp::acceptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec || m_draining || !m_acceptor->is_open())
            return;
        acceptReady();
    });
}

void Server::acceptReady()
{
    for (int i = 0; i < kAcceptBatch; ++i) {
        const int fd = ::accept4(m_acceptor->native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            adopt(fd, false);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        // Out of descriptors or memory: report it (a storm of it once a second) and back off
        // instead of spinning.
        const bool descriptors = errno == EMFILE || errno == ENFILE;
        warn(m_acceptFailures,
             std::string("accept failed: ") + std::strerror(errno) + (descriptors ? "; raise ulimit -n" : ""));
        m_acceptRetryTimer.expires_after(std::chrono::milliseconds(100));
        m_acceptRetryTimer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec && !m_draining)
                waitAccept();
        });
        return;
    }
    waitAccept();
}

void Server::adopt(int fd, bool handedOver)
{
    // While draining, a connection accepted or handed over before the drain began is still
    // served (its response says Connection: close); only a stopped server refuses.
    if (m_stopped || m_open >= m_options.maxConnections) {
        ::close(fd);
        return;
    }
    ++m_accepted;
    // TCP_NODELAY comes from the listener (Linux copies it to accepted sockets): the master
    // and openListener() set it there, saving a syscall per connection. Every read and write
    // passes MSG_DONTWAIT, so the descriptor's own blocking mode does not matter.
    Session::Ptr(new Session(*this, fd, handedOver))->start();
}

bool Server::watch(int fd, Session* session)
{
    epoll_event event {};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = session;
    return ::epoll_ctl(m_events->native_handle(), EPOLL_CTL_ADD, fd, &event) == 0;
}

void Server::unwatch(int fd)
{
    ::epoll_ctl(m_events->native_handle(), EPOLL_CTL_DEL, fd, nullptr);
}

void Server::waitEvents()
{
    m_events->async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
        if (ec || m_stopped)
            return;
        dispatchEvents();
        waitEvents();
    });
}

// One epoll_wait per wake-up: what is left over keeps the set readable, and the next
// async_wait (which re-arms it) reports that at once, after the other handlers had a turn.
void Server::dispatchEvents()
{
    std::array<epoll_event, 128> events;
    int n;
    do
        n = ::epoll_wait(m_events->native_handle(), events.data(), static_cast<int>(events.size()), 0);
    while (n < 0 && errno == EINTR);
    // A session closed while handling an earlier event of this batch is still alive (it
    // drops its reference later) and ignores its own.
    for (int i = 0; i < n; ++i)
        static_cast<Session*>(events[i].data.ptr)->onEvents(events[i].events);
}

void Server::sessionOpened(Session& session)
{
    ++m_open;
    m_sessions.push_back(session);
    // Work again after a rest: back to the short periods (deadlines are checked every 50 ms,
    // counters reported every 100 ms). Only the first connection after a rest pays for it.
    if (m_resting && !m_stopped) {
        m_resting = false;
        scheduleSweep();
        scheduleTelemetry();
    }
}

void Server::sessionClosed()
{
    --m_open;
    if (m_draining && m_open == 0)
        stop();
}

void Server::waitChannel()
{
    m_channel->async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
        if (!ec && !m_stopped)
            channelReady();
    });
}

void Server::channelReady()
{
    std::array<std::byte, ipc::kMaxPacket> buffer;
    for (;;) {
        const ipc::Received received = ipc::receivePacket(m_options.ipcFd, buffer);
        if (received.error == EAGAIN || received.error == EWOULDBLOCK)
            break;
        if (received.error != 0 || received.eof) {
            // The master is gone (or the channel broke): finish what is in flight and leave.
            m_channel->close();
            beginDrain(kSignalGraceMs);
            return;
        }
        const ipc::Decoded decoded = received.truncated
            ? ipc::Decoded { std::nullopt, ipc::DecodeError::LengthMismatch }
            : ipc::decode(std::span<const std::byte>(buffer.data(), received.size));
        if (!decoded.message) {
            std::fprintf(stderr, "clusterscope-worker %d: ignored a message from the master: %s\n",
                         m_options.slot, ipc::describe(decoded.error));
            ipc::closeDescriptors(received);
            continue;
        }
        if (const auto* connection = std::get_if<ipc::Connection>(&*decoded.message)) {
            // One message may carry several connections (the master batches what it accepted
            // for us in one wake-up); adopt() closes each at once while draining.
            for (std::size_t i = 0; i < received.fdCount; ++i)
                adopt(received.fds[i], true);
            if (received.fdCount < connection->count)
                warn(m_lostHandoffs, received.descriptorLost
                         ? "a connection handed over by the master was lost: no file descriptor was left for it; "
                           "raise ulimit -n"
                         : "a connection hand-off came without a socket");
            continue;
        }
        ipc::closeDescriptors(received);
        if (const auto* drain = std::get_if<ipc::Drain>(&*decoded.message))
            beginDrain(drain->graceMs);
        if (m_stopped)
            return;
    }
    waitChannel();
}

void Server::sendTelemetry()
{
    if (!m_channel || !m_channel->is_open())
        return;
    ipc::Telemetry telemetry;
    telemetry.requests = m_requests;
    telemetry.openConnections = m_open;
    telemetry.connectionsAccepted = m_accepted;
    telemetry.latency = m_latency.counts();
    telemetry.latencySum = m_latency.sum();
    // EAGAIN just drops one report: the next one carries the same cumulative counters.
    ipc::sendMessage(m_options.ipcFd, telemetry);
    m_reported = { m_requests, m_open, m_accepted };
    m_reportedAt = std::chrono::steady_clock::now();
}

void Server::reportIfDue()
{
    if (Reported { m_requests, m_open, m_accepted } == m_reported
        && std::chrono::steady_clock::now() - m_reportedAt < m_quietPeriod)
        return;
    sendTelemetry();
}

// A worker with no connection and nothing new to say rests: its timers fire once per quiet
// period instead of 20 + 10 times a second (256 idle workers took a fifth of a core).
bool Server::resting() const
{
    return m_open == 0 && Reported { m_requests, m_open, m_accepted } == m_reported;
}

// At rest, every worker keeps the same beat: the next multiple of the quiet period on the
// machine-wide monotonic clock. The master then wakes once for all their reports instead of
// once per worker (256 resting workers were 256 wake-ups a second), and a worker's two
// timers fire together.
Session::Clock::time_point Server::nextBeat() const
{
    const auto now = Session::Clock::now();
    const auto period = std::chrono::duration_cast<Session::Clock::duration>(m_quietPeriod);
    return now + (period - now.time_since_epoch() % period);
}

void Server::scheduleTelemetry()
{
    if (m_resting)
        m_telemetryTimer.expires_at(nextBeat());
    else
        m_telemetryTimer.expires_after(kTelemetryPeriod);
    m_telemetryTimer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || m_stopped)
            return;
        if (m_resting)
            sendTelemetry(); // the beat is the heartbeat: a timer a hair early must not skip it
        else
            reportIfDue();
        m_resting = resting();
        scheduleTelemetry();
    });
}

void Server::scheduleSweep()
{
    if (m_resting)
        m_sweepTimer.expires_at(nextBeat()); // the quiet period is never shorter than kSweepPeriod
    else
        m_sweepTimer.expires_after(kSweepPeriod);
    m_sweepTimer.async_wait([this](const boost::system::error_code& ec) {
        if (ec || m_stopped)
            return;
        const auto now = Session::Clock::now();
        // Closing only cancels operations; no session is destroyed while we iterate.
        for (Session& session : m_sessions)
            session.checkDeadline(now);
        for (RateLimiter* limiter : { &m_acceptFailures, &m_lostHandoffs })
            if (const auto summary = limiter->summary(now))
                printWarning(*summary);
        scheduleSweep();
    });
}

void Server::warn(RateLimiter& limiter, const std::string& message)
{
    for (const auto& line : limiter.report(message, RateLimiter::Clock::now()))
        printWarning(line);
}

void Server::printWarning(const std::string& line) const
{
    std::fprintf(stderr, "clusterscope-worker %d: %s\n", m_options.slot, line.c_str());
}

void Server::waitSignals()
{
    m_signals.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec || m_stopped)
            return;
        beginDrain(kSignalGraceMs);
        if (!m_stopped)
            waitSignals(); // stays ready for another one; stop() cancels it
    });
}

void Server::beginDrain(std::uint32_t graceMs)
{
    if (m_draining)
        return;
    boost::system::error_code ignored;
    if (m_acceptor && m_options.mode == AcceptMode::ReusePort) {
        // Our own SO_REUSEPORT socket: closing it resets every connection in its accept
        // queue, so take them all first (the kernel already routes new ones to the others
        // only once it is closed; the window in between is one syscall wide).
        for (int fd; (fd = ::accept4(m_acceptor->native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0
             || errno == EINTR || errno == ECONNABORTED;) {
            if (fd >= 0)
                adopt(fd, false);
        }
    }
    m_draining = true;
    if (m_acceptor)
        m_acceptor->close(ignored);
    m_acceptRetryTimer.cancel();
    for (Session& session : m_sessions)
        session.drain();
    if (m_open == 0)
        return stop();
    m_graceTimer.expires_after(std::chrono::milliseconds(graceMs));
    m_graceTimer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            stop();
    });
}

// Cancels everything so that io_context::run() returns once the last handler has run;
// sessions are destroyed while the server still exists.
void Server::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_draining = true;
    sendTelemetry(); // the final counters, so the master's totals are exact
    boost::system::error_code ignored;
    if (m_acceptor)
        m_acceptor->close(ignored);
    if (m_channel)
        m_channel->close(ignored);
    m_telemetryTimer.cancel();
    m_sweepTimer.cancel();
    m_graceTimer.cancel();
    m_acceptRetryTimer.cancel();
    m_signals.cancel(ignored);
    for (Session& session : m_sessions)
        session.forceClose();
    // Closed after the sessions, whose sockets were in it; its wait ends with the loop's work.
    if (m_events)
        m_events->close(ignored);
}

} // namespace cs::worker
