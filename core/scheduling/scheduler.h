#pragma once

#include "scheduling/policy.h"

#include <cstdint>
#include <span>

namespace cs {

/// What the scheduler knows of a worker when it picks one for a new connection.
struct Candidate {
    int slot = 0;
    bool ready = false; ///< online and not draining; only ready ones are picked
    std::uint32_t openConnections = 0; ///< as counted by the master (handed off minus closed)
};

/// Picks the worker for the next connection under round-robin or least-connections.
/// Pure and allocation-free. Round-robin goes to the next ready slot after the last pick
/// (in slot order, so a respawned slot keeps its turn); least-connections picks the fewest
/// open connections and breaks ties round-robin so equal workers still alternate.
class Scheduler {
public:
    explicit Scheduler(Policy policy = Policy::RoundRobin) : m_policy(policy) { }
    void setPolicy(Policy policy) { m_policy = policy; }
    Policy policy() const { return m_policy; }

    /// Index into `candidates` of the pick, or -1 when none is ready. `skip` lists indices to
    /// leave out (a hand-off to them just failed).
    int pick(std::span<const Candidate> candidates, std::span<const int> skip = {});
    /// The same pick as pick(), for `candidates` sorted by slot (ascending, each slot once).
    /// Round-robin then costs a binary search plus the run of unready candidates it steps
    /// over, not a scan of every worker: the master's per-connection cost stays flat as the
    /// worker count grows. Least-connections still scans them all (it looks for the fewest).
    int pickInSlotOrder(std::span<const Candidate> candidates, std::span<const int> skip = {});

private:
    Policy m_policy;
    int m_lastSlot = 0; ///< slot number of the previous pick
};

} // namespace cs
