#include "metrics/procstat.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <span>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace cs {

namespace {

// A machine with more cores than this is not what a `cpuN` index means; guards against a
// corrupt line making us allocate a huge vector.
constexpr std::uint64_t kMaxCores = 1u << 14;

// Splits off the next whitespace-separated token; empty when the text is used up.
std::string_view nextToken(std::string_view& text) noexcept
{
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos) {
        text = {};
        return {};
    }
    text.remove_prefix(begin);
    const auto end = std::min(text.find_first_of(" \t"), text.size());
    const std::string_view token = text.substr(0, end);
    text.remove_prefix(end);
    return token;
}

template<typename Int>
bool toNumber(std::string_view token, Int& out) noexcept
{
    if (token.empty())
        return false;
    const char* last = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), last, out);
    return ec == std::errc {} && ptr == last;
}

} // namespace

std::vector<CpuTimes> parseProcStat(std::string_view text)
{
    std::vector<CpuTimes> cores;
    while (!text.empty()) {
        const auto eol = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(std::min(eol + 1, text.size()));

        std::string_view label = nextToken(line);
        if (label.size() < 4 || label.substr(0, 3) != "cpu")
            continue; // the aggregate `cpu` line and every other kind of line
        std::uint64_t index = 0;
        if (!toNumber(label.substr(3), index) || index >= kMaxCores)
            continue;

        // Kernels before 2.6 stop after idle; later fields (guest, guest_nice) are already
        // inside user and nice, so they are read past and not added.
        std::array<std::uint64_t, 8> fields {};
        int parsed = 0;
        bool ok = true;
        for (std::string_view token = nextToken(line); !token.empty() && parsed < 8; token = nextToken(line)) {
            if (!toNumber(token, fields[parsed])) {
                ok = false;
                break;
            }
            ++parsed;
        }
        if (!ok || parsed < 4)
            continue; // truncated or garbled: skip the line, never guess

        CpuTimes times;
        times.user = fields[0];
        times.nice = fields[1];
        times.system = fields[2];
        times.idle = fields[3];
        times.iowait = fields[4];
        times.irq = fields[5];
        times.softirq = fields[6];
        times.steal = fields[7];

        // The vector index is the core number: an offline core leaves an all-zero gap, so
        // the cores after it still line up with their previous readings.
        if (index >= cores.size())
            cores.resize(index + 1);
        cores[index] = times;
    }
    return cores;
}

std::optional<ProcessStat> parseProcPidStat(std::string_view text)
{
    // "pid (comm) state ppid ...": comm is free text, so find its end from the right.
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;

    ProcessStat stat;
    std::string_view head = text.substr(0, open);
    if (!toNumber(nextToken(head), stat.pid))
        return std::nullopt;

    // Field numbers follow proc(5): 3 is state, right after the command name.
    std::string_view rest = text.substr(close + 1);
    if (const auto eol = rest.find('\n'); eol != std::string_view::npos)
        rest = rest.substr(0, eol);
    int field = 3;
    bool haveRss = false;
    for (std::string_view token = nextToken(rest); !token.empty(); token = nextToken(rest), ++field) {
        bool ok = true;
        switch (field) {
        case 3:
            ok = token.size() == 1;
            stat.state = token.front();
            break;
        case 14:
            ok = toNumber(token, stat.utimeTicks);
            break;
        case 15:
            ok = toNumber(token, stat.stimeTicks);
            break;
        case 22:
            ok = toNumber(token, stat.startTimeTicks);
            break;
        case 24:
            ok = toNumber(token, stat.rssPages);
            haveRss = ok;
            break;
        case 39:
            ok = toNumber(token, stat.processor);
            break;
        default:
            break;
        }
        if (!ok)
            return std::nullopt;
        if (field == 39)
            break;
    }
    // Everything up to rss is required; `processor` is a nice-to-have (-1 when absent).
    if (!haveRss)
        return std::nullopt;
    return stat;
}

std::vector<double> CpuUsageComputer::update(const std::vector<CpuTimes>& now)
{
    std::vector<double> busy(now.size(), 0.0);
    for (std::size_t i = 0; i < now.size() && i < m_previous.size(); ++i) {
        const CpuTimes& a = m_previous[i];
        const CpuTimes& b = now[i];
        const bool backwards = b.user < a.user || b.nice < a.nice || b.system < a.system || b.idle < a.idle
            || b.iowait < a.iowait || b.irq < a.irq || b.softirq < a.softirq || b.steal < a.steal;
        if (backwards)
            continue;
        const std::uint64_t dTotal = b.total() - a.total();
        const std::uint64_t dIdle = b.idleAll() - a.idleAll();
        if (dTotal == 0)
            continue;
        const double percent = 100.0 * static_cast<double>(dTotal - dIdle) / static_cast<double>(dTotal);
        busy[i] = std::clamp(percent, 0.0, 100.0);
    }
    m_previous = now;
    return busy;
}

double processCpuPercent(std::uint64_t ticksBefore, std::uint64_t ticksNow, double elapsedSeconds,
                         long ticksPerSecond) noexcept
{
    if (!(elapsedSeconds > 0.0) || ticksPerSecond <= 0 || ticksNow < ticksBefore)
        return 0.0;
    const double seconds = static_cast<double>(ticksNow - ticksBefore) / static_cast<double>(ticksPerSecond);
    return 100.0 * seconds / elapsedSeconds;
}

std::optional<std::string> readSmallFile(const std::string& path)
{
    // /proc files report a size of 0, so read until end of file instead of trusting stat().
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::string content;
    std::array<char, 4096> buffer;
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n > 0) {
            content.append(buffer.data(), static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            ::close(fd);
            return std::nullopt;
        }
    }
    ::close(fd);
    return content;
}

namespace {

/// A small /proc file read whole from its start: its length, or -1 when it could not be read
/// or did not fit (a read that fills the buffer may have more behind it).
ssize_t readWhole(int fd, std::span<char> buffer)
{
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = ::pread(fd, buffer.data(), buffer.size(), 0);
    while (n < 0 && errno == EINTR);
    return n <= 0 || static_cast<std::size_t>(n) == buffer.size() ? -1 : n;
}

} // namespace

ProcStatFile::ProcStatFile(int pid, bool runTime)
    : m_fd(::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC))
    , m_schedFd(runTime ? ::open(("/proc/" + std::to_string(pid) + "/schedstat").c_str(), O_RDONLY | O_CLOEXEC) : -1)
{
}

ProcStatFile::~ProcStatFile()
{
    for (int fd : { m_fd, m_schedFd })
        if (fd >= 0)
            ::close(fd);
}

std::optional<std::uint64_t> ProcStatFile::runNanos() const
{
    std::array<char, 128> buffer;
    const ssize_t n = readWhole(m_schedFd, buffer);
    std::uint64_t nanos = 0;
    if (n < 0 || std::from_chars(buffer.data(), buffer.data() + n, nanos).ec != std::errc())
        return std::nullopt;
    return nanos;
}

std::optional<ProcessStat> ProcStatFile::read() const
{
    // The line is a few hundred bytes.
    std::array<char, 2048> buffer;
    const ssize_t n = readWhole(m_fd, buffer);
    if (n < 0)
        return std::nullopt;
    return parseProcPidStat(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
}

} // namespace cs
