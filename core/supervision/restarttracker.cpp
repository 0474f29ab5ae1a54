#include "supervision/restarttracker.h"

#include <algorithm>

namespace cs {

namespace {

// Back-off for the k-th consecutive quick crash: 0 for the first, then initial, 2x, 4x ...
int backoffFor(int quickCrashes, const RestartLimits& limits) noexcept
{
    if (quickCrashes <= 1 || limits.backoffInitialMs <= 0)
        return 0;
    long long delay = limits.backoffInitialMs;
    for (int k = 2; k < quickCrashes && delay < limits.backoffMaxMs; ++k)
        delay *= 2; // stops at the cap, so it cannot overflow however long the streak
    return static_cast<int>(std::min<long long>(delay, std::max(limits.backoffMaxMs, 0)));
}

} // namespace

RestartTracker::RestartTracker(RestartLimits limits)
    : m_limits(limits)
{
}

RestartTracker::Decision RestartTracker::onCrash(Clock::time_point now, std::chrono::milliseconds uptime)
{
    // Old crashes leave the window for good; keeps the deque bounded by maxCrashes-ish.
    const auto window = std::chrono::milliseconds(m_limits.crashWindowMs);
    while (!m_crashes.empty() && now - m_crashes.front() >= window)
        m_crashes.pop_front();
    m_crashes.push_back(now);

    // A stable incarnation starts a fresh streak: its crash is respawned at once.
    if (uptime >= std::chrono::milliseconds(m_limits.stableAfterMs))
        m_quickCrashes = 0;
    else
        ++m_quickCrashes;

    Decision decision;
    if (crashesInWindow(now) >= m_limits.maxCrashes) {
        decision.failed = true;
        return decision;
    }
    decision.delayMs = backoffFor(m_quickCrashes, m_limits);
    return decision;
}

void RestartTracker::reset()
{
    m_crashes.clear();
    m_quickCrashes = 0;
}

int RestartTracker::crashesInWindow(Clock::time_point now) const
{
    const auto window = std::chrono::milliseconds(m_limits.crashWindowMs);
    return static_cast<int>(std::count_if(m_crashes.begin(), m_crashes.end(), [&](Clock::time_point t) {
        return now - t < window;
    }));
}

} // namespace cs
