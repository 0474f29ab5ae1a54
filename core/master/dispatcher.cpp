#include "master/dispatcher.h"

#include "ipc/channel.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cs {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxPending = 4096;
constexpr int kAcceptBatch = 128;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
} // namespace

Dispatcher::Dispatcher(asio::io_context& io, int listenFd, Policy policy, std::function<void(std::string)> note)
    : m_listenFd(listenFd)
    , m_listener(io)
    , m_retryTimer(io)
    , m_note(std::move(note))
    , m_scheduler(policy)
{
    ipc::encode(ipc::Connection {}, m_connectionPacket);
    if (const char* knob = std::getenv("CLUSTERSCOPE_HANDOFF_BATCH")) {
        const long limit = std::strtol(knob, nullptr, 10);
        if (limit >= 1 && limit <= static_cast<long>(ipc::kMaxHandoffFds))
            m_batchLimit = static_cast<std::size_t>(limit);
    }
    if (!masterAccepts(policy)) {
        m_closed = true;
        return;
    }
    const int watched = ::fcntl(m_listenFd, F_DUPFD_CLOEXEC, 3);
    boost::system::error_code ec;
    if (watched >= 0)
        m_listener.assign(watched, ec);
    if (watched < 0 || ec) {
        if (watched >= 0)
            ::close(watched);
        m_closed = true;
        m_note("the master cannot watch its listening socket (" + (ec ? ec.message() : std::string("no descriptor left"))
               + "); no connection will be handed out: restart the cluster");
    }
}

Dispatcher::~Dispatcher()
{
    for (int fd : m_pending)
        ::close(fd);
}

void Dispatcher::setTargets(std::vector<std::shared_ptr<WorkerProcess>> targets)
{
    // Sockets picked but not sent belong to the old indices: send them before they change.
    sendGroups();
    endWakeUp();
    m_targets = std::move(targets);
    std::sort(m_targets.begin(), m_targets.end(),
              [](const auto& a, const auto& b) { return a->slot() < b->slot(); });
    m_candidates.assign(m_targets.size(), Candidate {});
    m_groups.assign(m_targets.size(), Group {});
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        m_candidates[i].slot = m_targets[i]->slot();
        m_candidates[i].ready = !m_targets[i]->exited();
    }
    refreshCandidates();
}

void Dispatcher::resume()
{
    flushPending();
    armAccept();
}

void Dispatcher::close()
{
    m_closed = true;
    boost::system::error_code ignored;
    m_listener.close(ignored);
    m_retryTimer.cancel();
    for (int fd : m_pending)
        ::close(fd);
    m_pending.clear();
}

void Dispatcher::armAccept()
{
    if (m_armed || m_closed || !m_pending.empty() || m_targets.empty())
        return;
    m_armed = true;
    m_listener.async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
        m_armed = false;
        if (!ec && !m_closed)
            acceptBatch();
    });
}

// Accepts until the queue is empty (EAGAIN), at most kAcceptBatch per turn of the event loop
// so a flood of connections does not keep the workers' telemetry and exits waiting.
void Dispatcher::acceptBatch()
{
    refreshCandidates();
    for (int i = 0; i < kAcceptBatch; ++i) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            // Out of descriptors or memory: the connection stays queued and the listener
            // readable, so accepting again at once would spin (and note it thousands of times
            // a second). Note it, a storm of it once a second, and retry a little later.
            const std::string note = errno == EMFILE || errno == ENFILE
                ? std::string("the master ran out of file descriptors; raise ulimit -n")
                : std::string("the master could not accept a connection: ") + std::strerror(errno);
            for (auto& line : m_acceptFailures.report(note, RateLimiter::Clock::now()))
                m_note(std::move(line));
            sendGroups();
            endWakeUp();
            m_armed = true;
            m_retryTimer.expires_after(kAcceptRetry);
            m_retryTimer.async_wait([this](boost::system::error_code ec) {
                if (ec)
                    return;
                m_armed = false;
                armAccept();
            });
            return;
        }
        if (!place(fd)) {
            // Nobody could take it right now: keep it and stop accepting until someone can.
            if (m_pending.size() >= kMaxPending)
                ::close(fd);
            else
                m_pending.push_back(fd);
            sendGroups();
            endWakeUp();
            return;
        }
    }
    sendGroups();
    endWakeUp();
    armAccept();
}

