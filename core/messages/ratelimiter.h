#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cs {

/// Keeps one message that repeats (every accept failing while descriptors run out) from
/// flooding the log: the first occurrence is printed, its repeats in the second after it are
/// only counted, and once that second is over they are summarised in one line. Pure: the
/// caller passes the time in, and calls summary() from a periodic timer it already has, so
/// that a storm that stops is summarised too. One per message.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kPeriod = std::chrono::seconds(1);

    /// `message` happened at `now`. The lines to print, in order: the summary of a period that
    /// has ended, if it held repeats back; then `message`, unless it is a repeat, only counted.
    std::vector<std::string> report(const std::string& message, Clock::time_point now);
    /// Once the period is over, the one line for the repeats it held back:
    /// "MESSAGE (and 161 more in the last second)"; nothing before, or when there were none.
    std::optional<std::string> summary(Clock::time_point now);

private:
    std::optional<Clock::time_point> m_periodStart; // none before the first message
    std::string m_lastHeldBack;
    std::uint64_t m_heldBack = 0;
};

} // namespace cs
