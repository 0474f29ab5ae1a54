#pragma once

#include "master/snapshot.h"

namespace cs::ui {

/// Where the cluster stands, as the window's controls see it.
enum class ClusterPhase {
    Stopped, ///< no cluster
    Starting, ///< started; no worker serves yet and not every slot has failed
    Serving, ///< at least one worker is online
    AllFailed, ///< every slot crashed too often: nothing serves until a reset
};

/// What each cluster control can do now. The one place that maps the cluster's state to its
/// controls: the Cluster menu, its shortcuts, the launcher's buttons and the load panel all
/// read it, so none of them offers what would do nothing.
struct ClusterActions {
    ClusterPhase phase = ClusterPhase::Stopped;
    int slots = 0; ///< slots of the cluster (failed ones included)
    int online = 0;
    int failed = 0;
    bool start = false;
    bool stop = false;
    bool rollingRestart = false; ///< needs a serving worker to replace
    bool addWorker = false;
    bool removeWorker = false; ///< never below one worker
    bool runLoad = false; ///< only where something answers
    bool resetFailed = false;
    bool operator==(const ClusterActions&) const = default;
};

/// `running`: the adapter has a cluster (started and not yet stopped); `snapshot` its latest
/// picture, or null before the first one.
ClusterActions clusterActions(bool running, const Snapshot* snapshot);

} // namespace cs::ui
