#pragma once

#include "master/snapshot.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cs::systemd {

/// The service manager's notification socket, from $NOTIFY_SOCKET (a path, or '@' for the
/// abstract namespace) and the watchdog from $WATCHDOG_USEC / $WATCHDOG_PID. Taking them
/// removes them from the environment, so no worker talks to systemd in the master's name.
/// Without $NOTIFY_SOCKET every send is a no-op.
class Notifier {
public:
    static Notifier fromEnvironment();
    Notifier() = default;
    ~Notifier();
    Notifier(Notifier&& other) noexcept;
    Notifier& operator=(Notifier&& other) noexcept;
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    bool enabled() const { return m_fd >= 0; }
    /// The watchdog interval systemd expects pings within; zero when there is none.
    std::chrono::microseconds watchdogInterval() const { return m_watchdog; }
    /// Sends newline-separated assignments ("READY=1\nSTATUS=..."); false when it could not.
    bool send(std::string_view state);

private:
    int m_fd = -1;
    std::string m_address; ///< the socket's path; a leading NUL for the abstract namespace
    std::chrono::microseconds m_watchdog { 0 };
};

/// The listening socket a service manager passed (socket activation: $LISTEN_PID is this
/// process, $LISTEN_FDS = 1, the socket at descriptor 3). Taking it removes the variables
/// from the environment, marks it close-on-exec and non-blocking.
struct InheritedSocket {
    int fd = -1; ///< -1: none was passed, or `error` says why it cannot be used
    std::string error; ///< one sentence when one was passed but cannot serve
};
InheritedSocket takeListenSocket();

/// What the master tells the service manager, from its snapshots: READY=1 the first time
/// every slot is online, STATUS= whenever the one-line summary changes, RELOADING=1 with
/// MONOTONIC_USEC when a rolling restart is asked for and READY=1 when it has ended,
/// STOPPING=1 when the stop begins, WATCHDOG=1 at half the interval while the master's
/// thread keeps producing snapshots. Pure: no clock or socket of its own, so it is tested
/// message by message; the headless loop sends what it returns.
class ServiceReport {
public:
    using Clock = std::chrono::steady_clock;
    ServiceReport(std::chrono::microseconds watchdog, std::chrono::milliseconds sampleInterval)
        : m_watchdog(watchdog)
        , m_sampleInterval(sampleInterval)
    {
    }
    /// After each look at the cluster; empty when there is nothing to say.
    std::string onSnapshot(const Snapshot& snapshot, Clock::time_point now);
    /// A rolling restart was asked for (SIGHUP / systemctl reload). `monotonicUsec` is
    /// CLOCK_MONOTONIC now, as systemd wants it.
    std::string reloading(const Snapshot& latest, std::uint64_t monotonicUsec);
    std::string stopping();

    /// The one-line STATUS: "2/2 workers online, 1,234 req/s, 3 restarts".
    static std::string statusLine(const Snapshot& snapshot);

private:
    std::chrono::microseconds m_watchdog;
    std::chrono::milliseconds m_sampleInterval;
    bool m_ready = false;
    bool m_stopping = false;
    std::optional<std::uint64_t> m_reloadAfter; ///< reloading: READY again once a later snapshot shows it done
    std::string m_status;
    std::uint64_t m_lastSequence = 0;
    Clock::time_point m_lastProgress {}; ///< when the snapshot sequence last moved
    Clock::time_point m_lastPing {};
};

/// True when standard error goes to the journal ($JOURNAL_STREAM names its device and inode):
/// log lines then carry a syslog severity prefix, so `journalctl -p` can filter them.
bool stderrIsJournal();
/// The same for standard output (the periodic table is not written into the journal).
bool stdoutIsJournal();

enum class Severity { Error = 3, Warning = 4, Info = 6 };
/// "<3>" etc.
std::string severityPrefix(Severity severity);
/// How serious an event of the cluster is: a failed slot or a worker that cannot be started
/// is an error, an unexpected exit or a worker's stderr line a warning, the rest information.
Severity severityOf(const Event& event);

} // namespace cs::systemd
