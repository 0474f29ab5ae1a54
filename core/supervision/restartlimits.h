#pragma once

namespace cs {

/// Crash-loop bookkeeping, after PM2 (min uptime, max restarts) and systemd (burst in an interval).
/// A spawn that fails (the program is missing, fork is refused) counts as a crash of uptime 0.
struct RestartLimits {
    int backoffInitialMs = 100; ///< delay before the second quick respawn; the first is immediate
    int backoffMaxMs = 8000; ///< the doubling stops here
    int stableAfterMs = 10000; ///< an incarnation up this long resets the back-off
    int maxCrashes = 5; ///< the slot fails at the maxCrashes-th unexpected exit ...
    int crashWindowMs = 30000; ///< ... within this window

    bool operator==(const RestartLimits&) const = default;
};

} // namespace cs
