#pragma once

#include "worker/requestparser.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list_hook.hpp>

namespace cs::worker {

class Server;

using SessionHook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// One HTTP connection. It keeps exactly one asynchronous operation in flight (a read, a
/// write or a /sleep timer), which holds a shared_ptr to it; when none is left it is gone.
/// Requests are answered in order: every complete request already buffered is answered
/// into one output buffer, which goes out with one send.
class Session : public std::enable_shared_from_this<Session>, public SessionHook {
public:
    using Clock = std::chrono::steady_clock;

    Session(Server& server, boost::asio::ip::tcp::socket socket);
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
    /// Closes the socket and cancels the timer, whatever the state.
    void forceClose();

private:
    void pump();
    void parseBuffered();
    void handleRequest();
    void respondError(int status);
    int errorStatus(const boost::beast::error_code& ec) const;
    std::size_t firstLineLength() const;
    bool sendNow();
    void read();
    void readDone(const boost::system::error_code& ec, std::size_t n);
    void startSleep();
    void finish();
    void linger();
    void recordLatency();
    bool idle() const;
    bool requestStarted() const;
    bool closeAfterThis() const;
    void timeOut();

    Server& m_server;
    boost::asio::ip::tcp::socket m_socket;
    boost::asio::steady_timer m_timer; ///< /sleep only
    std::optional<RequestParser> m_parser; ///< engaged while a request is being read
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
    std::vector<char, UninitialisedAllocator<char>> m_in; ///< flat read buffer, bytes [m_begin, m_end) are unparsed
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    std::string m_out; ///< responses of the current batch, sent with one syscall
    Clock::time_point m_readTime; ///< when the latest bytes arrived: a request's start
    Clock::time_point m_deadline;
    Clock::time_point m_bodyDeadline = Clock::time_point::max(); ///< set once a body is expected
    std::uint64_t m_served = 0;
    std::uint32_t m_sleepMs = 0;
    bool m_sleepKeepAlive = false;
    bool m_sleepHead = false;
    bool m_pendingSleep = false;
    bool m_reading = false;
    /// The last read took less than the room it had, so the socket held no more then: a
    /// close needs no MSG_PEEK to know nothing is unread (nginx's judgement too).
    bool m_drained = false;
    bool m_closing = false; ///< close once m_out is sent
    bool m_lingering = false;
    bool m_closed = false;
    bool m_timedOut = false; ///< a request was not received in time: answer 408 once the read stops
};

} // namespace cs::worker
