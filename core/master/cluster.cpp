#include "master/cluster.h"

#include "master/master.h"
#include "messages/wording.h"

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>
#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

namespace cs {
namespace {

struct BindResult {
    int fd = -1;
    std::uint16_t port = 0;
    std::string error;
    ConfigField field = ConfigField::None;
};

/// Binds (and listens, unless each worker binds its own) in the caller's thread, so that
/// "port in use" is reported from the real bind before anything is forked.
BindResult bindListener(const ClusterConfig& config)
{
    BindResult result;
    sockaddr_storage storage {};
    socklen_t length = 0;
    const bool v6 = config.bindAddress.find(':') != std::string::npos;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(config.port);
        ::inet_pton(AF_INET6, config.bindAddress.c_str(), &a->sin6_addr);
        length = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(config.port);
        ::inet_pton(AF_INET, config.bindAddress.c_str(), &a->sin_addr);
        length = sizeof(sockaddr_in);
    }
    const std::string where = hostPort(config.bindAddress, config.port);
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        result.error = std::string("Could not create a socket: ") + std::strerror(errno) + ".";
        return result;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (config.policy == Policy::ReusePort)
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    // Accepted sockets inherit it, so no worker sets it per connection.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        const int e = errno;
        ::close(fd);
        result.field = e == EADDRNOTAVAIL ? ConfigField::Bind : ConfigField::Port;
        if (e == EADDRINUSE)
            result.error = "Port " + std::to_string(config.port) + " on " + config.bindAddress
                + " is already in use; stop the program holding it or choose another port.";
        else if (e == EACCES)
            result.error = "Port " + std::to_string(config.port)
                + " is privileged; choose a port above 1023 or run with the needed privileges.";
        else if (e == EADDRNOTAVAIL)
            result.error = "The address " + config.bindAddress
                + " is not on this machine; bind to 127.0.0.1, 0.0.0.0 or one of its own addresses.";
        else
            result.error = "Could not bind " + where + ": " + std::strerror(e) + ".";
        return result;
    }
    if (config.policy != Policy::ReusePort && ::listen(fd, 4096) != 0) {
        result.error = "Could not listen on " + where + ": " + std::strerror(errno) + ".";
        ::close(fd);
        return result;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    result.port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    result.fd = fd;
    return result;
}

/// A listening socket handed over (socket activation): its address and port are the cluster's.
BindResult adoptListener(int fd, ClusterConfig& config)
{
    BindResult result;
    if (config.policy == Policy::ReusePort) {
        result.error = "Policy reuseport needs each worker to bind its own socket, so it cannot serve on a socket "
                       "handed over by the service manager; choose shared, round-robin or least-connections.";
        result.field = ConfigField::Policy;
        ::close(fd);
        return result;
    }
    sockaddr_storage storage {};
    socklen_t length = sizeof(storage);
    char text[INET6_ADDRSTRLEN] = {};
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        result.error = std::string("The socket handed over cannot be read: ") + std::strerror(errno) + ".";
        ::close(fd);
        return result;
    }
    if (storage.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
        ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
        result.port = ntohs(a->sin6_port);
    } else {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
        ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
        result.port = ntohs(a->sin_port);
    }
    config.bindAddress = text;
    config.port = result.port;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    result.fd = fd;
    return result;
}

} // namespace

OpenFileLimit raiseOpenFileLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return {};
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return { static_cast<std::uint64_t>(limit.rlim_cur), static_cast<std::uint64_t>(limit.rlim_max) };
}

/// The master thread and its completion, kept beside the Master so waitStopped can time out.
struct ClusterThread {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
};

Cluster::Cluster() = default;

Cluster::~Cluster()
{
    if (running())
        stop(StopMode::Fast);
    if (m_thread && m_thread->thread.joinable())
        m_thread->thread.join();
    m_master.reset();
}

