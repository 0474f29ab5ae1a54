#pragma once

#include "control/protocol.h"
#include "master/cluster.h"

#include <functional>
#include <string>

namespace cs::control {

/// How a front end stops and restarts its cluster: the headless master through its own
/// signals (so systemd hears of it), the window through the cluster itself.
struct StopAndRestart {
    std::function<void()> stop;
    std::function<void()> restart;
};

/// Carries out a control command (scale, restart, stop, kill, reset) on `cluster`, after
/// checking it against the latest snapshot: empty when done, else one sentence (no such
/// slot, no process to signal, a slot that has not failed). Any thread.
std::string carryOut(Cluster& cluster, const Request& request, const StopAndRestart& frontEnd);

} // namespace cs::control
