#pragma once

#include <string_view>

namespace cs {

enum class LifecyclePhase {
    Running, ///< serving; respawns as the limits allow
    Draining, ///< a graceful stop: no new connections, workers finish theirs, then the grace ends
    Killing, ///< a fast stop (or the grace is over): every worker is SIGKILLed
    Finished, ///< nothing runs; the loop ends
};
std::string_view lifecyclePhaseName(LifecyclePhase phase) noexcept;

/// The cluster's own life, from running to finished. Pure: the supervisor asks it what a stop
/// request means now and carries that out.
class Lifecycle {
public:
    enum class StopStep {
        None, ///< already stopping as hard as asked, or finished
        Drain, ///< begin a graceful stop
        Kill, ///< kill every worker now (a fast stop, or a second stop request)
    };
    /// A stop request. A second graceful stop during a graceful one escalates to fast.
    StopStep stop(bool fast, int exitCode = 0);
    /// The grace period of a graceful stop ended: true when workers must now be killed.
    bool graceExpired();
    /// True (once) when the cluster is stopping and nothing runs any more.
    bool finish(bool nothingRuns);

    LifecyclePhase phase() const { return m_phase; }
    bool running() const { return m_phase == LifecyclePhase::Running; }
    int exitCode() const { return m_exitCode; } ///< of the headless front end: 1 when every slot failed

private:
    LifecyclePhase m_phase = LifecyclePhase::Running;
    int m_exitCode = 0;
};

} // namespace cs
