#pragma once

#include "messages/ratelimiter.h"
#include "metrics/histogram.h"
#include "worker/responses.h"
#include "worker/session.h"
#include "worker/workeroptions.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

namespace cs::worker {

/// The worker process's one event loop: takes connections (from its own or an inherited
/// listener, or handed over the channel), owns the sessions, reports telemetry to the
/// master, and drains on request.
class Server {
public:
    Server(boost::asio::io_context& io, const WorkerOptions& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Opens the listener or the channel, installs signal handling and announces itself.
    /// Returns one sentence for the user on failure, empty on success.
    std::string start();

    // For sessions.
    const WorkerOptions& options() const { return m_options; }
    const Responses& responses() const { return m_responses; }
    bool draining() const { return m_draining; }
    /// Where every session reads and parses; a session copies out what it has to keep before
    /// it returns to the event loop. One thread runs the server, so one buffer serves all.
    char* scratch() { return m_scratch.data(); }
    std::size_t scratchSize() const { return m_scratch.size(); }
    void recordRequest(std::uint64_t nanos) noexcept
    {
        ++m_requests;
        m_latency.recordNanos(nanos);
    }
    void sessionOpened(Session& session);
    void sessionClosed();
    boost::asio::io_context::executor_type executor() { return m_io.get_executor(); }
    /// Adds a session's socket to the server's epoll set (edge-triggered, in and out, for
    /// good: closing the socket takes it out). False when the kernel refuses.
    bool watch(int fd, Session* session);
    void unwatch(int fd);

private:
    std::string openListener();
    void waitAccept();
    void acceptReady();
    void adopt(int fd, bool handedOver);
    void waitEvents();
    void dispatchEvents();
    void waitChannel();
    void channelReady();
    void sendTelemetry();
    /// Sends telemetry when a counter moved, else only once the quiet period is over: with
    /// hundreds of idle workers, a report from each every 100 ms was most of the master's
    /// CPU at rest.
    void reportIfDue();
    bool resting() const;
    Session::Clock::time_point nextBeat() const;
    void scheduleTelemetry();
    void scheduleSweep();
    void waitSignals();
    void beginDrain(std::uint32_t graceMs);
    void stop();
    /// Prints "clusterscope-worker SLOT: MESSAGE", a storm of one message summarised by `limiter`.
    void warn(RateLimiter& limiter, const std::string& message);
    void printWarning(const std::string& line) const;

    boost::asio::io_context& m_io;
    WorkerOptions m_options;
    Responses m_responses;
    std::optional<boost::asio::ip::tcp::acceptor> m_acceptor;
    std::optional<boost::asio::posix::stream_descriptor> m_channel;
    /// The sessions' epoll set, itself waited on through Asio: one re-arm per batch of
    /// events instead of one per session per wait.
    std::optional<boost::asio::posix::stream_descriptor> m_events;
    boost::asio::steady_timer m_telemetryTimer;
    boost::asio::steady_timer m_sweepTimer;
    boost::asio::steady_timer m_graceTimer;
    boost::asio::steady_timer m_acceptRetryTimer;
    boost::asio::signal_set m_signals;
    boost::intrusive::list<Session, boost::intrusive::constant_time_size<false>> m_sessions;
    std::vector<char> m_scratch;
    LatencyHistogram m_latency;
    RateLimiter m_acceptFailures; // a descriptor shortage fails every accept
    RateLimiter m_lostHandoffs; // and every connection the master hands over
    std::uint64_t m_requests = 0;
    std::uint32_t m_open = 0;
    std::uint32_t m_accepted = 0;
    struct Reported {
        std::uint64_t requests = 0;
        std::uint32_t open = 0;
        std::uint32_t accepted = 0;
        bool operator==(const Reported&) const = default;
    };
    Reported m_reported; ///< the counters of the last telemetry sent
    std::chrono::steady_clock::time_point m_reportedAt;
    std::chrono::milliseconds m_quietPeriod { 100 };
    bool m_resting = false; ///< no connection, nothing new: the timers run at the quiet period
    bool m_draining = false;
    bool m_stopped = false;
};

} // namespace cs::worker
