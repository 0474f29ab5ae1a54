#include "scheduling/scheduler.h"

#include <algorithm>
#include <limits>

namespace cs {

namespace {

bool isSkipped(int index, std::span<const int> skip) noexcept
{
    for (int s : skip) {
        if (s == index)
            return true;
    }
    return false;
}

bool eligible(std::span<const Candidate> candidates, std::span<const int> skip, int index) noexcept
{
    return candidates[static_cast<std::size_t>(index)].ready && !isSkipped(index, skip);
}

// Round-robin over the eligible candidates that pass `accept`: the smallest slot after
// `lastSlot`, else (wrapping) the smallest slot of all. Works on slot numbers, not list
// positions, so the order of `candidates` does not matter and a respawned slot keeps its turn.
template<typename Accept>
int nextAfter(std::span<const Candidate> candidates, std::span<const int> skip, int lastSlot, Accept accept) noexcept
{
    int after = -1;
    int lowest = -1;
    const int count = static_cast<int>(candidates.size());
    for (int i = 0; i < count; ++i) {
        if (!eligible(candidates, skip, i) || !accept(candidates[static_cast<std::size_t>(i)]))
            continue;
        const int slot = candidates[static_cast<std::size_t>(i)].slot;
        if (lowest < 0 || slot < candidates[static_cast<std::size_t>(lowest)].slot)
            lowest = i;
        if (slot > lastSlot && (after < 0 || slot < candidates[static_cast<std::size_t>(after)].slot))
            after = i;
    }
    return after >= 0 ? after : lowest;
}

} // namespace

int Scheduler::pick(std::span<const Candidate> candidates, std::span<const int> skip)
{
    int chosen = -1;
    if (m_policy == Policy::LeastConnections) {
        std::uint32_t fewest = std::numeric_limits<std::uint32_t>::max();
        bool any = false;
        for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
            if (!eligible(candidates, skip, i))
                continue;
            any = true;
            if (candidates[static_cast<std::size_t>(i)].openConnections < fewest)
                fewest = candidates[static_cast<std::size_t>(i)].openConnections;
        }
        if (any) {
            chosen = nextAfter(candidates, skip, m_lastSlot,
                               [fewest](const Candidate& c) { return c.openConnections == fewest; });
        }
    } else {
        // Shared and ReusePort never ask (the kernel picks); answer like round-robin anyway.
        chosen = nextAfter(candidates, skip, m_lastSlot, [](const Candidate&) { return true; });
    }
    if (chosen >= 0)
        m_lastSlot = candidates[static_cast<std::size_t>(chosen)].slot;
    return chosen;
}

int Scheduler::pickInSlotOrder(std::span<const Candidate> candidates, std::span<const int> skip)
{
    if (m_policy == Policy::LeastConnections)
        return pick(candidates, skip);
    const std::size_t count = candidates.size();
    // The first candidate after the previous pick; from there on in slot order, wrapping to
    // the smallest slot: what nextAfter() finds by scanning them all.
    const auto after = std::upper_bound(candidates.begin(), candidates.end(), m_lastSlot,
                                        [](int slot, const Candidate& c) { return slot < c.slot; });
    const auto start = static_cast<std::size_t>(after - candidates.begin());
    for (std::size_t step = 0; step < count; ++step) {
        std::size_t i = start + step;
        if (i >= count)
            i -= count;
        if (eligible(candidates, skip, static_cast<int>(i))) {
            m_lastSlot = candidates[i].slot;
            return static_cast<int>(i);
        }
    }
    return -1;
}

} // namespace cs
