#pragma once

#include "worker/requestparser.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/intrusive/list_hook.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

namespace cs::worker {

class Server;

/// A one-shot timer of the server's loop: when it fires, and a sequence number for ties.
using TimerKey = std::pair<std::chrono::steady_clock::time_point, std::uint64_t>;

using SessionHook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// One HTTP connection. Requests are answered in order: every complete request already
/// buffered is answered into one output buffer, which goes out with one send.
/// The socket is not Asio's: it joins the server's own epoll set (edge-triggered, once, the
/// first time the session has to wait; a connection answered at once never joins) and the
/// server calls onEvents() with its readiness.
/// While in the set the session holds a reference to itself, dropped after it closes (an
/// intrusive count: no control block and no weak pointer per connection); a /sleep timer
/// or a call on the stack holds another.
/// An idle kept-alive connection holds no buffer: bytes are read into the server's scratch
/// buffer and parsed there, and only the unparsed rest of a request (a header split over
/// reads, a pipelined request behind a slow answer) is copied into the session's own.
class Session : public SessionHook {
public:
    using Clock = std::chrono::steady_clock;
    /// The most a session buffers of one request's header; also the server's scratch size.
    /// Beast needs the whole header in one piece; the parser's header limit stays below this.
    static constexpr std::size_t kMaxBuffer = 32768;

    using Ptr = boost::intrusive_ptr<Session>;

    /// Takes ownership of fd, a connected TCP socket; `handedOver` when it came from the
    /// master (which may still hold a copy of it for a moment).
    Session(Server& server, int fd, bool handedOver);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();
    /// Called by the server's sweep: closes the connection when its deadline has passed.
    void checkDeadline(Clock::time_point now);
    /// The worker drains. Every later response says Connection: close and the connection
    /// closes once it is written; a connection idle now closes only after staying idle for
    /// kDrainQuiet, so a request already on its way is answered, never cut off.
    void drain();
    /// Closes the socket and cancels the /sleep timer, whatever the state.
    void forceClose();
    /// Readiness from the server's epoll set (EPOLLIN, EPOLLOUT, EPOLLHUP... as it reported them).
    void onEvents(std::uint32_t events);

private:
    void pump();
    void parseBuffered();
    void handleRequest();
    void respondError(int status);
    int errorStatus(const boost::beast::error_code& ec) const;
    std::size_t firstLineLength() const;
    bool sendNow();
    void read();
    void readable();
    void receive();
    bool sendRest();
    enum class Wait : std::uint8_t { None, Read, Linger, Write };
    void waitFor(Wait what);
    void keepUnparsed();
    void releaseBuffers();
    const char* data() const; ///< where the unparsed bytes are
    void startSleep();
    void finish();
    void linger();
    void recordLatency();
    bool idle() const;
    bool requestStarted() const;
    bool closeAfterThis() const;
    void timeOut();

    friend void intrusive_ptr_add_ref(Session* session) noexcept;
    friend void intrusive_ptr_release(Session* session) noexcept;

    Server& m_server;
    int m_fd;
    TimerKey m_sleepTimer {}; ///< the server's timer while a /sleep waits (m_pendingSleep)
    std::unique_ptr<RequestParser> m_parser; ///< while a request is being read
    /// Like std::allocator, but resize() leaves new bytes uninitialised: the read buffer is
    /// written by recv before it is read, and zero-filling 4 KiB per connection showed up as
    /// a fifth of the worker's instructions under new-connection load.
    template <typename T>
    struct UninitialisedAllocator : std::allocator<T> {
        template <typename U>
        struct rebind {
            using other = UninitialisedAllocator<U>;
        };
        UninitialisedAllocator() = default;
        template <typename U>
        UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept { }
        template <typename U>
        void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
        template <typename U, typename... Args>
        void construct(U* p, Args&&... args) { ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...); }
    };
    std::vector<char, UninitialisedAllocator<char>> m_in; ///< unparsed bytes kept between reads; empty when idle
    std::uint32_t m_begin = 0; ///< bytes [m_begin, m_end) of data() are unparsed
    std::uint32_t m_end = 0;
    std::string m_out; ///< responses of the current batch, sent with one syscall
    Clock::time_point m_readTime; ///< when the latest bytes arrived: a request's start
    Clock::time_point m_deadline;
    Clock::time_point m_bodyDeadline = Clock::time_point::max(); ///< set once a body is expected

    std::uint32_t m_written = 0; ///< bytes of m_out already sent while a write waits
    std::uint32_t m_sleepMs = 0;
    std::uint32_t m_references = 0;
    std::uint8_t m_nested = 0; ///< receive() calls on the stack
    Wait m_wait = Wait::None; ///< what the next readiness event continues
    // One bit each: ten thousand idle connections are ten thousand of these objects.
    bool m_sleepKeepAlive : 1 = false;
    bool m_sleepHead : 1 = false;
    bool m_pendingSleep : 1 = false;
    bool m_served : 1 = false; ///< a request has been answered on this connection
    bool m_inScratch : 1 = false; ///< the unparsed bytes are in the server's scratch buffer, not m_in
    bool m_watched : 1 = false; ///< in the server's epoll set (and holding a reference to itself)
    bool m_handedOver : 1 = false; ///< another process may hold the socket: leave the set explicitly
    /// The last recv took less than the room it had, so the socket held no more then, and
    /// nothing was written or slept on since: a read may wait for readiness, and a close needs
    /// no MSG_PEEK to know nothing is unread (nginx's judgement too).
    bool m_drained : 1 = false;
    bool m_closing : 1 = false; ///< close once m_out is sent
    bool m_lingering : 1 = false;
    bool m_closed : 1 = false;
    bool m_timedOut : 1 = false; ///< a request was not received in time: answer 408 once the read stops
};

} // namespace cs::worker
