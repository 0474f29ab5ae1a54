#include "master/clusterconfig.h"

#include "affinity/cpulist.h"
#include "master/workerlauncher.h"
#include "settings/settingtable.h"

#include <filesystem>
#include <thread>

#include <arpa/inet.h>
#include <unistd.h>

namespace cs {

std::string defaultWorkerProgram()
{
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    const auto dir = self.parent_path();
    for (const auto& candidate : { dir / "clusterscope-worker", dir / "../libexec/clusterscope/clusterscope-worker" }) {
        if (::access(candidate.c_str(), X_OK) == 0)
            return std::filesystem::weakly_canonical(candidate, ec).string();
    }
    return {};
}

ClusterConfig withDefaults(ClusterConfig config)
{
    if (config.workers <= 0)
        config.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (config.workerProgram.empty())
        config.workerProgram = defaultWorkerProgram();
    return config;
}

bool isLoopbackAddress(const std::string& address)
{
    in_addr v4 {};
    if (::inet_pton(AF_INET, address.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6 {};
    return ::inet_pton(AF_INET6, address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

namespace {
std::optional<ConfigProblem> validateLimits(const ClusterConfig& config);
std::optional<ConfigProblem> validateCpus(const ClusterConfig& config);
}

std::optional<ConfigProblem> validate(const ClusterConfig& config)
{
    using F = ConfigField;
    in_addr v4 {};
    in6_addr v6 {};
    if (::inet_pton(AF_INET, config.bindAddress.c_str(), &v4) != 1
        && ::inet_pton(AF_INET6, config.bindAddress.c_str(), &v6) != 1)
        return ConfigProblem { F::Bind, "The bind address '" + config.bindAddress
                                   + "' is not an IP address; use one like 127.0.0.1, 0.0.0.0 or ::1." };
    // Called after withDefaults(): "one per core" (0) is a number by now.
    constexpr const Setting& workers = setting(Program::Clusterscope, "--workers");
    if (config.workers < workers.minimum || config.workers > workers.maximum)
        return ConfigProblem { F::Workers, "The worker count " + std::to_string(config.workers)
                                   + " is out of range; use " + expectedValue(workers) + "." };
    if (auto problem = validateCpus(config))
        return problem;
    if (!usesBuiltInWorker(config)) {
        const std::string& program = config.execCommand.front();
        if (findProgram(program).empty())
            return ConfigProblem { F::Program,
                                   program.find('/') != std::string::npos
                                       ? "The program '" + program + "' does not exist or is not executable."
                                       : "The program '" + program + "' was not found on PATH; give its full path." };
        if (masterAccepts(config.policy))
            return ConfigProblem { F::Policy, "The " + std::string(policyName(config.policy))
                                       + " policy hands connections over the built-in worker's own channel; a program "
                                         "of your own needs the shared policy (socket activation) or reuseport." };
        for (const auto& entry : config.environment)
            if (entry.find('=') == std::string::npos || entry.front() == '=')
                return ConfigProblem { F::Environment,
                                       "The environment entry '" + entry + "' is not of the form NAME=value." };
        return validateLimits(config);
    }
    if (config.workerProgram.empty())
        return ConfigProblem { F::WorkerProgram, "The worker program clusterscope-worker was not found next to this "
                                                 "program; reinstall Clusterscope or give the worker program's path." };
    if (::access(config.workerProgram.c_str(), X_OK) != 0)
        return ConfigProblem { F::WorkerProgram,
                               "The worker program '" + config.workerProgram + "' does not exist or is not executable." };
    return validateLimits(config);
}

namespace {
std::optional<ConfigProblem> validateCpus(const ClusterConfig& config)
{
    // Judged against this machine and the master's own set (taskset, a cgroup's cpuset), which
    // the workers could not leave: the kernel would refuse the affinity in every child.
    if (config.cpus.empty())
        return std::nullopt;
    if (auto problem = cpuListProblem(config.cpus, allowedCpus(), configuredCpuCount()))
        return ConfigProblem { ConfigField::Cpus, *problem };
    return std::nullopt;
}

std::optional<ConfigProblem> validateLimits(const ClusterConfig& config)
{
    auto limits = [](std::string message) { return ConfigProblem { ConfigField::Limits, std::move(message) }; };
    if (config.sampleIntervalMs < 50 || config.sampleIntervalMs > 60000)
        return limits("The sample interval must be between 50 and 60000 ms.");
    if (config.heartbeatTimeoutMs < 200)
        return limits("The heartbeat timeout must be at least 200 ms.");
    if (config.gracefulTimeoutMs < 0)
        return limits("The graceful stop timeout must not be negative.");
    const auto& r = config.restart;
    if (r.maxCrashes < 1 || r.crashWindowMs < 1 || r.backoffInitialMs < 0 || r.backoffMaxMs < r.backoffInitialMs)
        return limits("The restart limits are inconsistent: need at least 1 crash in a positive window and a "
                      "back-off maximum no smaller than its start.");
    return std::nullopt;
}
} // namespace

} // namespace cs
