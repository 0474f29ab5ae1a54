#pragma once

#include <string_view>

namespace cs {

/// What a worker slot is doing: the one state the supervisor keeps per slot, shown as is.
enum class WorkerState {
    Starting, ///< its process is being started, or has not reported ready yet
    Online, ///< ready and serving
    Draining, ///< finishing in-flight requests before it exits
    BackingOff, ///< crashed or could not be started; waiting before the next try
    Failed, ///< crashed (or could not be started) too often; not respawned until reset
    Stopped, ///< not running and not meant to be (scaled down, cluster stopped)
};
std::string_view stateName(WorkerState state) noexcept;

/// Why a worker process ended.
enum class ExitReason {
    None,
    Crash, ///< ended by a signal nobody asked for
    ExitCode, ///< exited on its own with a non-zero code
    Clean, ///< exited on its own with 0
    KilledByUser, ///< a signal sent through the façade
    Timeout, ///< missed its heartbeat or its start deadline
    MemoryLimit, ///< RSS went over the limit
    Stopped, ///< stopped by the master (drain, scale down, cluster stop)
    ChannelError, ///< wrote garbage on, or closed, its channel
    SpawnFailed, ///< never ran: a step of starting it failed (pipe, fork, exec, pidfd)
};
std::string_view exitReasonName(ExitReason reason) noexcept;

} // namespace cs
