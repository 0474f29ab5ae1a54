#include "master/rollingrestart.h"

namespace cs {

void RollingRestart::begin(std::vector<int> slots)
{
    m_queue.assign(slots.begin(), slots.end());
    m_active = true;
    m_step = 0;
}

std::optional<int> RollingRestart::next()
{
    m_step = 0;
    if (m_queue.empty())
        return std::nullopt;
    m_step = m_queue.front();
    m_queue.pop_front();
    return m_step;
}

void RollingRestart::end()
{
    m_active = false;
    m_step = 0;
    m_queue.clear();
}

} // namespace cs
