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

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace cs::worker {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTelemetryPeriod = std::chrono::milliseconds(100);
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);
constexpr std::uint32_t kSignalGraceMs = 10000;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Under hand-off, the master counts a worker's connections as those of its last report plus
// every one it handed over since; the ones that closed since are invisible to it. A report
// after this many closes keeps that count at most this much too high, however fast
// connections come and go (least-connections gave a whole keep-alive burst to one worker
// while the other's count still held the 100 ms of short connections before it).
constexpr std::uint32_t kClosesPerReport = 8;

// What an event in the set is about, when it is not a session (a session's own address).
const char kListenerTag = 0;
const char kChannelTag = 0;
const char kSignalTag = 0;

} // namespace

Server::Server(const WorkerOptions& options)
    : m_options(options)
    , m_responses(options.slot, static_cast<int>(::getpid()))
    , m_scratch(Session::kMaxBuffer)
{
    // A quarter of the heartbeat leaves the master three more chances before it calls a
    // silent worker hung; never less often than today's period, never more than 1 s apart.
    if (options.heartbeatMs > 0)
        m_quietPeriod = std::clamp(std::chrono::milliseconds(options.heartbeatMs / 4), kTelemetryPeriod,
                                   std::chrono::milliseconds(1000));
}

Server::~Server()
{
    // Sessions still held by a timer or a task go before the descriptors they use.
    m_timers.clear();
    m_deferred.clear();
    closeSockets();
    closeInSet(m_listenFd);
    closeInSet(m_channelFd);
    if (m_signalFd >= 0)
        ::close(m_signalFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

std::string Server::start()
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0)
        return "Could not create the worker's epoll set: " + std::string(std::strerror(errno)) + ".";
    if (m_options.mode != AcceptMode::Handoff) {
        if (auto error = openListener(); !error.empty())
            return error;
    }
    if (m_options.ipcFd >= 0) {
        m_channelFd = m_options.ipcFd;
        if (!addToSet(m_channelFd, EPOLLIN, &kChannelTag))
            return "The master's channel (fd " + std::to_string(m_channelFd) + ") is not usable: " + std::string(std::strerror(errno)) + ".";
        if (int error = ipc::sendMessage(m_channelFd, ipc::Ready { static_cast<std::int32_t>(::getpid()) }); error != 0)
            return "Could not report readiness to the master: " + std::string(std::strerror(error)) + ".";
        if (m_listenFd >= 0)
            ipc::sendMessage(m_channelFd, ipc::Listening {});
        scheduleTelemetry();
    } else {
        tcp::endpoint endpoint;
        socklen_t length = static_cast<socklen_t>(endpoint.capacity());
        ::getsockname(m_listenFd, endpoint.data(), &length);
        endpoint.resize(length);
        std::printf("listening on %s\n", hostPort(endpoint.address().to_string(), endpoint.port()).c_str());
        std::fflush(stdout);
    }
    // SIGTERM and SIGINT arrive through the set; SIGQUIT keeps its handler (quit at once).
    sigset_t drainSignals;
    sigemptyset(&drainSignals);
    sigaddset(&drainSignals, SIGTERM);
    sigaddset(&drainSignals, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &drainSignals, nullptr) != 0
        || (m_signalFd = ::signalfd(-1, &drainSignals, SFD_NONBLOCK | SFD_CLOEXEC)) < 0
        || !addToSet(m_signalFd, EPOLLIN, &kSignalTag))
        return "Could not watch for SIGTERM: " + std::string(std::strerror(errno)) + ".";
    scheduleSweep();
    return {};
}

bool Server::addToSet(int fd, std::uint32_t events, const void* tag)
{
    epoll_event event {};
    event.events = events;
    event.data.ptr = const_cast<void*>(tag);
    return ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) == 0;
}

