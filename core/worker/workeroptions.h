#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cs::worker {

/// How connections reach this worker.
enum class AcceptMode {
    Handoff, ///< accepted by the master, passed over the IPC channel (SCM_RIGHTS)
    Shared, ///< accept on the inherited listening socket (CLUSTERSCOPE_LISTEN_FD)
    ReusePort, ///< bind an own SO_REUSEPORT socket on bind/port
};

/// Everything the worker is told at start, validated.
struct WorkerOptions {
    int slot = 1;
    bool chaos = false;
    AcceptMode mode = AcceptMode::ReusePort;
    std::string bindAddress = "127.0.0.1";
    std::uint16_t port = 0;
    std::uint32_t headerTimeoutMs = 10000;
    std::uint32_t idleTimeoutMs = 30000;
    /// The whole body of a request must arrive within this time of its header: a client that
    /// trickles a declared body byte by byte is answered 408 and closed (the slow-POST attack).
    std::uint32_t bodyTimeoutMs = 30000;
    std::uint32_t maxConnections = 10000;
    std::uint64_t maxBodyBytes = 1048576;
    int ipcFd = -1; ///< -1: standalone
    /// The master's heartbeat timeout (CLUSTERSCOPE_HEARTBEAT_MS); 0 when not told. A worker
    /// with nothing new to report stays quiet for up to a quarter of it (at most 1 s).
    std::uint32_t heartbeatMs = 0;
    int listenFd = -1; ///< mode Shared only
    bool help = false;
    bool version = false;

    bool operator==(const WorkerOptions&) const = default;
};

/// The result of reading the command line: options, or one sentence for the user.
struct ParsedOptions {
    WorkerOptions options;
    std::string error; ///< empty when the options are valid
};

/// Reads argv (without argv[0]) and the CLUSTERSCOPE_WORKER_ID / _IPC_FD / _LISTEN_FD
/// variables given in `env`. Pure: no I/O, so it can be tested with tables.
ParsedOptions parseWorkerOptions(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env);

/// The --help text (its options from the settings table).
std::string workerUsage();

} // namespace cs::worker
