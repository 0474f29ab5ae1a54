#pragma once

#include <optional>
#include <string_view>

namespace cs {

/// How connections reach workers (the lesson the window teaches).
enum class Policy {
    RoundRobin, ///< the master accepts and hands each connection to the next ready worker
    LeastConnections, ///< the master hands each connection to the worker with fewest open ones
    Shared, ///< every worker accepts on one inherited listening socket (Node's SCHED_NONE)
    ReusePort, ///< each worker binds its own SO_REUSEPORT socket; the kernel hashes
};
inline constexpr Policy kAllPolicies[] = { Policy::RoundRobin, Policy::LeastConnections, Policy::Shared,
                                           Policy::ReusePort };
std::string_view policyName(Policy policy) noexcept; ///< "round-robin", ...
std::optional<Policy> parsePolicy(std::string_view name) noexcept;
std::string_view policyExplanation(Policy policy) noexcept; ///< one line for tooltips and --help
/// What keep-alive, the number of connections and the request rate do to the policy's spread
/// over workers: why the same lesson can show 100/0 one time and 50/50 the next.
std::string_view policySpread(Policy policy) noexcept;
/// What the policy costs in CPU per connection, against a server whose workers accept for
/// themselves (nginx), as tests/bench measured it on a 2-core machine.
std::string_view policyCost(Policy policy) noexcept;
/// True when the master accepts and hands connections over (round-robin, least-connections).
bool masterAccepts(Policy policy) noexcept;

} // namespace cs