std::string Server::openListener()
{
    if (m_options.mode == AcceptMode::Shared) {
        m_listenFd = m_options.listenFd;
        const int flags = ::fcntl(m_listenFd, F_GETFL);
        // Non-blocking: a worker that loses the race for a shared listener's connection
        // must get EAGAIN, not block.
        if (flags < 0 || ::fcntl(m_listenFd, F_SETFL, flags | O_NONBLOCK) < 0
            || !addToSet(m_listenFd, EPOLLIN, &kListenerTag)) {
            const int error = errno;
            m_listenFd = -1;
            return "The inherited listening socket (fd " + std::to_string(m_options.listenFd) + ") is not usable: "
                + std::string(std::strerror(error)) + ".";
        }
        return {};
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(m_options.bindAddress, ec);
    if (ec)
        return "The bind address \"" + m_options.bindAddress + "\" is not an IP address.";
    const tcp::endpoint endpoint(address, m_options.port);
    const int one = 1;
    m_listenFd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const bool ok = m_listenFd >= 0 && ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0
        && ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0
        // Linux copies TCP_NODELAY to the sockets accepted from here: no syscall per connection.
        && ::setsockopt(m_listenFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0
        && ::bind(m_listenFd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0
        && ::listen(m_listenFd, SOMAXCONN) == 0 && addToSet(m_listenFd, EPOLLIN, &kListenerTag);
    if (!ok) {
        const int error = errno;
        if (m_listenFd >= 0)
            ::close(m_listenFd);
        m_listenFd = -1;
        return "Could not listen on " + hostPort(m_options.bindAddress, m_options.port) + ": " + std::string(std::strerror(error)) + ".";
    }
    return {};
}

// One connection per event: the set is level-triggered for the listener, so one still
// waiting is reported by the next epoll_wait (with whatever else is ready), and no accept
// ends in EAGAIN unless another worker took the connection first (shared).
void Server::acceptOne()
{
    const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
        return adopt(fd, false);
    if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN || errno == EWOULDBLOCK)
        return;
    // Out of descriptors or memory: report it (a storm of it once a second) and stop
    // watching the listener for a while instead of spinning on it.
    const bool descriptors = errno == EMFILE || errno == ENFILE;
    warn(m_acceptFailures,
         std::string("accept failed: ") + std::strerror(errno) + (descriptors ? "; raise ulimit -n" : ""));
    pauseAccepting();
}

void Server::pauseAccepting()
{
    watchListener(0); // no events until the retry
    m_acceptRetryAt = Clock::now() + kAcceptRetry;
}

void Server::watchListener(std::uint32_t events)
{
    epoll_event event {};
    event.events = events;
    event.data.ptr = const_cast<char*>(&kListenerTag);
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, m_listenFd, &event);
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
    return addToSet(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, session);
}

void Server::unwatch(int fd)
{
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

TimerKey Server::after(Clock::duration delay, Task task)
{
    const TimerKey key { Clock::now() + delay, m_timerSequence++ };
    m_timers.emplace(key, std::move(task));
    return key;
}

void Server::cancel(const TimerKey& key)
{
    const auto it = m_timers.find(key);
    if (it == m_timers.end())
        return;
    // Destroyed later: the task may hold the last reference to a session that is on the stack.
    post([task = std::move(it->second)] { });
    m_timers.erase(it);
}

std::string Server::run()
{
    std::array<epoll_event, 128> events;
    while (!m_stopped) {
        int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), timeoutMs(Clock::now()));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const std::string error = "waiting for events failed: " + std::string(std::strerror(errno));
            stop();
            runDeferred();
            closeSockets();
            return error;
        }
        // A session closed while handling an earlier event of this batch is still alive (its
        // reference to itself goes in runDeferred) and ignores its own.
        for (int i = 0; i < n && !m_stopped; ++i) {
            const void* tag = events[i].data.ptr;
            if (tag == &kListenerTag) {
                if (m_listenFd >= 0 && !m_draining)
                    acceptOne();
            } else if (tag == &kChannelTag) {
                if (m_channelFd >= 0)
                    channelReady();
            } else if (tag == &kSignalTag) {
                signalReady();
            } else {
                static_cast<Session*>(events[i].data.ptr)->onEvents(events[i].events);
            }
        }
        runTimers(Clock::now());
        runDeferred();
        // After the deferred tasks: a session is destroyed (and counted closed) in one of them.
        if (m_channelFd >= 0 && m_options.mode == AcceptMode::Handoff && closedSinceReport() >= kClosesPerReport)
            sendTelemetry();
        closeSockets();
    }
    // Stopped: what the timers and tasks still hold is released while the server exists.
    auto timers = std::move(m_timers);
    timers.clear();
    runDeferred();
    closeSockets();
    return {};
}

int Server::timeoutMs(Clock::time_point now) const
{
    if (!m_deferred.empty())
        return 0;
    auto next = std::min({ m_telemetryAt, m_sweepAt, m_graceAt, m_acceptRetryAt });
    if (!m_timers.empty())
        next = std::min(next, m_timers.begin()->first.first);
    if (next == kOff)
        return -1;
    if (next <= now)
        return 0;
    // Rounded up: a timer is never run early, and a wait never ends just short of it.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::min<std::int64_t>(ms, INT32_MAX));
}

void Server::runTimers(Clock::time_point now)
{
    if (m_telemetryAt <= now) {
        m_telemetryAt = kOff;
        telemetryDue();
    }
    if (m_sweepAt <= now && !m_stopped) {
        m_sweepAt = kOff;
        sweep(now);
    }
    if (m_graceAt <= now) {
        m_graceAt = kOff;
        stop();
    }
    if (m_acceptRetryAt <= now) {
        m_acceptRetryAt = kOff;
        if (m_listenFd >= 0 && !m_draining)
            watchListener(EPOLLIN);
    }
    while (!m_timers.empty() && m_timers.begin()->first.first <= now && !m_stopped) {
        auto node = m_timers.extract(m_timers.begin());
        node.mapped()();
    }
}

