#pragma once

#include "ipc/message.h"
#include "master/logsplitter.h"
#include "master/snapshot.h"
#include "master/spawner.h"
#include "metrics/procstat.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cs {

class WorkerProcess;

/// What a running worker process tells the master.
class ProcessEvents {
public:
    virtual ~ProcessEvents() = default;
    virtual void onMessage(WorkerProcess& process, const ipc::Message& message) = 0;
    /// The channel broke (closed, garbage, oversized); `why` completes "worker 3 ...".
    virtual void onChannelBroken(WorkerProcess& process, std::string why) = 0;
    virtual void onLogLine(WorkerProcess& process, LogStream stream, std::string line) = 0;
    virtual void onExit(WorkerProcess& process, int waitStatus) = 0;
};

/// The descriptors of one running worker and the asynchronous reading of them: its exit
/// (pidfd), its channel (built-in worker) and its stdout/stderr. No decisions here: what it
/// sees goes to ProcessEvents. Master thread only.
class WorkerProcess : public std::enable_shared_from_this<WorkerProcess> {
public:
    using Clock = std::chrono::steady_clock;

    /// Takes ownership of the spawned process's descriptors.
    WorkerProcess(boost::asio::io_context& io, std::uint64_t id, int slot, const SpawnedProcess& spawned,
                  ProcessEvents& events);
    ~WorkerProcess();

    /// Registers the descriptors with the loop and starts reading; an error sentence when the
    /// loop refused one (the caller then kills the process).
    std::string watch();
    /// Sends a signal through the pidfd (never to a recycled pid); 0 or an errno.
    int signal(int signal);
    /// Asks it to finish its requests and exit: a Drain message, else SIGTERM.
    void drain(int graceMs);
    /// The master's end of its channel; -1 for programs we did not write.
    int channel() { return m_hasChannel ? m_channel.native_handle() : -1; }

    std::uint64_t id() const { return m_id; }
    int slot() const { return m_slot; }
    int pid() const { return m_pid; }
    bool exited() const { return m_exited; }
    Clock::time_point started() const { return m_started; }
    Clock::time_point lastHeard() const { return m_lastHeard; }
    const ipc::Telemetry& telemetry() const { return m_telemetry; }
    std::uint64_t handedOff() const { return m_handedOff; }
    void countHandOff(std::uint64_t connections = 1) { m_handedOff += connections; }
    /// Its /proc/PID/stat for a snapshot taken at `now`; nullopt once it has exited.
    /// Reading that line costs the kernel 3-12 us, and at 256 resting workers those reads
    /// were a third of the master's CPU at rest. So for a built-in worker (one thread) the
    /// kernel's run time (schedstat, cheaper) is read first: when it ran less than
    /// kRestRun since the stat was last read, and that was less than kStatReuse ago and
    /// after its first message, that reading stands. Its CPU time then differs by less than
    /// kRestRun, below the resolution of the stat line's 10 ms ticks.
    std::optional<ProcessStat> sampleStat(Clock::time_point now);
    static constexpr std::uint64_t kRestRun = 2'000'000; // ns
    static constexpr auto kStatReuse = std::chrono::seconds(5);

private:
    void watchExit();
    void readChannel();
    void channelEnded();
    bool receive(std::span<std::byte> buffer); ///< false when reading must stop
    void readLog(LogStream stream);
    void close();
    void closeControl(); ///< pidfd, channel, timer: all but the output still to read

    boost::asio::posix::stream_descriptor& streamOf(LogStream stream) { return stream == LogStream::Stderr ? m_err : m_out; }

    std::uint64_t m_id;
    int m_slot;
    int m_pid;
    bool m_hasChannel;
    bool m_exited = false;
    ProcessEvents& m_events;
    int m_fds[4]; // pidfd, channel, out, err until watch() hands them to the loop
    boost::asio::posix::stream_descriptor m_pidfd;
    boost::asio::posix::stream_descriptor m_channel;
    boost::asio::posix::stream_descriptor m_out;
    boost::asio::posix::stream_descriptor m_err;
    boost::asio::steady_timer m_eofTimer;
    std::array<char, 4096> m_outBuffer {};
    std::array<char, 4096> m_errBuffer {};
    LogSplitter m_outLines;
    LogSplitter m_errLines;
    Clock::time_point m_started;
    Clock::time_point m_lastHeard;
    ipc::Telemetry m_telemetry;
    std::uint64_t m_handedOff = 0;
    ProcStatFile m_stat;
    Clock::time_point m_firstHeard = Clock::time_point::max(); ///< its first message (Ready)
    std::optional<ProcessStat> m_lastStat;
    Clock::time_point m_statReadAt;
    std::optional<std::uint64_t> m_statRunNanos; ///< its run time when m_lastStat was read
};

} // namespace cs
