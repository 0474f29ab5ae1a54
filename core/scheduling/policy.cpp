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
               "connections; a connection arriving just as a worker leaves can be reset.";
    }
    return {};
}

std::string_view policySpread(Policy policy) noexcept
{
    // Every policy places connections, not requests: under keep-alive a connection stays with
    // the worker that took it, so the request share follows a handful of early decisions.
    switch (policy) {
    case Policy::RoundRobin:
        return "It spreads connections, not requests: with keep-alive each worker keeps the connections "
               "it was handed, so 4 connections over 2 workers give 2 each, at any rate; with a new "
               "connection per request the requests spread evenly too.";
    case Policy::LeastConnections:
        return "It spreads connections, not requests: with keep-alive every worker gets the same number "
               "of long-lived connections; with short connections a worker slowed by long requests "
               "holds more open ones and is given fewer new ones.";
    case Policy::Shared:
        return "With keep-alive only the few accepts at the start decide: the worker that is awake when "
               "the connections arrive can take every one of them (one worker serving everything is a "
               "common result with 4 connections at full speed). A rate limit or more connections "
               "give the other workers time to take some; a new connection per request shows the "
               "kernel's spread over many decisions.";
    case Policy::ReusePort:
        return "The kernel hashes each connection's addresses and ports to a worker: with a handful of "
               "keep-alive connections the split is whatever the hash gives (3 of 4 on one worker "
               "happens); with many connections, or a new connection per request, it evens out.";
    }
    return {};
}

std::string_view policyCost(Policy policy) noexcept
{
    // Figures: tests/bench/README.md, part 2 (requests per CPU-second against nginx).
    switch (policy) {
    case Policy::RoundRobin:
    case Policy::LeastConnections:
        return "Cost: each new connection wakes the master (accept, hand-off) and then a worker. With "
               "the workers idle between connections that is about a third more CPU per connection "
               "than nginx; with the workers saturated, or with keep-alive, about the same.";
    case Policy::Shared:
        return "Cost: every idle worker wakes for each new connection and all but one find it already "
               "taken (the thundering herd), so each idle worker more is one more wake-up per "
               "connection. With 2 workers it measured within 5 % of nginx's CPU per connection.";
    case Policy::ReusePort:
        return "Cost: one worker wakes for each new connection, as in nginx with reuseport: the same "
               "CPU per connection as nginx.";
    }
    return {};
}

bool masterAccepts(Policy policy) noexcept
{
    return policy == Policy::RoundRobin || policy == Policy::LeastConnections;
}

} // namespace cs
