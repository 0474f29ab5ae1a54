#pragma once

#include "master/clusterconfig.h"
#include "master/workerlauncher.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cs {

/// The steps of starting a worker process, in order.
enum class SpawnStep {
    Channel, ///< the socketpair to the built-in worker
    Pipes, ///< the pipes for its stdout and stderr
    Fork, ///< fork itself
    Exec, ///< the exec of the program (or its setup in the child)
    Pidfd, ///< pidfd_open, to see it exit
};
std::string_view spawnStepName(SpawnStep step) noexcept;

/// Test seam: an errno to make `step` fail for `slot` as if the OS had refused it, or 0 to
/// run the step for real. Exec cannot be faked (a missing program makes it fail for real).
using SpawnFaults = std::function<int(SpawnStep step, int slot)>;

/// A started worker; the descriptors are the caller's to close (-1 when not used).
struct SpawnedProcess {
    int pid = -1;
    int pidfd = -1;
    int channel = -1; ///< the master's end; the built-in worker only
    int out = -1; ///< read ends, non-blocking
    int err = -1;
};

struct SpawnOutcome {
    bool ok = false;
    SpawnedProcess process; ///< when ok
    SpawnStep failedStep = SpawnStep::Channel; ///< when not
    std::string error; ///< when not: "fork failed: Resource temporarily unavailable", with no full stop
};

/// What the worker of `slot` is started with: program, arguments, environment, descriptors.
/// `listenFd` is handed over under `shared`; `channelFd`, `outFd`, `errFd` are the child's ends.
SpawnRequest spawnRequestFor(const ClusterConfig& config, int slot, std::uint16_t port, int listenFd, int channelFd,
                             int outFd, int errFd);

/// Starts the worker of `slot`, every step; never throws. On failure nothing is left behind:
/// no descriptor stays open and a child that was forked is killed and reaped.
SpawnOutcome spawnProcess(const ClusterConfig& config, int slot, std::uint16_t port, int listenFd,
                          const SpawnFaults& faults = {});

} // namespace cs
