#include "cli/headless.h"

#include "cli/report.h"
#include "export/metricsserver.h"
#include "export/prometheus.h"
#include "master/cluster.h"
#include "messages/wording.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>

#include <unistd.h>

namespace cs {
namespace {

/// The one warning for anything we serve beyond the loopback: the cluster (--bind) and the
/// metrics endpoint (--metrics-bind).
void warnIfReachable(const std::string& address, const char* what, const char* flag)
{
    if (!isLoopbackAddress(address))
        std::fprintf(stderr,
                     "clusterscope: warning: binding %s makes %s reachable from other machines; "
                     "use %s 127.0.0.1 to keep it local.\n",
                     address.c_str(), what, flag);
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
            std::fprintf(stderr, "clusterscope: %s\n",
                         withFlag(error, aboutAddress ? "--metrics-bind" : "--metrics-port").c_str());
            return 2;
        }
    }
    const auto started = cluster.start(config);
    if (!started.ok) {
        std::fprintf(stderr, "clusterscope: %s\n", commandLineMessage(started.error, started.field).c_str());
        return 2;
    }
    warnIfReachable(config.bindAddress, "the cluster", "--bind");
    if (options.metricsPort >= 0)
        warnIfReachable(options.metricsBind, "the metrics endpoint", "--metrics-bind");

    const auto first = cluster.snapshot();
    std::fprintf(stderr, "clusterscope: serving %s with %s, policy %s (pid %d)\n",
                 httpUrl(first->bindAddress, first->port, "/").c_str(),
                 counted(static_cast<std::uint64_t>(withDefaults(config).workers), "worker").c_str(),
                 std::string(policyName(config.policy)).c_str(), static_cast<int>(::getpid()));
    if (options.metricsPort >= 0)
        std::fprintf(stderr, "clusterscope: Prometheus metrics at %s\n",
                     httpUrl(options.metricsBind, metrics.port(), "/metrics").c_str());
    const bool tty = !options.json && ::isatty(STDOUT_FILENO);

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
            cluster.stop(Cluster::StopMode::Graceful);
            break;
        case SIGQUIT:
            cluster.stop(Cluster::StopMode::Fast);
            break;
        case SIGHUP:
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
        for (const auto& event : cluster.takeEvents()) {
            std::fprintf(stderr, "%s\n", formatEvent(event).c_str());
            if (event.kind == EventKind::Stopped)
                exitCode = event.exitCode;
        }
        stopped = ended;
        if (Clock::now() >= nextReport || stopped) {
            nextReport += std::chrono::milliseconds(options.intervalMs);
            const auto snapshot = cluster.snapshot();
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
