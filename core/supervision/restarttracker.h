#pragma once

#include "supervision/restartlimits.h"

#include <chrono>
#include <deque>

namespace cs {

/// Crash-loop bookkeeping for one slot. Pure: the caller passes the time in.
/// The first unexpected exit is respawned at once; while the slot keeps crashing soon after
/// start the delay doubles from backoffInitialMs up to backoffMaxMs; an incarnation that
/// stayed up stableAfterMs resets the back-off. The maxCrashes-th unexpected exit within
/// crashWindowMs (counting it) marks the slot failed.
class RestartTracker {
public:
    using Clock = std::chrono::steady_clock;
    explicit RestartTracker(RestartLimits limits = {});

    struct Decision {
        bool failed = false; ///< stop respawning this slot
        int delayMs = 0; ///< wait this long before the respawn
    };
    /// Records an unexpected exit at `now` of a process that had been up for `uptime`.
    Decision onCrash(Clock::time_point now, std::chrono::milliseconds uptime);
    /// Forgets every crash (the user reset the slot).
    void reset();

    int crashesInWindow(Clock::time_point now) const;
    int consecutiveQuickCrashes() const { return m_quickCrashes; }
    const RestartLimits& limits() const { return m_limits; }

private:
    RestartLimits m_limits;
    std::deque<Clock::time_point> m_crashes;
    int m_quickCrashes = 0;
};

} // namespace cs
