#pragma once

#include <string>
#include <vector>

namespace cs::control {

/// `clusterscope ctl COMMAND [ARGS] [--name NAME] [--json]`: list, status, top, scale N,
/// restart, kill SLOT [SIGNAL], reset [SLOT], stop, logs [-f]. Talks to a running master
/// through its control socket. Returns the exit status: 0 done, 1 the cluster refused or
/// none runs, 2 a usage mistake; one sentence on stderr for each failure.
int runCtl(const std::vector<std::string>& args);

/// The help text of `clusterscope ctl`.
std::string ctlUsage();

} // namespace cs::control
