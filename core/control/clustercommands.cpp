#include "control/clustercommands.h"

#include "messages/wording.h"

#include <optional>

namespace cs::control {

std::string carryOut(Cluster& cluster, const Request& request, const StopAndRestart& frontEnd)
{
    namespace r = cs::control::request;
    const auto snapshot = cluster.snapshot();
    auto slotState = [&](int slot) -> std::optional<WorkerState> {
        for (const WorkerSample& w : snapshot->workers)
            if (w.slot == slot)
                return w.state;
        return std::nullopt;
    };
    auto noSuchSlot = [&](int slot) {
        return "There is no worker slot " + std::to_string(slot) + "; the cluster has " + counted(snapshot->workers.size(), "slot") + ".";
    };
    if (std::holds_alternative<r::Stop>(request)) {
        frontEnd.stop();
    } else if (std::holds_alternative<r::Restart>(request)) {
        frontEnd.restart();
    } else if (const auto* scale = std::get_if<r::Scale>(&request)) {
        cluster.scale(scale->workers);
    } else if (const auto* kill = std::get_if<r::Kill>(&request)) {
        const auto state = slotState(kill->slot);
        if (!state)
            return noSuchSlot(kill->slot);
        if (*state != WorkerState::Online && *state != WorkerState::Starting && *state != WorkerState::Draining)
            return "Worker slot " + std::to_string(kill->slot) + " has no process now (" + std::string(stateName(*state)) + ").";
        cluster.signalWorker(kill->slot, kill->signal);
    } else if (const auto* reset = std::get_if<r::Reset>(&request)) {
        if (reset->slot == 0) {
            cluster.resetFailedSlots();
        } else {
            const auto state = slotState(reset->slot);
            if (!state)
                return noSuchSlot(reset->slot);
            if (*state != WorkerState::Failed)
                return "Worker slot " + std::to_string(reset->slot) + " has not failed; there is nothing to reset.";
            cluster.resetSlot(reset->slot);
        }
    }
    return {};
}

} // namespace cs::control
