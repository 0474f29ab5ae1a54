#include "worker/session.h"

#include "worker/server.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>

namespace cs::worker {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// What a session allocates when it has to keep part of a request (it grows to kMaxBuffer).
constexpr std::size_t kInitialBuffer = 4096;
// Stop answering a pipelined batch once this much output waits, so a client that sends a
// flood of requests without reading cannot grow our memory.
constexpr std::size_t kMaxBatchOutput = 65536;
// After an error response, how long to read and discard what the client still sends so the
// close does not reset the connection before the client has read our answer.
constexpr auto kLinger = std::chrono::seconds(1);
// While the worker drains, a kept-alive connection idle this long is closed. A client that
// waits for each response sends its next request within a round trip of reading it, so a
// request on its way is read (and answered with Connection: close) long before this.
constexpr auto kDrainQuiet = std::chrono::milliseconds(500);

void burnCpu(std::uint32_t ms)
{
    auto cpuNow = [] {
        timespec ts {};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    };
    const std::int64_t until = cpuNow() + std::int64_t(ms) * 1000000;
    volatile std::uint64_t sink = 0;
    while (cpuNow() < until) {
        for (int i = 0; i < 1000; ++i)
            sink = sink + static_cast<std::uint64_t>(i);
    }
}

// "<prefix><n><suffix>" in a stack buffer: small bodies without a heap allocation.
std::string_view formatBody(char (&buffer)[64], std::string_view prefix, std::uint32_t n, std::string_view suffix)
{
    char* p = std::copy(prefix.begin(), prefix.end(), buffer);
    p = std::to_chars(p, buffer + 32, n).ptr;
    p = std::copy(suffix.begin(), suffix.end(), p);
    return { buffer, static_cast<std::size_t>(p - buffer) };
}

} // namespace

Session::Session(Server& server, int fd, bool handedOver)
    : m_server(server)
    , m_fd(fd)
    , m_handedOver(handedOver)
{
}

Session::~Session()
{
    if (!m_closed)
        ::close(m_fd);
    // Out of the server's list first: sessionClosed() may stop the server, which walks it.
    SessionHook::unlink();
    m_server.sessionClosed();
}

void Session::start()
{
    m_readTime = Clock::now();
    // A new connection has to deliver its first header in time, like any other request.
    m_deadline = m_readTime + std::chrono::milliseconds(m_server.options().headerTimeoutMs);
    m_server.sessionOpened(*this);
    pump();
}

bool Session::idle() const
{
    return m_wait == Wait::Read && !m_parser && m_begin == m_end && m_out.empty() && !m_pendingSleep;
}

// True while part of a request has arrived and the rest has not.
bool Session::requestStarted() const
{
    return m_wait == Wait::Read && (m_parser || m_begin < m_end) && !m_closing && !m_lingering;
}

void Session::checkDeadline(Clock::time_point now)
{
    if (m_closed || now < m_deadline)
        return;
    if (requestStarted())
        return timeOut();
    if (m_server.draining() && idle()) {
        // A request that arrived since the last read completed is answered, not reset.
        char peek;
        if (::recv(m_fd, &peek, 1, MSG_DONTWAIT | MSG_PEEK) > 0) {
            m_deadline = now + kDrainQuiet;
            return;
        }
    }
    forceClose();
}

// A header or body that did not arrive in time: stop the read, then answer 408 and close
// (the client learns why, and the linger keeps the close from resetting that answer).
void Session::timeOut()
{
    m_timedOut = true;
    m_deadline = Clock::time_point::max();
    // Not from inside the server's sweep over its sessions: the read's continuation answers.
    m_server.post([self = Ptr(this)] {
        if (self->m_wait == Wait::Read && !self->m_closed) {
            self->m_wait = Wait::None;
            self->readable();
        }
    });
}

// While draining, the response to the last request received says Connection: close; the
// requests a client pipelined behind it, already here, are answered first.
bool Session::closeAfterThis() const
{
    return m_server.draining() && m_begin == m_end;
}

void Session::drain()
{
    if (m_lingering)
        return forceClose();
    // An idle kept-alive connection may have a request on its way: it closes after a quiet
    // period (see checkDeadline). A connection that has not yet brought its first request
    // was handed to us (or accepted) before the drain, and gets that request answered.
    if (idle() && m_served)
        m_deadline = std::min(m_deadline, Clock::now() + kDrainQuiet);
    // Any response from now on goes out with Connection: close (see handleRequest).
}

