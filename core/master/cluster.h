#pragma once

#include "master/clusterconfig.h"
#include "master/snapshot.h"
#include "master/spawner.h"
#include "master/supervisor.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cs {

class Master;
struct ClusterThread;

/// The open-files limit of this process (which its workers inherit).
struct OpenFileLimit {
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};
/// Raises the soft open-files limit to the hard one: every connection is a descriptor, and
/// Debian's default soft limit (1024) would cap a worker at about a thousand connections.
/// Returns the limit now in force.
OpenFileLimit raiseOpenFileLimit();
/// Under this hard limit the command line warns that the limit caps the connection count.
constexpr std::uint64_t kFewOpenFiles = 4096;

/// The one façade over the master. The master's event loop runs on a long-lived thread of
/// its own (workers are forked from it, so PR_SET_PDEATHSIG holds); every call here is
/// thread-safe and returns at once, except start().
class Cluster {
public:
    Cluster();
    ~Cluster(); ///< a running cluster is stopped fast; no worker outlives this object
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    struct StartResult {
        bool ok = false;
        std::string error; ///< one clear sentence when !ok, in neutral words
        ConfigField field = ConfigField::None; ///< what the error is about
    };
    /// Validates, binds the port (so "port in use" is reported from the real bind) and starts
    /// the master thread, which forks the workers. Fails when already running.
    /// `listeningFd` >= 0: a listening TCP socket to serve instead of binding (socket
    /// activation); the cluster takes it over, and its address and port replace the
    /// config's. Policy reuseport cannot use one (each worker binds its own).
    StartResult start(const ClusterConfig& config, int listeningFd = -1);

    enum class StopMode { Graceful, Fast };
    /// Graceful: stop accepting, drain, SIGKILL stragglers after the grace timeout.
    /// A second graceful stop during a graceful one escalates to fast.
    void stop(StopMode mode = StopMode::Graceful);
    /// Blocks until the master thread has finished; true if it did within the timeout.
    bool waitStopped(std::chrono::milliseconds timeout);
    bool running() const;
    /// A duplicate of the listening socket it serves (close-on-exec; the caller closes it), for
    /// a master that takes over from this one; -1 when it does not run, and under reuseport
    /// (each worker listens on a socket of its own there).
    int duplicateListener() const;

    void scale(int workers);
    void addWorker();
    void removeWorker();
    /// Sends a signal to the slot's process; the exit is reported as KilledByUser.
    void signalWorker(int slot, int signal);
    /// Makes the slot's process crash (SIGABRT, as /crash does): reported and counted as a
    /// crash, unlike signalWorker. For teaching what a crash looks like; the window offers it
    /// with chaos on.
    void crashWorker(int slot);
    /// Replaces every worker one by one: start the new one, wait until ready, drain the old.
    void rollingRestart();
    /// Clears a failed slot's crash history and respawns it.
    void resetSlot(int slot);
    void resetFailedSlots();

    /// The latest snapshot; never null (an empty one before start).
    std::shared_ptr<const Snapshot> snapshot() const;
    /// Takes every event queued since the last call, oldest first.
    std::vector<Event> takeEvents();
    /// Called on the master thread whenever a new snapshot or new events are ready. Keep it
    /// cheap and thread-safe (post to your own thread). Set before start().
    void setNotifier(std::function<void()> notifier);
    /// Test seam, set before start(): makes steps of starting a worker fail as if the OS had
    /// refused them (see SpawnFaults). Never used by the programs.
    void setSpawnFaultsForTesting(SpawnFaults faults);

private:
    void command(Input input);

    std::unique_ptr<Master> m_master;
    std::shared_ptr<ClusterThread> m_thread;
    std::function<void()> m_notifier;
    SpawnFaults m_spawnFaults;
};

} // namespace cs
