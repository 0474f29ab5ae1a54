#include "master/snapshot.h"

namespace cs {

std::string_view eventKindName(EventKind kind) noexcept
{
    switch (kind) {
    case EventKind::Fork:
        return "fork";
    case EventKind::Online:
        return "online";
    case EventKind::Listening:
        return "listening";
    case EventKind::Exit:
        return "exit";
    case EventKind::Restart:
        return "restart";
    case EventKind::Failed:
        return "failed";
    case EventKind::Reset:
        return "reset";
    case EventKind::Scaled:
        return "scaled";
    case EventKind::Log:
        return "log";
    case EventKind::Stopped:
        return "stopped";
    case EventKind::SpawnFailed:
        return "spawn-failed";
    }
    return "?";
}

} // namespace cs