void Session::forceClose()
{
    if (m_closed)
        return;
    m_closed = true;
    m_wait = Wait::None;
    // Closing the last descriptor of a socket takes it out of the epoll set. A socket the
    // master handed over may still be open there for a moment, and would stay in the set,
    // reporting events for a session that is gone: it leaves explicitly.
    if (m_watched && m_handedOver)
        m_server.unwatch(m_fd);
    m_server.closeAfterReport(m_fd);
    if (m_pendingSleep)
        m_server.cancel(m_sleepTimer);
    if (m_watched) {
        // The set's reference goes later: an event for this session may still wait in the
        // batch the server is dispatching, and the sweep may be walking the sessions.
        m_watched = false;
        m_server.post([this] { intrusive_ptr_release(this); });
    }
}

void Session::onEvents(std::uint32_t events)
{
    if (m_closed)
        return;
    const Ptr self(this);
    const bool in = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    const bool out = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    if (in)
        m_drained = false; // bytes (or the end) came since the last read looked
    switch (m_wait) {
    case Wait::Read:
        if (in) {
            m_wait = Wait::None;
            readable();
        }
        break;
    case Wait::Linger:
        if (in) {
            m_wait = Wait::None;
            linger();
        }
        break;
    case Wait::Write:
        if (out) {
            m_wait = Wait::None;
            if (sendRest())
                pump();
        }
        break;
    case Wait::None:
        break; // remembered in m_drained; a write in progress has its own wait
    }
}

// Joins the server's epoll set the first time, then just notes what the next event continues.
void Session::waitFor(Wait what)
{
    if (!m_watched) {
        if (!m_server.watch(m_fd, this))
            return forceClose(); // the kernel's limit on watched descriptors: drop this one
        m_watched = true;
        intrusive_ptr_add_ref(this);
    }
    m_wait = what;
}

// The connection's state machine; runs whenever no asynchronous operation is in flight.
void Session::pump()
{
    for (;;) {
        if (m_closed)
            return;
        if (!m_pendingSleep && !m_closing)
            parseBuffered();
        if (!m_out.empty()) {
            if (!sendNow())
                return keepUnparsed(); // an asynchronous write continues, or the connection failed
            continue; // more pipelined requests may wait in the buffer
        }
        if (m_pendingSleep)
            return keepUnparsed(), startSleep();
        if (m_closing)
            return finish();
        // Draining with a response just written on a kept-alive connection: its next request
        // may be on its way, so read on (read() arms the quiet-period close).
        return read();
    }
}

void Session::parseBuffered()
{
    while (m_begin < m_end) {
        if (!m_parser) {
            m_parser = std::make_unique<RequestParser>();
            m_parser->body_limit(m_server.options().maxBodyBytes);
            m_bodyDeadline = Clock::time_point::max();
            if (m_served) // the first request keeps the deadline set when the connection came
                m_deadline = m_readTime + std::chrono::milliseconds(m_server.options().headerTimeoutMs);
        }
        boost::beast::error_code ec;
        const std::size_t used = m_parser->put(asio::buffer(data() + m_begin, m_end - m_begin), ec);
        m_begin += static_cast<std::uint32_t>(used);
        if (ec == http::error::need_more) {
            // A request line that can no longer fit is refused before the header limit is reached.
            if (!m_parser->requestLineDone() && firstLineLength() > RequestParser::kMaxTarget + 32)
                respondError(414);
            break;
        }
        if (ec) {
            respondError(errorStatus(ec));
            break;
        }
        if (!m_parser->is_done()) {
            if (used == 0)
                break;
            continue;
        }
        handleRequest();
        m_parser.reset();
        if (m_pendingSleep || m_closing || m_out.size() >= kMaxBatchOutput)
            break;
    }
    if (m_begin == m_end)
        m_begin = m_end = 0;
}

std::size_t Session::firstLineLength() const
{
    const char* start = data() + m_begin;
    const void* newline = std::memchr(start, '\n', m_end - m_begin);
    return newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : m_end - m_begin;
}

int Session::errorStatus(const boost::beast::error_code& ec) const
{
    if (m_parser && m_parser->rejectStatus() != 0)
        return m_parser->rejectStatus();
    if (ec == http::error::header_limit)
        return !m_parser->requestLineDone() ? 414 : 431;
    if (ec == http::error::body_limit)
        return 413;
    return 400;
}

void Session::respondError(int status)
{
    std::string_view body;
    switch (status) {
    case 413: body = "Request body too large\n"; break;
    case 408: body = "Request not received in time\n"; break;
    case 414: body = "Request target too long\n"; break;
    case 431: body = "Request header fields too large\n"; break;
    default: body = "Malformed request\n"; break;
    }
    m_server.responses().append(m_out, status, body, false, false);
    m_closing = true;
    m_drained = false; // the client may be sending still: finish() looks before it closes
    m_parser.reset();
    recordLatency();
}

