#include "models/clusteractions.h"

namespace cs::ui {

ClusterActions clusterActions(bool running, const Snapshot* snapshot)
{
    ClusterActions a;
    if (!running) {
        a.start = true;
        return a;
    }
    if (snapshot && snapshot->running) {
        a.slots = static_cast<int>(snapshot->workers.size());
        for (const WorkerSample& w : snapshot->workers) {
            a.online += w.state == WorkerState::Online ? 1 : 0;
            a.failed += w.state == WorkerState::Failed ? 1 : 0;
        }
    }
    a.phase = a.online > 0                         ? ClusterPhase::Serving
        : a.slots > 0 && a.failed == a.slots ? ClusterPhase::AllFailed
                                             : ClusterPhase::Starting;
    a.stop = true;
    a.rollingRestart = a.phase == ClusterPhase::Serving;
    a.addWorker = true;
    a.removeWorker = a.slots > 1;
    a.runLoad = a.phase == ClusterPhase::Serving;
    a.resetFailed = a.failed > 0;
    return a;
}

} // namespace cs::ui
