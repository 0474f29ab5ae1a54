#include "supervision/workerstate.h"

namespace cs {

std::string_view stateName(WorkerState state) noexcept
{
    switch (state) {
    case WorkerState::Starting:
        return "starting";
    case WorkerState::Online:
        return "online";
    case WorkerState::Draining:
        return "draining";
    case WorkerState::BackingOff:
        return "backing-off";
    case WorkerState::Failed:
        return "failed";
    case WorkerState::Stopped:
        return "stopped";
    }
    return "?";
}

std::string_view exitReasonName(ExitReason reason) noexcept
{
    switch (reason) {
    case ExitReason::None:
        return "none";
    case ExitReason::Crash:
        return "crash";
    case ExitReason::ExitCode:
        return "exit-code";
    case ExitReason::Clean:
        return "clean";
    case ExitReason::KilledByUser:
        return "killed-by-user";
    case ExitReason::Timeout:
        return "timeout";
    case ExitReason::MemoryLimit:
        return "memory-limit";
    case ExitReason::Stopped:
        return "stopped";
    case ExitReason::ChannelError:
        return "channel-error";
    case ExitReason::SpawnFailed:
        return "spawn-failed";
    }
    return "?";
}

} // namespace cs