void Server::runDeferred()
{
    while (!m_deferred.empty()) {
        auto tasks = std::move(m_deferred);
        m_deferred.clear();
        for (auto& task : tasks)
            task();
    }
}

void Server::closeSockets()
{
    for (int fd : m_closing)
        ::close(fd);
    m_closing.clear();
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

void Server::channelReady()
{
    // One message per event: the set is level-triggered for the channel, so what is left
    // is reported by the next epoll_wait, and no recvmsg ends in EAGAIN.
    std::array<std::byte, ipc::kMaxPacket> buffer;
    const ipc::Received received = ipc::receivePacket(m_channelFd, buffer);
    if (received.error == EAGAIN || received.error == EWOULDBLOCK || received.error == EINTR)
        return;
    if (received.error != 0 || received.eof) {
        // The master is gone (or the channel broke): finish what is in flight and leave.
        closeInSet(m_channelFd);
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
        return;
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
        return;
    }
    ipc::closeDescriptors(received);
    if (const auto* drain = std::get_if<ipc::Drain>(&*decoded.message))
        beginDrain(drain->graceMs);
}

void Server::signalReady()
{
    signalfd_siginfo info;
    while (::read(m_signalFd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info)))
        beginDrain(kSignalGraceMs); // a second one changes nothing: the drain has begun
}

// Out of the set first, then closed: under `shared` the master holds the same listening
// socket, and the set would go on reporting it after our descriptor is closed.
void Server::closeInSet(int& fd)
{
    if (fd < 0)
        return;
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    fd = -1;
}

void Server::sendTelemetry()
{
    if (m_channelFd < 0)
        return;
    ipc::Telemetry telemetry;
    telemetry.requests = m_requests;
    telemetry.openConnections = m_open;
    telemetry.connectionsAccepted = m_accepted;
    telemetry.latency = m_latency.counts();
    telemetry.latencySum = m_latency.sum();
    // EAGAIN just drops one report: the next one carries the same cumulative counters.
    ipc::sendMessage(m_channelFd, telemetry);
    m_reported = { m_requests, m_open, m_accepted };
    m_reportedAt = std::chrono::steady_clock::now();
}

std::uint32_t Server::closedSinceReport() const
{
    // accepted - open is every connection closed so far (accepted wraps at 32 bits: so does this)
    return (m_accepted - m_open) - (m_reported.accepted - m_reported.open);
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
    m_telemetryAt = m_resting ? nextBeat() : Clock::now() + kTelemetryPeriod;
}

void Server::telemetryDue()
{
    if (m_stopped)
        return;
    if (m_resting)
        sendTelemetry(); // the beat is the heartbeat: a timer a hair early must not skip it
    else
        reportIfDue();
    m_resting = resting();
    scheduleTelemetry();
}

void Server::scheduleSweep()
{
    // At rest on the beat: the quiet period is never shorter than kSweepPeriod.
    m_sweepAt = m_resting ? nextBeat() : Clock::now() + kSweepPeriod;
}

void Server::sweep(Clock::time_point now)
{
    // Closing only cancels operations; no session is destroyed while we iterate.
    for (Session& session : m_sessions)
        session.checkDeadline(now);
    for (RateLimiter* limiter : { &m_acceptFailures, &m_lostHandoffs })
        if (const auto summary = limiter->summary(now))
            printWarning(*summary);
    scheduleSweep();
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

void Server::beginDrain(std::uint32_t graceMs)
{
    if (m_draining)
        return;
    if (m_listenFd >= 0 && m_options.mode == AcceptMode::ReusePort) {
        // Our own SO_REUSEPORT socket: closing it resets every connection in its accept
        // queue, so take them all first (the kernel already routes new ones to the others
        // only once it is closed; the window in between is one syscall wide).
        for (int fd; (fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0
             || errno == EINTR || errno == ECONNABORTED;) {
            if (fd >= 0)
                adopt(fd, false);
        }
    }
    m_draining = true;
    closeInSet(m_listenFd);
    m_acceptRetryAt = kOff;
    for (Session& session : m_sessions)
        session.drain();
    if (m_open == 0)
        return stop();
    m_graceAt = Clock::now() + std::chrono::milliseconds(graceMs);
}

// Ends the loop after this wake-up; sessions are destroyed while the server still exists.
void Server::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_draining = true;
    sendTelemetry(); // the final counters, so the master's totals are exact
    closeInSet(m_listenFd);
    closeInSet(m_channelFd);
    m_telemetryAt = m_sweepAt = m_graceAt = m_acceptRetryAt = kOff;
    for (Session& session : m_sessions)
        session.forceClose();
}

} // namespace cs::worker
