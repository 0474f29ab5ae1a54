#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// Tick counters of one `cpuN` line of /proc/stat.
struct CpuTimes {
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    std::uint64_t idleAll() const noexcept { return idle + iowait; }
    std::uint64_t total() const noexcept { return user + nice + system + idle + iowait + irq + softirq + steal; }
};

/// The per-core lines (`cpu0`, `cpu1`, ...) of /proc/stat, in core order; the aggregate
/// `cpu` line is skipped. Malformed lines are skipped, never fatal.
std::vector<CpuTimes> parseProcStat(std::string_view text);

/// The fields of /proc/PID/stat Clusterscope uses. The command name may hold spaces and
/// parentheses, so parsing starts after the last ')'.
struct ProcessStat {
    int pid = 0;
    char state = '?';
    std::uint64_t utimeTicks = 0;
    std::uint64_t stimeTicks = 0;
    std::uint64_t startTimeTicks = 0;
    std::int64_t rssPages = 0;
    int processor = -1; ///< core the task last ran on
};
std::optional<ProcessStat> parseProcPidStat(std::string_view text);

/// Turns successive /proc/stat readings into busy percentages per core. Copes with
/// counters that go backwards (a core hot-unplugged, a counter reset): that core reads 0
/// for one sample instead of a nonsense value. Cores that appear or vanish are handled.
class CpuUsageComputer {
public:
    /// Returns one busy percentage (0..100) per core of `now`; all 0 on the first call.
    std::vector<double> update(const std::vector<CpuTimes>& now);

private:
    std::vector<CpuTimes> m_previous;
};

/// CPU % of a process between two samples: 100 means one whole core.
double processCpuPercent(std::uint64_t ticksBefore, std::uint64_t ticksNow, double elapsedSeconds,
                         long ticksPerSecond) noexcept;

/// Reads a whole /proc (or any small) file; nullopt when it cannot be opened.
std::optional<std::string> readSmallFile(const std::string& path);

/// A process's /proc/PID/stat, kept open for its life: one pread per sample instead of an
/// open, two reads and a close (at 256 workers those calls were most of a snapshot's cost).
/// Opened while the process exists, it keeps naming that process: a recycled pid is not read.
class ProcStatFile {
public:
    /// `runTime`: also keep /proc/PID/schedstat open, for runNanos() (else it is nullopt).
    explicit ProcStatFile(int pid, bool runTime = true);
    ~ProcStatFile();
    ProcStatFile(const ProcStatFile&) = delete;
    ProcStatFile& operator=(const ProcStatFile&) = delete;

    /// The current figures; nullopt once the process is gone (or the file could not be opened).
    std::optional<ProcessStat> read() const;
    /// How long its main thread has run, in ns (/proc/PID/schedstat: three numbers, a third
    /// of the kernel's cost of the stat line); nullopt once it is gone or where the kernel
    /// does not keep it.
    std::optional<std::uint64_t> runNanos() const;

private:
    int m_fd;
    int m_schedFd;
};

} // namespace cs
