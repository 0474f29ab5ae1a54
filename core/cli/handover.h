#pragma once

#include "master/clusterconfig.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace cs {

/// A headless master that carries on a cluster the window ran, so that closing the window
/// does not stop serving.
struct Handover {
    int pid = -1; ///< of the new master; -1 on failure
    std::string name; ///< its control socket's name: `clusterscope ctl --name NAME`, Attach
    std::string socketPath;
    std::string configPath; ///< the definition it runs, NAME.toml beside the socket
    std::string logPath; ///< its standard output and error
    std::string error; ///< one sentence when pid < 0
};

/// The `clusterscope` executable to run headless: ours when we are it, else the one beside
/// us, else the first on $PATH; empty when none is found.
std::string defaultMasterProgram();

/// Starts `program --headless --config NAME.toml` for `config` (which served `port`), detached
/// from us (its own session; it outlives this process), and returns once its control socket
/// NAME.sock reports every slot online. `listenFd` >= 0 is the listening socket it takes over
/// by socket activation (fd 3, LISTEN_FDS=1), so nothing is refused while the two overlap;
/// -1 under reuseport, where it binds `port` with SO_REUSEPORT beside the old workers. The
/// caller must have closed its own control socket NAME.sock, and stops its cluster after this
/// succeeded. On failure the new master has been stopped, and `error` says why.
Handover continueHeadless(const ClusterConfig& config, std::uint16_t port, int listenFd, const std::string& name,
                          const std::string& program, std::chrono::milliseconds deadline);

} // namespace cs
