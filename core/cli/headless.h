#pragma once

#include "cli/options.h"

namespace cs {

/// Runs the master without a window until SIGINT/SIGTERM (see usageText() for the signals).
/// Returns the process exit status: 0 after a clean stop, 1 when every slot failed, 2 when
/// the cluster could not start (the reason is printed on stderr as one sentence).
int runHeadless(const CliOptions& options);

} // namespace cs
