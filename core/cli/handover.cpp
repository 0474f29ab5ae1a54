#include "cli/handover.h"

#include "cli/configfile.h"
#include "control/client.h"
#include "control/protocol.h"
#include "master/workerlauncher.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cs {
namespace {

using Clock = std::chrono::steady_clock;

/// The last non-empty line of the new master's log: why it stopped, in its own words.
std::string lastLine(const std::string& path)
{
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty())
            last = line;
    return last;
}

bool everySlotOnline(const Snapshot& snapshot, int workers)
{
    return int(snapshot.workers.size()) == workers
        && std::all_of(snapshot.workers.begin(), snapshot.workers.end(),
                       [](const WorkerSample& w) { return w.state == WorkerState::Online; });
}

/// Stops a new master that did not come up, and reaps it.
void stopAndReap(int pid)
{
    ::kill(pid, SIGTERM);
    const auto end = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < end) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

} // namespace

std::string defaultMasterProgram()
{
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        if (self.filename() == "clusterscope")
            return self.string();
        const auto beside = self.parent_path() / "clusterscope";
        if (::access(beside.c_str(), X_OK) == 0)
            return beside.string();
    }
    return findProgram("clusterscope");
}

Handover continueHeadless(const ClusterConfig& config, std::uint16_t port, int listenFd, const std::string& name,
                          const std::string& program, std::chrono::milliseconds deadline)
{
    Handover result;
    result.name = name;
    auto fail = [&](const std::string& why) {
        result.pid = -1;
        result.error = "The cluster could not be left running: " + why;
        return result;
    };
    if (program.empty())
        return fail("no clusterscope executable was found to run it headless; install Clusterscope or put it on PATH.");
    const std::string dir = control::socketDirectory();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
    result.socketPath = control::socketPath(name);
    result.configPath = dir + "/" + name + ".toml";
    result.logPath = dir + "/" + name + ".log";

    // The definition it runs is the one the window ran, on the port it actually served.
    ClusterConfig carried = config;
    carried.port = port;
    if (std::string error = saveConfigFile(carried, result.configPath); !error.empty())
        return fail(error);
    const int log = ::open(result.logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log < 0)
        return fail("its log " + result.logPath + " could not be opened (" + std::strerror(errno) + ").");

    SpawnRequest request;
    request.program = program;
    request.args = { "--headless", "--config", result.configPath };
    request.stdoutFd = log;
    request.stderrFd = log;
    request.detach = true;
    if (listenFd >= 0) {
        request.fds.push_back({ listenFd, 3 });
        request.setListenPid = true;
        request.extraEnvironment = { "LISTEN_FDS=1", "LISTEN_FDNAMES=clusterscope" };
    }
    const SpawnResult spawned = spawnWorker(request);
    ::close(log);
    if (spawned.pid < 0)
        return fail("the headless master could not be started (" + spawned.what + ").");
    result.pid = spawned.pid;

    const int workers = withDefaults(config).workers;
    const auto end = Clock::now() + deadline;
    std::string why;
    while (Clock::now() < end) {
        int status = 0;
        if (::waitpid(result.pid, &status, WNOHANG) == result.pid) {
            const std::string said = lastLine(result.logPath);
            return fail("the headless master exited" + (said.empty() ? std::string(".") : ": " + said));
        }
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        if (const auto snapshot = control::requestStatus(result.socketPath, std::min(remaining, std::chrono::milliseconds(1000)), &why);
            snapshot && everySlotOnline(*snapshot, workers))
            return result;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stopAndReap(result.pid);
    return fail("the headless master did not report its " + std::to_string(workers) + " workers online within "
                + std::to_string(deadline.count() / 1000) + " s (" + (why.empty() ? "no answer" : why) + "; its log: "
                + result.logPath + ").");
}

} // namespace cs
