#include "messages/ratelimiter.h"

namespace cs {

std::vector<std::string> RateLimiter::report(const std::string& message, Clock::time_point now)
{
    std::vector<std::string> lines;
    if (auto line = summary(now))
        lines.push_back(std::move(*line));
    if (m_periodStart && now - *m_periodStart < kPeriod) {
        ++m_heldBack;
        m_lastHeldBack = message;
        return lines;
    }
    m_periodStart = now;
    lines.push_back(message);
    return lines;
}

std::optional<std::string> RateLimiter::summary(Clock::time_point now)
{
    if (m_heldBack == 0 || now - *m_periodStart < kPeriod)
        return std::nullopt;
    std::string line = m_lastHeldBack + " (and " + std::to_string(m_heldBack) + " more in the last second)";
    m_heldBack = 0;
    m_lastHeldBack.clear();
    return line;
}

} // namespace cs
