#pragma once

#include "scheduling/policy.h"
#include "supervision/restartlimits.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

struct ClusterConfig {
    std::string bindAddress = "127.0.0.1";
    std::uint16_t port = 8000; ///< 0 picks a free port (Snapshot::port tells which)
    int workers = 0; ///< 0 means one per core
    Policy policy = Policy::RoundRobin;
    bool chaos = false; ///< enables /crash in the built-in worker
    /// --pin: each worker on one CPU, slot N on the ((N - 1) mod size)-th of `cpus`, else of
    /// the CPUs the master may use. Set in the child before exec; a respawn keeps its slot's CPU.
    bool pin = false;
    /// --cpus: the CPUs the workers may run on, in the order given (see parseCpuList); empty:
    /// all of the master's. Never the master's own affinity.
    std::vector<int> cpus;
    std::string workerProgram; ///< empty: the built-in worker next to this executable
    std::vector<std::string> workerArgs; ///< extra arguments for the built-in worker
    /// --exec: run this program (first) with these arguments, as given and without a shell,
    /// as the workers instead of the built-in one. Under `shared` it gets the listening socket
    /// by systemd socket activation (fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES); under
    /// `reuseport` only PORT, and binds with SO_REUSEPORT itself. Both get PORT and
    /// CLUSTERSCOPE_WORKER_ID. The hand-off policies need the built-in worker.
    std::vector<std::string> execCommand;
    std::string workingDirectory; ///< for --exec programs; empty: ours
    std::vector<std::string> environment; ///< extra NAME=value for every worker
    int sampleIntervalMs = 500; ///< how often a new Snapshot is made
    int heartbeatTimeoutMs = 5000; ///< a ready worker silent this long is killed ("timeout")
    int startTimeoutMs = 10000; ///< a worker not ready this long after fork is killed
    int gracefulTimeoutMs = 10000; ///< draining workers still alive then are SIGKILLed
    std::uint64_t memoryLimitBytes = 0; ///< restart a worker whose RSS exceeds this; 0 = off
    RestartLimits restart;
    bool stopWhenAllFailed = false; ///< headless: give up (and exit non-zero) once every slot has failed

    bool operator==(const ClusterConfig&) const = default;
};

/// True when the workers are the built-in clusterscope-worker (request metrics, hand-off).
inline bool usesBuiltInWorker(const ClusterConfig& config) { return config.execCommand.empty(); }

/// Resolves `workers == 0` and an empty worker program to their defaults.
ClusterConfig withDefaults(ClusterConfig config);
/// The part of a cluster definition a problem is about, so that each front end points at it
/// in its own terms: the command line names the flag, the window marks the field.
enum class ConfigField { None, Port, Bind, Workers, Policy, Program, Environment, WorkerProgram, Limits, Cpus };

/// One clear sentence in neutral words (no flag names) and what it is about.
struct ConfigProblem {
    ConfigField field = ConfigField::None;
    std::string message;
};

/// True for an address of this machine's loopback only (127.0.0.0/8, every spelling of ::1):
/// binding anything else makes a server reachable from other machines.
bool isLoopbackAddress(const std::string& address);

/// The first thing wrong with a config, or nullopt when it is usable.
std::optional<ConfigProblem> validate(const ClusterConfig& config);
/// The built-in worker: `clusterscope-worker` beside the running executable, else in
/// ../libexec/clusterscope/ relative to it; empty when neither exists.
std::string defaultWorkerProgram();

} // namespace cs
