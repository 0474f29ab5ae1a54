#include "supervision/exitclassification.h"

#include <cstring>

#include <sys/wait.h>

namespace cs {

ExitReason classifyExit(int waitStatus, ExitReason killReason, bool askedToFinish) noexcept
{
    if (killReason != ExitReason::None)
        return killReason;
    if (askedToFinish)
        return ExitReason::Stopped;
    if (WIFSIGNALED(waitStatus))
        return ExitReason::Crash;
    return WEXITSTATUS(waitStatus) == 0 ? ExitReason::Clean : ExitReason::ExitCode;
}

bool countsAsCrash(ExitReason reason) noexcept
{
    switch (reason) {
    case ExitReason::None:
    case ExitReason::KilledByUser:
    case ExitReason::Stopped:
        return false;
    case ExitReason::Crash:
    case ExitReason::ExitCode:
    case ExitReason::Clean: // a server that exits on its own, even with 0, is not serving
    case ExitReason::Timeout:
    case ExitReason::MemoryLimit:
    case ExitReason::ChannelError:
    case ExitReason::SpawnFailed:
        return true;
    }
    return true;
}

std::string describeWaitStatus(int waitStatus)
{
    if (WIFSIGNALED(waitStatus)) {
        const int signal = WTERMSIG(waitStatus);
        const char* name = ::strsignal(signal);
        return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
    }
    return "exited with code " + std::to_string(WEXITSTATUS(waitStatus));
}

} // namespace cs