// Under least-connections, each worker's count: once per wake-up, not per connection (within
// a wake-up place() counts what it gives each worker itself). Round-robin needs no counts and
// learns readiness per pick (exited()), so it reads nothing here: no cost that grows with
// the number of workers.
void Dispatcher::refreshCandidates()
{
    if (m_scheduler.policy() != Policy::LeastConnections)
        return;
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        const WorkerProcess& target = *m_targets[i];
        m_candidates[i].ready = !target.exited();
        const auto& telemetry = target.telemetry();
        // What the worker has not yet reported taking is still on its way to it, or open (the
        // ones that closed since its report count too: it reports after every few closes, so
        // this is at most a few too high; see kClosesPerReport in the worker).
        const auto inFlight = static_cast<std::uint32_t>(
            target.handedOff() - std::min<std::uint64_t>(target.handedOff(), telemetry.connectionsAccepted));
        m_candidates[i].openConnections = telemetry.openConnections + inFlight;
    }
}

// Picks the worker for one accepted socket and adds it to that worker's group, sending the
// group once full. False when no worker can take it (the socket is still the caller's).
bool Dispatcher::place(int fd)
{
    for (;;) {
        const int picked = m_scheduler.pickInSlotOrder(m_candidates);
        if (picked < 0)
            return false;
        const auto index = static_cast<std::size_t>(picked);
        if (m_targets[index]->exited()) {
            m_candidates[index].ready = false;
            m_refused.push_back(index);
            continue;
        }
        Group& group = m_groups[index];
        if (group.count == 0)
            m_touched.push_back(index);
        group.fds[group.count++] = fd;
        ++m_candidates[index].openConnections;
        if (group.count >= m_batchLimit)
            sendGroup(index);
        return true;
    }
}

void Dispatcher::sendGroup(std::size_t index)
{
    Group& group = m_groups[index];
    if (group.count == 0)
        return;
    WorkerProcess& target = *m_targets[index];
    ipc::encode(ipc::Connection { static_cast<std::uint16_t>(group.count) }, m_connectionPacket);
    const std::span<const int> fds(group.fds.data(), group.count);
    if (ipc::sendPacket(target.channel(), m_connectionPacket, fds) == 0) {
        for (int fd : fds)
            ::close(fd);
        target.countHandOff(group.count);
        group.count = 0;
        return;
    }
    // Its queue is full or it is gone: nothing more for it in this wake-up, and the other
    // ready workers get these connections, each picked again in order.
    m_candidates[index].ready = false;
    m_refused.push_back(index);
    const Group failed = group;
    group.count = 0;
    for (int fd : std::span<const int>(failed.fds.data(), failed.count)) {
        if (!place(fd)) {
            if (m_pending.size() >= kMaxPending)
                ::close(fd);
            else
                m_pending.push_back(fd);
        }
    }
}

void Dispatcher::sendGroups()
{
    // sendGroup() may add to m_touched (a failed group's sockets go to others): index, don't iterate.
    for (std::size_t i = 0; i < m_touched.size(); ++i)
        sendGroup(m_touched[i]);
    m_touched.clear();
}

// A worker that refused a send gets its turn again in the next wake-up.
void Dispatcher::endWakeUp()
{
    for (std::size_t index : m_refused)
        if (index < m_targets.size())
            m_candidates[index].ready = !m_targets[index]->exited();
    m_refused.clear();
}

void Dispatcher::summariseFailures(RateLimiter::Clock::time_point now)
{
    if (auto line = m_acceptFailures.summary(now))
        m_note(std::move(*line));
}

void Dispatcher::flushPending()
{
    if (m_pending.empty())
        return;
    refreshCandidates();
    while (!m_pending.empty()) {
        const int fd = m_pending.front();
        m_pending.pop_front();
        if (!place(fd)) {
            m_pending.push_front(fd);
            break;
        }
    }
    sendGroups();
    endWakeUp();
}

} // namespace cs
