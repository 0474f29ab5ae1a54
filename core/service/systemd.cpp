#include "service/systemd.h"

#include "messages/wording.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace cs::systemd {
namespace {

std::optional<std::uint64_t> parseUnsigned(const char* text)
{
    if (!text || !*text)
        return std::nullopt;
    std::uint64_t value = 0;
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc {} || ptr != end)
        return std::nullopt;
    return value;
}

/// $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; true when `fd` is it.
bool isJournalStream(int fd)
{
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream)
        return false;
    const std::string_view text(stream);
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        return false;
    const auto device = parseUnsigned(std::string(text.substr(0, colon)).c_str());
    const auto inode = parseUnsigned(std::string(text.substr(colon + 1)).c_str());
    struct stat info {};
    if (!device || !inode || ::fstat(fd, &info) != 0)
        return false;
    return info.st_dev == *device && info.st_ino == *inode;
}

} // namespace

// ---- Notifier

Notifier Notifier::fromEnvironment()
{
    Notifier notifier;
    const char* socketPath = std::getenv("NOTIFY_SOCKET");
    const bool watchdogForUs = [] {
        const auto pid = parseUnsigned(std::getenv("WATCHDOG_PID"));
        return !pid || *pid == static_cast<std::uint64_t>(::getpid());
    }();
    if (const auto usec = parseUnsigned(std::getenv("WATCHDOG_USEC")); usec && *usec > 0 && watchdogForUs)
        notifier.m_watchdog = std::chrono::microseconds(*usec);
    if (socketPath && (socketPath[0] == '/' || socketPath[0] == '@') && std::strlen(socketPath) < sizeof(sockaddr_un::sun_path)) {
        notifier.m_address = socketPath;
        if (notifier.m_address[0] == '@')
            notifier.m_address[0] = '\0';
        notifier.m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    if (notifier.m_fd < 0)
        notifier.m_watchdog = std::chrono::microseconds(0); // nobody to ping
    for (const char* name : { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID" })
        ::unsetenv(name);
    return notifier;
}

Notifier::~Notifier()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Notifier::Notifier(Notifier&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
    , m_address(std::move(other.m_address))
    , m_watchdog(other.m_watchdog)
{
}

Notifier& Notifier::operator=(Notifier&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = std::exchange(other.m_fd, -1);
        m_address = std::move(other.m_address);
        m_watchdog = other.m_watchdog;
    }
    return *this;
}

bool Notifier::send(std::string_view state)
{
    if (m_fd < 0 || state.empty())
        return false;
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, m_address.data(), m_address.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + m_address.size()
                                               + (m_address[0] == '\0' ? 0 : 1));
    ssize_t sent;
    do
        sent = ::sendto(m_fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                        reinterpret_cast<const sockaddr*>(&address), length);
    while (sent < 0 && errno == EINTR);
    return sent == static_cast<ssize_t>(state.size());
}

// ---- socket activation

InheritedSocket takeListenSocket()
{
    InheritedSocket result;
    const auto pid = parseUnsigned(std::getenv("LISTEN_PID"));
    const auto count = parseUnsigned(std::getenv("LISTEN_FDS"));
    const bool forUs = pid && *pid == static_cast<std::uint64_t>(::getpid());
    // Ours or not, they must not reach the workers: the master sets their own.
    for (const char* name : { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES" })
        ::unsetenv(name);
    if (!forUs || !count || *count == 0)
        return result;
    constexpr int kFirst = 3; // SD_LISTEN_FDS_START
    if (*count > 1) {
        // Only the first serves; the others would be held open for nothing.
        for (std::uint64_t i = 1; i < *count && i < 1024; ++i)
            ::close(kFirst + static_cast<int>(i));
        result.error = "The service manager passed " + std::to_string(*count)
            + " sockets; Clusterscope serves one: give its .socket unit a single ListenStream=.";
        return result;
    }
    int type = 0, listening = 0;
    socklen_t length = sizeof(type);
    if (::getsockopt(kFirst, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) {
        result.error = "The socket the service manager passed is not a stream socket; give the .socket unit a ListenStream=.";
        return result;
    }
    length = sizeof(listening);
    if (::getsockopt(kFirst, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) {
        result.error = "The socket the service manager passed is not listening; give the .socket unit a ListenStream= (not Accept=yes).";
        return result;
    }
    sockaddr_storage address {};
    length = sizeof(address);
    if (::getsockname(kFirst, reinterpret_cast<sockaddr*>(&address), &length) != 0
        || (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
        result.error = "The socket the service manager passed is not a TCP socket; give the .socket unit a ListenStream=ADDRESS:PORT.";
        return result;
    }
    ::fcntl(kFirst, F_SETFD, FD_CLOEXEC);
    ::fcntl(kFirst, F_SETFL, ::fcntl(kFirst, F_GETFL) | O_NONBLOCK);
    result.fd = kFirst;
    return result;
}

// ---- what to tell the service manager

std::string ServiceReport::statusLine(const Snapshot& s)
{
    int online = 0, restarts = 0;
    for (const WorkerSample& w : s.workers) {
        online += w.state == WorkerState::Online ? 1 : 0;
        restarts += w.restarts;
    }
    std::string line = std::to_string(online) + "/" + std::to_string(s.workers.size()) + " workers online";
    if (s.requestMetrics)
        line += ", " + std::to_string(static_cast<long long>(std::llround(s.totalRequestsPerSecond))) + " req/s";
    line += ", " + counted(static_cast<std::uint64_t>(restarts), "restart");
    if (s.rollingRestart)
        line += ", rolling restart under way";
    return line;
}

std::string ServiceReport::onSnapshot(const Snapshot& s, Clock::time_point now)
{
    std::string out;
    auto add = [&](const std::string& assignment) {
        if (!out.empty())
            out += '\n';
        out += assignment;
    };
    if (s.sequence != m_lastSequence) {
        m_lastSequence = s.sequence;
        m_lastProgress = now;
    }
    if (m_stopping || !s.running)
        return out;
    int online = 0;
    for (const WorkerSample& w : s.workers)
        online += w.state == WorkerState::Online ? 1 : 0;
    if (!m_ready && !s.workers.empty() && online == static_cast<int>(s.workers.size())) {
        m_ready = true;
        add("READY=1");
    }
    if (m_reloadAfter && s.sequence > *m_reloadAfter && !s.rollingRestart) {
        m_reloadAfter.reset();
        add("READY=1");
    }
    if (const std::string status = statusLine(s); status != m_status) {
        m_status = status;
        add("STATUS=" + status);
    }
    // Pings only while the master's own thread shows life: a hung event loop stops them,
    // and systemd restarts the service.
    if (m_watchdog.count() > 0 && now - m_lastPing >= m_watchdog / 2
        && now - m_lastProgress <= std::max<Clock::duration>(2 * m_sampleInterval, m_watchdog / 2)) {
        m_lastPing = now;
        add("WATCHDOG=1");
    }
    return out;
}

std::string ServiceReport::reloading(const Snapshot& latest, std::uint64_t monotonicUsec)
{
    // A snapshot two sequences on was taken after the master thread had the request.
    m_reloadAfter = latest.sequence + 1;
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicUsec) + "\nSTATUS=rolling restart under way";
}

std::string ServiceReport::stopping()
{
    m_stopping = true;
    return "STOPPING=1\nSTATUS=stopping: draining the workers";
}

// ---- journald

bool stderrIsJournal()
{
    return isJournalStream(STDERR_FILENO);
}

bool stdoutIsJournal()
{
    return isJournalStream(STDOUT_FILENO);
}

std::string severityPrefix(Severity severity)
{
    return "<" + std::to_string(static_cast<int>(severity)) + ">";
}

Severity severityOf(const Event& e)
{
    switch (e.kind) {
    case EventKind::Failed:
    case EventKind::SpawnFailed:
        return Severity::Error;
    case EventKind::Exit:
        switch (e.reason) {
        case ExitReason::Clean:
        case ExitReason::Stopped:
        case ExitReason::KilledByUser:
        case ExitReason::None:
            return Severity::Info;
        default:
            return Severity::Warning;
        }
    case EventKind::Stopped:
        return e.exitCode != 0 ? Severity::Error : Severity::Info;
    case EventKind::Log:
        return e.stream == LogStream::Stderr ? Severity::Warning : Severity::Info;
    default:
        return Severity::Info;
    }
}

} // namespace cs::systemd