void Session::recordLatency()
{
    m_served = true;
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - m_readTime).count();
    m_server.recordRequest(static_cast<std::uint64_t>(std::max<std::int64_t>(nanos, 0)));
}

void Session::handleRequest()
{
    const RequestParser& request = *m_parser;
    const bool keepAlive = request.keep_alive() && !closeAfterThis();
    const bool head = request.isHead();
    const Responses& responses = m_server.responses();
    char scratch[64];
    switch (request.route()) {
    case Route::Root:
        responses.appendRoot(m_out, keepAlive, head);
        break;
    case Route::Cpu:
        burnCpu(request.millis());
        responses.append(m_out, 200, formatBody(scratch, "burned ", request.millis(), " ms of CPU\n"), keepAlive, head);
        break;
    case Route::Sleep:
        // Answered when the timer fires; later pipelined requests wait for it to keep order.
        m_pendingSleep = true;
        m_sleepMs = request.millis();
        m_sleepKeepAlive = request.keep_alive();
        m_sleepHead = head;
        return;
    case Route::Crash:
        if (m_server.options().chaos)
            std::abort(); // the point of /crash: die mid-request, no response
        responses.append(m_out, 404, "Not found\n", keepAlive, head);
        break;
    case Route::NotFound:
        responses.append(m_out, 404, "Not found\n", keepAlive, head);
        break;
    case Route::BadQuery:
        responses.append(m_out, 400, "Expected ms=N within the allowed range\n", false, head);
        m_closing = true;
        break;
    case Route::BadMethod:
        responses.append(m_out, 405, "Only GET and HEAD are served\n", false, head);
        m_closing = true;
        break;
    }
    if (!keepAlive)
        m_closing = true;
    recordLatency();
}

void Session::startSleep()
{
    m_deadline = Clock::time_point::max(); // the client waits for us, not the other way round
    m_drained = false; // bytes may come meanwhile: look before waiting for them
    m_sleepTimer = m_server.after(std::chrono::milliseconds(m_sleepMs), [self = Ptr(this)] {
        if (self->m_closed)
            return;
        char scratch[64];
        const bool keepAlive = self->m_sleepKeepAlive && !self->closeAfterThis();
        self->m_server.responses().append(self->m_out, 200, formatBody(scratch, "slept ", self->m_sleepMs, " ms\n"),
                                          keepAlive, self->m_sleepHead);
        self->m_pendingSleep = false;
        if (!keepAlive)
            self->m_closing = true;
        self->recordLatency();
        self->pump();
    });
}

// Sends the batch; true when all of it went out at once (the common case: one send).
bool Session::sendNow()
{
    m_written = 0;
    return sendRest();
}

// Sends what is left of m_out until it is all out (true) or the socket is full (then it
// waits for room, and the event continues it) or the connection failed (both false).
// With an edge-triggered set a write may only wait once send said EAGAIN.
bool Session::sendRest()
{
    while (m_written < m_out.size()) {
        const ssize_t sent = ::send(m_fd, m_out.data() + m_written, m_out.size() - m_written, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0) {
            m_written += static_cast<std::uint32_t>(sent);
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_drained = false; // bytes may come meanwhile: look before waiting for them
            m_deadline = Clock::now() + std::chrono::milliseconds(m_server.options().idleTimeoutMs);
            waitFor(Wait::Write);
            return false;
        }
        forceClose(); // the peer is gone: a normal end, not an error worth reporting
        return false;
    }
    m_out.clear();
    m_written = 0;
    return true;
}

