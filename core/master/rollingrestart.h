#pragma once

#include <deque>
#include <optional>
#include <vector>

namespace cs {

/// A rolling restart: the slots still to replace, one at a time, and the one being replaced.
/// Pure bookkeeping; the supervisor starts each step and ends the restart (complete or
/// abandoned). It always ends: a step ends when the replacement serves, exits or cannot start.
class RollingRestart {
public:
    void begin(std::vector<int> slots);
    /// The next slot to replace (and the step now under way), or nullopt when none is left.
    std::optional<int> next();
    void end();

    bool active() const { return m_active; }
    int step() const { return m_step; } ///< the slot being replaced; 0 between steps
    void stepDone() { m_step = 0; }
    std::size_t remaining() const { return m_queue.size(); }

private:
    bool m_active = false;
    int m_step = 0;
    std::deque<int> m_queue;
};

} // namespace cs
