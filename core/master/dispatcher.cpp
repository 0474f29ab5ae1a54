#include "master/dispatcher.h"

#include "ipc/channel.h"

#include <algorithm>
#include <array>
#include <cerrno>
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
    m_targets = std::move(targets);
    m_candidates.assign(m_targets.size(), Candidate {});
    for (std::size_t i = 0; i < m_targets.size(); ++i)
        m_candidates[i].slot = m_targets[i]->slot();
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

void Dispatcher::acceptBatch()
{
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
        if (!handOff(fd)) {
            // Nobody could take it right now: keep it and stop accepting until someone can.
            if (m_pending.size() >= kMaxPending)
                ::close(fd);
            else
                m_pending.push_back(fd);
            return;
        }
    }
    armAccept();
}

bool Dispatcher::handOff(int fd)
{
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        const WorkerProcess& target = *m_targets[i];
        const auto& telemetry = target.telemetry();
        // What the worker has not yet reported taking is still on its way to it.
        const auto inFlight = static_cast<std::uint32_t>(
            target.handedOff() - std::min<std::uint64_t>(target.handedOff(), telemetry.connectionsAccepted));
        m_candidates[i].ready = !target.exited();
        m_candidates[i].openConnections = telemetry.openConnections + inFlight;
    }
    std::array<int, 8> skip {};
    std::size_t skipped = 0;
    for (;;) {
        const int index = m_scheduler.pick(m_candidates, std::span<const int>(skip.data(), skipped));
        if (index < 0)
            return false;
        WorkerProcess& target = *m_targets[static_cast<std::size_t>(index)];
        if (ipc::sendPacket(target.channel(), m_connectionPacket, fd) == 0) {
            ::close(fd);
            target.countHandOff();
            return true;
        }
        // Its queue is full or it is gone: the next ready worker gets this connection.
        if (skipped == skip.size())
            m_candidates[static_cast<std::size_t>(index)].ready = false;
        else
            skip[skipped++] = index;
    }
}

void Dispatcher::summariseFailures(RateLimiter::Clock::time_point now)
{
    if (auto line = m_acceptFailures.summary(now))
        m_note(std::move(*line));
}

void Dispatcher::flushPending()
{
    while (!m_pending.empty()) {
        if (!handOff(m_pending.front()))
            return;
        m_pending.pop_front();
    }
}

} // namespace cs
