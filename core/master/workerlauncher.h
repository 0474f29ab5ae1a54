#pragma once

#include <string>
#include <vector>

namespace cs {

/// A descriptor of ours that the child gets at a fixed number.
struct FdMapping {
    int source = -1;
    int target = -1;
};

/// What a worker process is started with. Descriptors stay owned by the caller.
struct SpawnRequest {
    std::string program; ///< an absolute path (see findProgram)
    std::vector<std::string> args;
    std::vector<std::string> extraEnvironment; ///< "NAME=value", added to (and overriding) ours
    std::vector<FdMapping> fds; ///< at most 4; targets above 2
    bool setListenPid = false; ///< socket activation: LISTEN_PID=<the child's own pid>
    int stdoutFd = -1; ///< the child's stdout/stderr; -1 keeps ours
    int stderrFd = -1;
    std::string workingDirectory; ///< empty: ours
    /// Its own session and no parent-death signal: the child outlives us (a headless master
    /// that carries on the window's cluster). It may then be started from any thread.
    bool detach = false;
    std::vector<int> cpus; ///< the CPUs it may run on (sched_setaffinity before exec); empty: ours
};

struct SpawnResult {
    int pid = -1;
    std::string error; ///< one sentence when pid < 0
    std::string what; ///< the same without "Could not start": "'/usr/bin/x': No such file or directory"
    bool forked = false; ///< when pid < 0: a child was forked (and reaped); its setup or exec failed
};

/// Starts a worker by fork and exec, without a shell; never throws. The child gets stdin from
/// /dev/null, default signal handling with nothing blocked, and no descriptor of ours but
/// those in the request. Returns once the exec has succeeded or failed; the caller reaps the
/// child. Must be called from the master's long-lived thread: the child asks for SIGKILL when
/// that thread (its parent) dies.
SpawnResult spawnWorker(const SpawnRequest& request);

/// `name` itself when it holds a '/', else the first executable match on $PATH; empty when none.
std::string findProgram(const std::string& name);

} // namespace cs
