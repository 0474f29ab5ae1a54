#pragma once

#include <string>
#include <vector>

namespace cs {

/// What a worker process is started with. Descriptors stay owned by the caller.
struct SpawnRequest {
    std::string program;
    std::vector<std::string> args;
    std::vector<std::string> extraEnvironment; ///< "NAME=value", added to (and overriding) ours
    int channelFd = -1; ///< becomes fd 3 in the child
    int listenFd = -1; ///< becomes fd 4 in the child when >= 0
    int stdoutFd = -1; ///< the child's stdout/stderr; -1 keeps ours
    int stderrFd = -1;
};

struct SpawnResult {
    int pid = -1;
    std::string error; ///< one sentence when pid < 0
};

/// Starts a worker with Boost.Process v2, without a shell. Must be called from the master's
/// long-lived thread: the child asks for SIGKILL when that thread (its parent) dies.
SpawnResult spawnWorker(const SpawnRequest& request);

} // namespace cs
