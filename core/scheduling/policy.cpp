#include "scheduling/policy.h"

namespace cs {

std::string_view policyName(Policy policy) noexcept
{
    switch (policy) {
    case Policy::RoundRobin:
        return "round-robin";
    case Policy::LeastConnections:
        return "least-connections";
    case Policy::Shared:
        return "shared";
    case Policy::ReusePort:
        return "reuseport";
    }
    return "round-robin";
}

std::optional<Policy> parsePolicy(std::string_view name) noexcept
{
    for (auto policy : kAllPolicies)
        if (policyName(policy) == name)
            return policy;
    return std::nullopt;
}

std::string_view policyExplanation(Policy policy) noexcept
{
    switch (policy) {
    case Policy::RoundRobin:
        return "The master accepts every connection and hands it to the next ready worker in turn "
               "(Node's default): even spread, the master's accept loop is the ceiling.";
    case Policy::LeastConnections:
        return "The master accepts every connection and hands it to the ready worker with the fewest "
               "open connections: slow requests don't pile up on one worker.";
    case Policy::Shared:
        return "Every worker accepts on one shared listening socket (Node's SCHED_NONE): the kernel "
               "decides, and the spread is often badly uneven.";
    case Policy::ReusePort:
        return "Each worker binds its own SO_REUSEPORT socket (nginx reuseport): the kernel hashes "
               "connections; a closing worker's queued connections can be reset.";
    }
    return {};
}

bool masterAccepts(Policy policy) noexcept
{
    return policy == Policy::RoundRobin || policy == Policy::LeastConnections;
}

} // namespace cs
