#pragma once

#include "ipc/message.h"
#include "master/workerprocess.h"
#include "messages/ratelimiter.h"
#include "scheduling/scheduler.h"

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cs {

/// The connection dispatcher of round-robin and least-connections: accepts on the listening
/// socket, asks the Scheduler which serving worker takes each connection and hands it over
/// the worker's channel. Connections no worker can take yet wait in a bounded queue, and
/// accepting pauses until one can. Under shared and reuseport it does nothing (the kernel
/// picks). Master thread only.
///
/// Connections accepted in one wake-up that go to the same worker travel together: one
/// SCM_RIGHTS message of up to ipc::kMaxHandoffFds sockets (a worker's group is sent when
/// full and at the end of the wake-up). The scheduler still picks per connection, in order.
/// Bench knob: CLUSTERSCOPE_HANDOFF_BATCH=N (1..16) caps the sockets per message; 1 is the
/// one-message-per-connection hand-off, for before/after comparisons.
class Dispatcher {
public:
    /// `listenFd` stays the caller's; the dispatcher watches a duplicate of it.
    Dispatcher(boost::asio::io_context& io, int listenFd, Policy policy, std::function<void(std::string)> note);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    /// The serving worker of each slot, in slot order; replaces the previous set.
    void setTargets(std::vector<std::shared_ptr<WorkerProcess>> targets);
    /// Something changed (a worker reported, a target was added): hand over what waits,
    /// accept again.
    void resume();
    /// Stop accepting for good; connections still waiting are closed.
    void close();

    std::size_t waiting() const { return m_pending.size(); }
    /// Called now and then (the master's housekeeping): notes how often accepting failed in a
    /// second that has ended, when that was held back.
    void summariseFailures(RateLimiter::Clock::time_point now);

private:
    struct Group {
        std::array<int, ipc::kMaxHandoffFds> fds {};
        std::size_t count = 0;
    };

    void armAccept();
    void acceptBatch();
    void refreshCandidates();
    bool place(int fd);
    void sendGroup(std::size_t index);
    void sendGroups();
    void endWakeUp();
    void flushPending();

    int m_listenFd;
    boost::asio::posix::stream_descriptor m_listener;
    boost::asio::steady_timer m_retryTimer; // after a failed accept
    RateLimiter m_acceptFailures;
    bool m_armed = false; // waiting for the listener, or to retry
    bool m_closed = false;
    std::function<void(std::string)> m_note;
    Scheduler m_scheduler;
    std::vector<std::shared_ptr<WorkerProcess>> m_targets; // one per slot
    std::vector<Candidate> m_candidates; // m_candidates[i] is m_targets[i]; sorted by slot
    std::vector<Group> m_groups; // m_groups[i]: sockets picked for m_targets[i], not sent yet
    std::vector<std::size_t> m_touched; // indices of groups holding sockets
    std::vector<std::size_t> m_refused; // a send to them failed in this wake-up: not ready till its end
    std::size_t m_batchLimit = ipc::kMaxHandoffFds;
    std::deque<int> m_pending; // accepted sockets no worker has taken yet
    std::vector<std::byte> m_connectionPacket;
};

} // namespace cs
