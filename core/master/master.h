#pragma once

#include "master/clusterconfig.h"
#include "master/snapshot.h"
#include "metrics/procstat.h"
#include "scheduling/scheduler.h"
#include "supervision/restarttracker.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cs {

/// The master's state and event loop. Everything here runs on the master thread, except
/// the few members documented as thread-safe (snapshot, events, post). Private to core;
/// the rest of a program uses the Cluster façade.
class Master {
public:
    using Clock = std::chrono::steady_clock;

    /// Takes ownership of the bound (and, when the master accepts or shares it, listening) socket.
    Master(ClusterConfig config, int listenFd, std::uint16_t port);
    ~Master();

    /// Forks the workers and runs the loop until the cluster has stopped. Master thread only.
    void run();

    /// Thread-safe: runs `task` on the master thread.
    void post(std::function<void()> task);
    std::shared_ptr<const Snapshot> snapshot() const;
    std::vector<Event> takeEvents();
    void setNotifier(std::function<void()> notifier) { m_notifier = std::move(notifier); }

    // Commands; master thread only (the façade posts them).
    void stop(bool fast);
    void scale(int workers);
    void scaleBy(int delta); ///< relative to the slots still wanted
    void signalWorker(int slot, int signal);
    void crashWorker(int slot);
    void rollingRestart();
    void resetSlot(int slot);
    void resetFailedSlots();

private:
    enum class Role { Current, Incoming, Retiring };
    struct Process;
    struct Slot;
    using ProcessPtr = std::shared_ptr<Process>;

    // Processes
    void spawn(Slot& slot, Role role);
    void watchExit(const ProcessPtr& process);
    void readChannel(const ProcessPtr& process);
    void readLog(const ProcessPtr& process, bool errorStream);
    void onMessage(const ProcessPtr& process, std::span<const std::byte> packet, int fd);
    void onServing(const ProcessPtr& process);
    void checkExecListening();
    void onExit(const ProcessPtr& process, int status);
    void kill(Process& process, int signal, ExitReason reason);
    void drain(Process& process);
    /// An unexpected exit: respawn now, after a back-off, or mark the slot failed.
    void scheduleRespawn(Slot& slot, std::chrono::milliseconds uptime);
    void continueRollingRestart();

    // Connections (round-robin, least-connections)
    void armAccept();
    void onAcceptable();
    bool handOff(int fd);
    void flushPending();
    bool anyReady() const;

    // Time
    void housekeeping();
    void sample();
    void finishIfDone();
    void emit(Event event);
    void notify();
    double now() const;

    Slot* findSlot(int id);
    Process* currentOf(const Slot& slot) const;
    bool serving(const Process& process) const;

    ClusterConfig m_config;
    int m_listenFd;
    std::uint16_t m_port;
    Clock::time_point m_started;
    boost::asio::io_context m_io;
    boost::asio::posix::stream_descriptor m_listener;
    boost::asio::steady_timer m_housekeepingTimer;
    boost::asio::steady_timer m_sampleTimer;
    boost::asio::steady_timer m_stopTimer;
    bool m_acceptArmed = false;
    bool m_stopping = false;
    bool m_fastStopping = false;
    bool m_finished = false;
    int m_stopExitCode = 0;

    std::vector<std::unique_ptr<Slot>> m_slots; // ordered by slot id
    std::vector<ProcessPtr> m_processes;
    std::deque<int> m_rollingQueue; // slot ids still to restart
    bool m_rollingActive = false;
    std::deque<int> m_pending; // accepted sockets no worker has taken yet
    Scheduler m_scheduler;
    std::vector<Candidate> m_candidates;
    std::vector<Process*> m_candidateProcesses;
    std::vector<std::byte> m_connectionPacket;

    // Sampling
    CpuUsageComputer m_cpuUsage;
    Clock::time_point m_lastSample;
    std::uint64_t m_masterTicks = 0;
    long m_ticksPerSecond;
    long m_pageSize;
    std::uint64_t m_sequence = 0;

    mutable std::mutex m_mutex; // guards the two below
    std::shared_ptr<const Snapshot> m_snapshot;
    std::deque<Event> m_events;
    std::function<void()> m_notifier;
    bool m_notifyScheduled = false;
};

} // namespace cs
