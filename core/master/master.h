#pragma once

#include "master/clusterconfig.h"
#include "master/dispatcher.h"
#include "master/snapshot.h"
#include "master/snapshotbuilder.h"
#include "master/spawner.h"
#include "master/supervisor.h"
#include "master/workerprocess.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cs {

/// The master's event loop. It decides nothing: what it sees (a process spawned, a message,
/// an exit, a timer, a command) goes to the Supervisor, and it carries out the actions the
/// Supervisor returns. Everything runs on the master thread, except the few members
/// documented as thread-safe (post, snapshot, takeEvents). Private to core; the rest of a
/// program uses the Cluster façade.
class Master : private ProcessEvents {
public:
    using Clock = std::chrono::steady_clock;

    /// Takes ownership of the bound (and, when the master accepts or shares it, listening) socket.
    Master(ClusterConfig config, int listenFd, std::uint16_t port);
    ~Master() override;

    /// Test seam, before run(): makes spawn steps fail as if the OS had refused them.
    void setSpawnFaults(SpawnFaults faults) { m_spawnFaults = std::move(faults); }
    void setNotifier(std::function<void()> notifier) { m_notifier = std::move(notifier); }

    /// Forks the workers and runs the loop until the cluster has stopped. Master thread only.
    /// Nothing thrown by a handler leaves it: it is reported as an event and the loop goes on.
    void run();
    /// A command from the façade (stop, scale, signal, ...). Master thread only.
    void command(const Input& input) { feed(input); }

    /// Thread-safe: runs `task` on the master thread.
    void post(std::function<void()> task);
    std::shared_ptr<const Snapshot> snapshot() const;
    std::vector<Event> takeEvents();
    /// The socket it serves (bound only, under reuseport); open until the master is destroyed.
    int listenFd() const { return m_listenFd; }
    const ClusterConfig& config() const { return m_config; }

private:
    // ProcessEvents
    void onMessage(WorkerProcess& process, const ipc::Message& message) override;
    void onChannelBroken(WorkerProcess& process, std::string why) override;
    void onLogLine(WorkerProcess& process, LogStream stream, std::string line) override;
    void onExit(WorkerProcess& process, int waitStatus) override;

    /// Hands an input to the supervisor and carries out its actions; inputs that carrying
    /// out produces (a spawn's outcome) are queued and handled in turn, never nested.
    void feed(Input input);
    void carryOut(Action& action);
    void spawn(const action::Spawn& spawn);
    void signal(const action::Signal& signal);
    void drain(const action::Drain& drain);
    void startBackoff(const action::StartBackoff& backoff);
    void startGrace(const action::StartGrace& grace);
    void updateTargets();
    void finish();

    void housekeeping();
    bool checkExecListening();
    void sample();
    void emit(Event event);
    void notify();
    double now() const;
    WorkerProcess* live(ProcessId id);

    ClusterConfig m_config;
    int m_listenFd;
    std::uint16_t m_port;
    Clock::time_point m_started;
    boost::asio::io_context m_io;
    Supervisor m_supervisor;
    Dispatcher m_dispatcher;
    SnapshotBuilder m_snapshots;
    SpawnFaults m_spawnFaults;
    std::map<ProcessId, std::shared_ptr<WorkerProcess>> m_live;
    std::map<int, boost::asio::steady_timer> m_backoffTimers;
    boost::asio::steady_timer m_graceTimer;
    boost::asio::steady_timer m_housekeepingTimer;
    boost::asio::steady_timer m_sampleTimer;
    std::deque<Input> m_inputs;
    bool m_feeding = false;
    bool m_finished = false;
    Clock::time_point m_lastSample;

    mutable std::mutex m_mutex; // guards the two below
    std::shared_ptr<const Snapshot> m_snapshot;
    std::deque<Event> m_events;
    std::function<void()> m_notifier;
    bool m_notifyScheduled = false;
};

} // namespace cs