Cluster::StartResult Cluster::start(const ClusterConfig& requested, int listeningFd)
{
    if (running()) {
        if (listeningFd >= 0)
            ::close(listeningFd);
        return { false, "The cluster is already running; stop it first." };
    }
    if (m_thread && m_thread->thread.joinable())
        m_thread->thread.join();
    ClusterConfig config = withDefaults(requested);
    BindResult adopted;
    if (listeningFd >= 0) {
        adopted = adoptListener(listeningFd, config);
        if (adopted.fd < 0)
            return { false, adopted.error, adopted.field };
    }
    if (auto problem = validate(config)) {
        if (adopted.fd >= 0)
            ::close(adopted.fd);
        return { false, problem->message, problem->field };
    }
    raiseOpenFileLimit(); // before the first fork: the workers inherit it
    auto bound = adopted.fd >= 0 ? adopted : bindListener(config);
    if (bound.fd < 0)
        return { false, bound.error, bound.field };
    // The master thread must not take our signals (the headless front end handles them).
    m_master = std::make_unique<Master>(config, bound.fd, bound.port);
    m_master->setNotifier(m_notifier);
    m_master->setSpawnFaults(m_spawnFaults);
    auto state = std::make_shared<ClusterThread>();
    m_thread = state;
    Master* master = m_master.get();
    state->thread = std::thread([master, state] {
        sigset_t all;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
        master->run();
        std::lock_guard lock(state->mutex);
        state->finished = true;
        state->done.notify_all();
    });
    return { true, {} };
}

void Cluster::stop(StopMode mode)
{
    command(input::Stop { mode == StopMode::Fast });
}

bool Cluster::waitStopped(std::chrono::milliseconds timeout)
{
    auto state = m_thread;
    if (!state)
        return true;
    std::unique_lock lock(state->mutex);
    if (!state->done.wait_for(lock, timeout, [&] { return state->finished; }))
        return false;
    lock.unlock();
    if (state->thread.joinable())
        state->thread.join();
    return true;
}

bool Cluster::running() const
{
    auto state = m_thread;
    if (!state)
        return false;
    std::lock_guard lock(state->mutex);
    return !state->finished;
}

int Cluster::duplicateListener() const
{
    if (!running() || !m_master || m_master->config().policy == Policy::ReusePort || m_master->listenFd() < 0)
        return -1;
    return ::fcntl(m_master->listenFd(), F_DUPFD_CLOEXEC, 3);
}

void Cluster::scale(int workers) { command(input::Scale { workers }); }
void Cluster::addWorker() { command(input::ScaleBy { +1 }); }
void Cluster::removeWorker() { command(input::ScaleBy { -1 }); }
void Cluster::signalWorker(int slot, int signal) { command(input::SignalWorker { slot, signal }); }
void Cluster::crashWorker(int slot) { command(input::CrashWorker { slot }); }
void Cluster::rollingRestart() { command(input::RollingRestart {}); }
void Cluster::resetSlot(int slot) { command(input::ResetSlot { slot }); }
void Cluster::resetFailedSlots() { command(input::ResetFailedSlots {}); }

/// Runs a command on the master thread; a cluster never started ignores it.
void Cluster::command(Input input)
{
    if (Master* master = m_master.get())
        master->post([master, input = std::move(input)] { master->command(input); });
}

std::shared_ptr<const Snapshot> Cluster::snapshot() const
{
    if (!m_master) {
        static const auto empty = std::make_shared<const Snapshot>();
        return empty;
    }
    return m_master->snapshot();
}

std::vector<Event> Cluster::takeEvents()
{
    return m_master ? m_master->takeEvents() : std::vector<Event> {};
}

void Cluster::setNotifier(std::function<void()> notifier)
{
    m_notifier = std::move(notifier);
}

void Cluster::setSpawnFaultsForTesting(SpawnFaults faults)
{
    m_spawnFaults = std::move(faults);
}

} // namespace cs
