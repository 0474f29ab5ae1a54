#include "cli/headless.h"

#include "cli/report.h"
#include "control/clustercommands.h"
#include "control/controlserver.h"
#include "export/metricsserver.h"
#include "export/prometheus.h"
#include "master/cluster.h"
#include "messages/wording.h"
#include "record/recorder.h"
#include "service/systemd.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdarg>
#include <ctime>

#include <unistd.h>

namespace cs {
namespace {

using systemd::Severity;

/// Where stderr goes to the journal, every line carries its syslog severity ("<4>...").
bool g_journal = false;

/// One line on stderr, with its severity prefix for the journal.
void say(Severity severity, const std::string& line)
{
    std::fprintf(stderr, "%s%s\n", g_journal ? systemd::severityPrefix(severity).c_str() : "", line.c_str());
}

/// The one warning for anything we serve beyond the loopback: the cluster (--bind) and the
/// metrics endpoint (--metrics-bind).
void warnIfReachable(const std::string& address, const char* what, const char* flag)
{
    if (!isLoopbackAddress(address))
        say(Severity::Warning, "clusterscope: warning: binding " + address + " makes " + what
                + " reachable from other machines; use " + flag + " 127.0.0.1 to keep it local.");
}

/// The cluster's name for its control socket: its config file's name without the extension,
/// else its port.
std::string clusterName(const CliOptions& options, std::uint16_t port)
{
    if (!options.configFile.empty()) {
        std::string stem = options.configFile.substr(options.configFile.rfind('/') + 1);
        if (const auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0)
            stem.erase(dot);
        if (!stem.empty())
            return stem;
    }
    return std::to_string(port);
}

std::uint64_t monotonicMicros()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

} // namespace

int runHeadless(const CliOptions& options)
{
    // Signals are taken synchronously on this thread; the master thread blocks them all, and
    // each worker starts with a clean mask.
    sigset_t handled;
    sigemptyset(&handled);
    for (int sig : { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1 })
        sigaddset(&handled, sig);
    ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);

    // Under systemd: the notification socket and the listening socket it may pass, taken out
    // of the environment before any worker is started.
    g_journal = systemd::stderrIsJournal();
    systemd::Notifier notifier = systemd::Notifier::fromEnvironment();
    const systemd::InheritedSocket inherited = systemd::takeListenSocket();
    if (!inherited.error.empty()) {
        say(Severity::Error, "clusterscope: " + inherited.error);
        return 2;
    }

    ClusterConfig config = options.config;
    config.stopWhenAllFailed = true;
    Cluster cluster;
    MetricsServer metrics;
    if (options.metricsPort >= 0) {
        const auto error = metrics.start(options.metricsBind, static_cast<std::uint16_t>(options.metricsPort),
                                         [&cluster] { return formatPrometheus(*cluster.snapshot()); });
        if (!error.empty()) {
            // The server's sentence is neutral (the window shows it too); it names the address
            // or the port it is about, and the command line adds the flag that sets it.
            const bool aboutAddress = error.rfind("The metrics address", 0) == 0;
            say(Severity::Error, "clusterscope: " + withFlag(error, aboutAddress ? "--metrics-bind" : "--metrics-port"));
            if (inherited.fd >= 0)
                ::close(inherited.fd);
            return 2;
        }
    }
    // --record: the file is made before anything starts, so a wrong path fails at once.
    Recorder recorder;
    if (!options.recordFile.empty()) {
        RecordingHeader header;
        header.cluster = options.config;
        if (const std::string error = recorder.open(options.recordFile, header); !error.empty()) {
            say(Severity::Error, "clusterscope: " + withFlag(error, "--record"));
            if (inherited.fd >= 0)
                ::close(inherited.fd);
            return 2;
        }
    }
    const auto started = cluster.start(config, inherited.fd);
    if (!started.ok) {
        say(Severity::Error, "clusterscope: " + commandLineMessage(started.error, started.field));
        if (recorder.recording()) {
            recorder.close();
            ::unlink(options.recordFile.c_str()); // a header and nothing else would only mislead
        }
        return 2;
    }
    const auto first = cluster.snapshot();
    warnIfReachable(first->bindAddress, "the cluster", "--bind");
    if (options.metricsPort >= 0)
        warnIfReachable(options.metricsBind, "the metrics endpoint", "--metrics-bind");

