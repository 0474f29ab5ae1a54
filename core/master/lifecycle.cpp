#include "master/lifecycle.h"

namespace cs {

std::string_view lifecyclePhaseName(LifecyclePhase phase) noexcept
{
    switch (phase) {
    case LifecyclePhase::Running:
        return "running";
    case LifecyclePhase::Draining:
        return "draining";
    case LifecyclePhase::Killing:
        return "killing";
    case LifecyclePhase::Finished:
        return "finished";
    }
    return "?";
}

Lifecycle::StopStep Lifecycle::stop(bool fast, int exitCode)
{
    switch (m_phase) {
    case LifecyclePhase::Running:
        m_exitCode = exitCode;
        m_phase = fast ? LifecyclePhase::Killing : LifecyclePhase::Draining;
        return fast ? StopStep::Kill : StopStep::Drain;
    case LifecyclePhase::Draining:
        m_phase = LifecyclePhase::Killing; // a second request, graceful or not, stops now
        return StopStep::Kill;
    case LifecyclePhase::Killing:
    case LifecyclePhase::Finished:
        return StopStep::None;
    }
    return StopStep::None;
}

bool Lifecycle::graceExpired()
{
    if (m_phase != LifecyclePhase::Draining)
        return false;
    m_phase = LifecyclePhase::Killing;
    return true;
}

bool Lifecycle::finish(bool nothingRuns)
{
    if (!nothingRuns || (m_phase != LifecyclePhase::Draining && m_phase != LifecyclePhase::Killing))
        return false;
    m_phase = LifecyclePhase::Finished;
    return true;
}

} // namespace cs