void Session::read()
{
    const auto now = Clock::now();
    if (m_parser && m_parser->is_header_done()) {
        // Reading a body: it has to keep coming, and all of it within the body timeout.
        if (m_bodyDeadline == Clock::time_point::max())
            m_bodyDeadline = now + std::chrono::milliseconds(m_server.options().bodyTimeoutMs);
        m_deadline = std::min(now + std::chrono::milliseconds(m_server.options().idleTimeoutMs), m_bodyDeadline);
    } else if (!m_parser && m_begin == m_end && m_served) {
        m_deadline = now + (m_server.draining() ? std::chrono::duration_cast<Clock::duration>(kDrainQuiet)
                                                : std::chrono::milliseconds(m_server.options().idleTimeoutMs));
    }
    // Otherwise a header is on its way and the deadline set when it began stands.
    if (m_begin == m_end) {
        releaseBuffers(); // idle between requests: nothing is kept
    } else {
        keepUnparsed();
        if (m_end == m_in.size() && m_begin > 0) {
            std::memmove(m_in.data(), m_in.data() + m_begin, m_end - m_begin);
            m_end -= m_begin;
            m_begin = 0;
        }
        if (m_end == m_in.size())
            m_in.resize(std::min(m_in.size() * 2, kMaxBuffer));
        if (m_end == m_in.size()) { // cannot happen below the parser's limits, but never spin
            respondError(431);
            return pump();
        }
    }
    if (!m_drained) {
        // Bytes may be here already (a new connection's request, a pipelined one, one sent
        // while we wrote or slept): read now, without a trip through epoll. A client that
        // keeps the buffer full would nest read -> receive -> pump -> read without end, so
        // past a few levels the read goes through the event loop.
        if (m_nested >= 4)
            return m_server.post([self = Ptr(this)] {
                if (!self->m_closed)
                    self->receive();
            });
        ++m_nested;
        receive();
        --m_nested;
        return;
    }
    // The last recv emptied the socket: the edge-triggered set reports the next bytes (or
    // reports bytes that came since, when the socket joins it now).
    waitFor(Wait::Read);
}

// The socket has bytes, or the request's time ran out (timeOut()).
void Session::readable()
{
    if (m_timedOut) {
        m_timedOut = false;
        m_begin = m_end = 0;
        respondError(408);
        return pump();
    }
    receive();
}

const char* Session::data() const
{
    return m_inScratch ? m_server.scratch() : m_in.data();
}

void intrusive_ptr_add_ref(Session* session) noexcept
{
    ++session->m_references;
}

void intrusive_ptr_release(Session* session) noexcept
{
    if (--session->m_references == 0)
        delete session;
}

// One recv: into the server's scratch buffer when nothing is kept, else after what is.
void Session::receive()
{
    char* target;
    std::size_t room;
    if (m_in.empty()) {
        m_inScratch = true;
        m_begin = m_end = 0;
        target = m_server.scratch();
        room = m_server.scratchSize();
    } else {
        target = m_in.data() + m_end;
        room = m_in.size() - m_end;
    }
    ssize_t n;
    do
        n = ::recv(m_fd, target, room, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return forceClose(); // the client closed: a normal end
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return forceClose();
        m_drained = true;
        return read();
    }
    // Less than asked for: the socket was empty at that moment; a full read may have left more.
    m_drained = static_cast<std::size_t>(n) < room;
    m_end += static_cast<std::uint32_t>(n);
    m_readTime = Clock::now();
    pump();
}

// Before going back to the event loop: the rest of a request still in the scratch buffer
// (which the next session to read overwrites) moves into the session's own buffer.
void Session::keepUnparsed()
{
    if (!m_inScratch)
        return;
    const std::uint32_t size = m_end - m_begin;
    if (size > 0) {
        m_in.resize(std::max<std::size_t>(kInitialBuffer, size));
        std::memcpy(m_in.data(), m_server.scratch() + m_begin, size);
    }
    m_inScratch = false;
    m_begin = 0;
    m_end = size;
}

// An idle kept-alive connection costs its socket and this object, not buffers: thousands of
// them wait at once.
void Session::releaseBuffers()
{
    decltype(m_in)().swap(m_in);
    std::string().swap(m_out);
    m_inScratch = false;
    m_begin = m_end = 0;
}

void Session::finish()
{
    // With nothing unread a plain close sends FIN (no shutdown call needed); unread bytes
    // would make it a reset that can destroy the response before the client reads it, so
    // then we shut our side and drain what the client still sends.
    // Whether anything is unread is known without asking the kernel when the last read came
    // short of the buffer (it took everything there was), as nginx judges it; else a peek tells.
    if (m_begin == m_end && !m_parser) {
        if (m_drained)
            return forceClose();
        int pending = 0;
        if (::recv(m_fd, &pending, sizeof(pending), MSG_DONTWAIT | MSG_PEEK) < 0
            && (errno == EAGAIN || errno == EWOULDBLOCK))
            return forceClose();
    }
    ::shutdown(m_fd, SHUT_WR);
    m_lingering = true;
    m_deadline = Clock::now() + kLinger;
    m_begin = m_end = 0;
    linger();
}

void Session::linger()
{
    // Reads and discards until the client closes, the socket is empty, or the deadline.
    for (;;) {
        const ssize_t n = ::recv(m_fd, m_server.scratch(), m_server.scratchSize(), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return forceClose();
        if (n < 0 && errno != EINTR)
            break;
    }
    waitFor(Wait::Linger);
}

} // namespace cs::worker