    say(Severity::Info, "clusterscope: serving " + httpUrl(first->bindAddress, first->port, "/") + " with "
            + counted(static_cast<std::uint64_t>(withDefaults(config).workers), "worker") + ", policy "
            + std::string(policyName(config.policy)) + " (pid " + std::to_string(::getpid()) + ")"
            + (inherited.fd >= 0 ? ", on the socket the service manager passed" : ""));
    if (options.metricsPort >= 0)
        say(Severity::Info, "clusterscope: Prometheus metrics at " + httpUrl(options.metricsBind, metrics.port(), "/metrics"));
    if (recorder.recording())
        say(Severity::Info, "clusterscope: recording to " + options.recordFile);
    std::uint64_t recordedSequence = 0;
    // Each new snapshot and the events around it, in the order they happened.
    auto record = [&](const std::vector<Event>& events) {
        if (!recorder.recording())
            return;
        const auto snapshot = cluster.snapshot();
        const bool fresh = snapshot->sequence != recordedSequence;
        std::size_t next = 0;
        if (fresh) {
            for (; next < events.size() && events[next].time <= snapshot->clusterUptimeSeconds; ++next)
                recorder.append(events[next]);
            recorder.append(*snapshot);
            recordedSequence = snapshot->sequence;
        }
        for (; next < events.size(); ++next)
            recorder.append(events[next]);
        if (!recorder.recording())
            say(Severity::Warning, "clusterscope: warning: " + recorder.note());
    };
    // The control socket, for `clusterscope ctl` and a window that attaches.
    control::ControlServer controlServer;
    const std::string name = clusterName(options, first->port);
    const std::string controlError = controlServer.start(
        name, control::socketPath(name),
        { .snapshotJson = [&cluster] { return snapshotJson(*cluster.snapshot()); },
          // Stop and restart go through our own signals, so the service manager hears of
          // them as of SIGTERM and SIGHUP.
          .command = [&cluster](const control::Request& request) {
              return control::carryOut(cluster, request, { .stop = [] { ::kill(::getpid(), SIGTERM); },
                                                           .restart = [] { ::kill(::getpid(), SIGHUP); } });
          },
          .note = [](const std::string& line) { say(Severity::Warning, "clusterscope: " + line); } },
        std::chrono::milliseconds(options.intervalMs));
    if (controlError.empty())
        say(Severity::Info, "clusterscope: control socket " + controlServer.path() + " (clusterscope ctl --name " + name + ")");
    else
        say(Severity::Warning, "clusterscope: warning: no control socket: " + controlError);
    // Every connection is a descriptor: a low hard limit caps what each worker can hold.
    if (const OpenFileLimit files = raiseOpenFileLimit(); files.hard > 0 && files.hard < kFewOpenFiles)
        say(Severity::Warning, "clusterscope: warning: each process may open at most " + std::to_string(files.hard)
                + " files (the hard limit), so a worker holds at most about that many connections at once; "
                  "raise it with ulimit -Hn, or LimitNOFILE= in a systemd unit.");
    const bool tty = !options.json && ::isatty(STDOUT_FILENO);
    // In the journal, the STATUS line and the events say it all: no table every interval.
    const bool table = options.json || !systemd::stdoutIsJournal();
    systemd::ServiceReport report(notifier.watchdogInterval(),
                                  std::chrono::milliseconds(withDefaults(config).sampleIntervalMs));
    bool stopping = false;
    auto stop = [&](Cluster::StopMode mode) {
        if (!stopping && notifier.enabled())
            notifier.send(report.stopping());
        stopping = true;
        cluster.stop(mode);
    };

    using Clock = std::chrono::steady_clock;
    auto nextReport = Clock::now() + std::chrono::milliseconds(options.intervalMs);
    int exitCode = 0;
    bool stopped = false;
    while (!stopped) {
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(nextReport - Clock::now()).count();
        const long wait = std::max<long>(0, std::min<long>(left, 100'000'000));
        timespec timeout { 0, wait };
        const int sig = ::sigtimedwait(&handled, nullptr, &timeout);
        switch (sig) {
        case SIGINT:
        case SIGTERM:
            stop(Cluster::StopMode::Graceful);
            break;
        case SIGQUIT:
            stop(Cluster::StopMode::Fast);
            break;
        case SIGHUP:
            if (notifier.enabled())
                notifier.send(report.reloading(*cluster.snapshot(), monotonicMicros()));
            cluster.rollingRestart();
            break;
        case SIGTTIN:
            cluster.addWorker();
            break;
        case SIGTTOU:
            cluster.removeWorker();
            break;
        case SIGUSR1:
            cluster.resetFailedSlots();
            break;
        default:
            break;
        }
        // Once the master thread has ended, its last events are all queued: take them too.
        const bool ended = !cluster.running();
        const auto events = cluster.takeEvents();
        for (const auto& event : events) {
            say(systemd::severityOf(event), formatEvent(event));
            if (event.kind == EventKind::Stopped)
                exitCode = event.exitCode;
        }
        controlServer.publish(events);
        record(events);
        stopped = ended;
        if (notifier.enabled() && !stopped)
            if (const std::string message = report.onSnapshot(*cluster.snapshot(), Clock::now()); !message.empty())
                notifier.send(message);
        if (Clock::now() >= nextReport || stopped) {
            nextReport += std::chrono::milliseconds(options.intervalMs);
            const auto snapshot = cluster.snapshot();
            if (!table)
                continue;
            if (options.json)
                std::printf("%s\n", snapshotJson(*snapshot).c_str());
            else
                std::printf("%s%s\n", tty ? "\033[H\033[2J" : "", formatTable(*snapshot).c_str());
            std::fflush(stdout);
        }
    }
    cluster.waitStopped(std::chrono::seconds(5));
    return exitCode;
}

} // namespace cs
