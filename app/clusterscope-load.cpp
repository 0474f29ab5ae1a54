#include "load/loadgenerator.h"
#include "load/workercount.h"
#include "messages/wording.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <variant>

#include <csignal>
#include <unistd.h>

namespace {

// SIGINT/SIGTERM end the load early and still print what was measured. The signals are
// blocked before the load thread starts (it inherits the mask) and taken here by sigtimedwait.
sigset_t stopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

int main(int argc, char** argv)
{
    auto parsed = cs::parseLoadArgs(argc, argv);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        std::cerr << "clusterscope-load: " << *error << '\n';
        return 2;
    }
    cs::LoadOptions options = std::get<cs::LoadOptions>(parsed);
    if (options.help) {
        std::cout << cs::loadUsage();
        return 0;
    }
    if (options.version) {
        std::cout << "clusterscope-load " << CLUSTERSCOPE_VERSION << '\n';
        return 0;
    }
    if (!options.metricsUrl.empty()) {
        // The cluster's own count, so that workers that get nothing count in the fairness index.
        auto count = cs::fetchWorkerCount(options.metricsUrl, options.timeoutMs);
        if (auto* error = std::get_if<std::string>(&count)) {
            std::cerr << "clusterscope-load: " << *error << '\n';
            return 1;
        }
        options.workers = std::get<int>(count);
    }

    const sigset_t signals = stopSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const bool tty = isatty(STDERR_FILENO) == 1;
    int lastSecond = 0;
    auto onProgress = [&](const cs::LoadProgress& p) {
        // Called every ~200 ms on the load thread; print once a second.
        const int second = static_cast<int>(p.elapsedSeconds);
        if (second <= lastSecond)
            return;
        lastSecond = second;
        std::fprintf(stderr, "%s%6.1f s  %3.0f%%  %10llu done  %13s  %9.1f req/s%s", tty ? "\r" : "",
                     p.elapsedSeconds, p.fraction * 100.0, static_cast<unsigned long long>(p.completed),
                     cs::counted(p.errors, "error").c_str(), p.requestsPerSecond, tty ? "" : "\n");
        std::fflush(stderr);
    };

    cs::LoadGenerator generator;
    if (!generator.start(options, onProgress)) {
        std::cerr << "clusterscope-load: " << generator.wait().firstError << '\n';
        return 2;
    }
    while (generator.running()) {
        timespec period { 0, 100 * 1000 * 1000 };
        if (sigtimedwait(&signals, nullptr, &period) > 0)
            generator.stop();
    }
    const cs::LoadSummary summary = generator.wait();
    if (tty && lastSecond > 0)
        std::fputc('\n', stderr);

    if (options.json)
        std::cout << cs::summaryJson(summary) << '\n';
    else
        std::cout << cs::formatSummary(summary);

    if (summary.connectionsOpened == 0) {
        std::cerr << "clusterscope-load: could not reach " << cs::hostPort(options.host, options.port)
                  << (summary.firstError.empty() ? std::string(".") : " (" + summary.firstError + ").")
                  << " Is the server running?\n";
        return 1;
    }
    return 0;
}
