#include "worker/worker.h"

#include "worker/server.h"
#include "worker/workeroptions.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>


namespace cs {

namespace {

extern "C" void quitAtOnce(int)
{
    ::_exit(0); // SIGQUIT: the fast stop; async-signal-safe, even in the middle of /cpu
}

std::map<std::string, std::string> workerEnvironment()
{
    std::map<std::string, std::string> env;
    for (const char* name : { "CLUSTERSCOPE_WORKER_ID", "CLUSTERSCOPE_IPC_FD", "CLUSTERSCOPE_LISTEN_FD",
                              "CLUSTERSCOPE_HEARTBEAT_MS" }) {
        if (const char* value = std::getenv(name))
            env[name] = value;
    }
    return env;
}

} // namespace

int runWorker(int argc, char** argv)
{
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    const worker::ParsedOptions parsed = worker::parseWorkerOptions(args, workerEnvironment());
    if (!parsed.error.empty()) {
        std::fprintf(stderr, "clusterscope-worker: %s\n", parsed.error.c_str());
        return 2;
    }
    if (parsed.options.help) {
        std::fputs(worker::workerUsage().c_str(), stdout);
        return 0;
    }
    if (parsed.options.version) {
        std::printf("clusterscope-worker %s\n", CLUSTERSCOPE_VERSION);
        return 0;
    }

    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction quit {};
    quit.sa_handler = quitAtOnce;
    sigemptyset(&quit.sa_mask);
    ::sigaction(SIGQUIT, &quit, nullptr);
    if (parsed.options.ipcFd >= 0) {
        // Dying with the master, as the master's launcher asked (SIGKILL). A SIGTERM here
        // made an orphan drain its in-flight requests for up to 10 s after a master crash,
        // unsupervised. A master that closes the channel on purpose still gets a drain (EOF).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    }

    try {
        worker::Server server(parsed.options);
        if (const std::string error = server.start(); !error.empty()) {
            std::fprintf(stderr, "clusterscope-worker %d: %s\n", parsed.options.slot, error.c_str());
            return 1;
        }
        if (const std::string error = server.run(); !error.empty()) {
            std::fprintf(stderr, "clusterscope-worker %d: stopped: %s\n", parsed.options.slot, error.c_str());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "clusterscope-worker %d: stopped by an internal error: %s\n", parsed.options.slot, e.what());
        return 1;
    }
    return 0;
}

} // namespace cs
