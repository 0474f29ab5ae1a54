#pragma once

#include "messages/ratelimiter.h"
#include "metrics/histogram.h"
#include "worker/responses.h"
#include "worker/session.h"
#include "worker/workeroptions.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/intrusive/list.hpp>

namespace cs::worker {

/// The worker process's one event loop: takes connections (from its own or an inherited
/// listener, or handed over the channel), owns the sessions, reports telemetry to the
/// master, and drains on request.
/// The loop is our own: one epoll set holds the listener and the channel (level-triggered:
/// one connection accepted, one message read per event, so no call ends in EAGAIN), a
/// signalfd, and the sessions' sockets (edge-triggered, added once); the timers are the
/// wait's timeout. A wake-up is one epoll_wait, nothing re-armed (Asio's reactor re-armed
/// every wait with epoll_ctl and ended every accept loop with an accept4 that failed).
class Server {
public:
    using Clock = Session::Clock;
    using Task = std::function<void()>;

    explicit Server(const WorkerOptions& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Opens the listener or the channel, installs signal handling and announces itself.
    /// Returns one sentence for the user on failure, empty on success.
    std::string start();
    /// Runs the loop until the server stops (drained, or told to). Returns one sentence
    /// when the loop itself fails, empty otherwise.
    std::string run();

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
    /// Runs `task` after the events of this wake-up have been handled.
    void post(Task task) { m_deferred.push_back(std::move(task)); }
    /// Runs `task` once, `delay` from now, unless cancelled first.
    TimerKey after(Clock::duration delay, Task task);
    /// Cancels a timer that has not fired (its task is destroyed after this wake-up).
    void cancel(const TimerKey& key);
    /// Adds a session's socket to the server's epoll set (edge-triggered, in and out, for
    /// good: closing the socket takes it out). False when the kernel refuses.
    bool watch(int fd, Session* session);
    void unwatch(int fd);
    /// Closes a session's socket at the end of this turn of the loop, after the turn's report
    /// to the master: a client that sees the close and connects again is placed by counts that
    /// already leave that connection out (least-connections).
    void closeAfterReport(int fd) { m_closing.push_back(fd); }

private:
    std::string openListener();
    bool addToSet(int fd, std::uint32_t events, const void* tag);
    void acceptOne();
    void pauseAccepting();
    void watchListener(std::uint32_t events); ///< the listener's events in the set (0: none)
    void adopt(int fd, bool handedOver);
    void channelReady();
    void signalReady();
    void closeInSet(int& fd); ///< the listener or the channel: out of the set, closed, -1
    int timeoutMs(Clock::time_point now) const;
    void runTimers(Clock::time_point now);
    void runDeferred();
    void closeSockets(); ///< what closeAfterReport() queued
    void sendTelemetry();
    /// Sends telemetry when a counter moved, else only once the quiet period is over: with
    /// hundreds of idle workers, a report from each every 100 ms was most of the master's
    /// CPU at rest.
    void reportIfDue();
    bool resting() const;
    Session::Clock::time_point nextBeat() const;
    void scheduleTelemetry();
    void scheduleSweep();
    void telemetryDue();
    void sweep(Clock::time_point now);
    void beginDrain(std::uint32_t graceMs);
    void stop();
    /// Prints "clusterscope-worker SLOT: MESSAGE", a storm of one message summarised by `limiter`.
    void warn(RateLimiter& limiter, const std::string& message);
    void printWarning(const std::string& line) const;
    std::uint32_t closedSinceReport() const;

    WorkerOptions m_options;
    Responses m_responses;
    int m_epoll = -1;
    int m_listenFd = -1; ///< ours (reuseport) or inherited (shared); -1 under hand-off or once closed
    int m_channelFd = -1; ///< the master's channel; -1 without a master or once closed
    int m_signalFd = -1;
    static constexpr auto kOff = Clock::time_point::max();
    Clock::time_point m_telemetryAt = kOff;
    Clock::time_point m_sweepAt = kOff;
    Clock::time_point m_graceAt = kOff;
    Clock::time_point m_acceptRetryAt = kOff;
    std::map<TimerKey, Task> m_timers; ///< the sessions' one-shot timers (/sleep)
    std::uint64_t m_timerSequence = 0;
    std::vector<Task> m_deferred;
    std::vector<int> m_closing;
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
