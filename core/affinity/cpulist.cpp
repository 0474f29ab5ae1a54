#include "affinity/cpulist.h"

#include <algorithm>
#include <charconv>

#include <sched.h>
#include <unistd.h>

namespace cs {

namespace {

std::string_view trimmed(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// All of `text` a decimal CPU number; -1 otherwise.
int cpuNumber(std::string_view text)
{
    int value = -1;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc {} || ptr != end || value < 0 || value > maxCpuNumber())
        return -1;
    return value;
}

} // namespace

int maxCpuNumber() noexcept
{
    return CPU_SETSIZE - 1;
}

std::optional<CpuList> parseCpuList(std::string_view text)
{
    CpuList cpus;
    const auto add = [&cpus](int cpu) {
        if (std::find(cpus.begin(), cpus.end(), cpu) == cpus.end())
            cpus.push_back(cpu);
    };
    while (true) {
        const auto comma = text.find(',');
        const std::string_view item = trimmed(text.substr(0, comma));
        if (item.empty())
            return std::nullopt; // "", "0,", ",1", "0,,1"
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) {
            const int cpu = cpuNumber(item);
            if (cpu < 0)
                return std::nullopt;
            add(cpu);
        } else {
            const int first = cpuNumber(item.substr(0, dash));
            const int last = cpuNumber(item.substr(dash + 1));
            if (first < 0 || last < first)
                return std::nullopt;
            for (int cpu = first; cpu <= last; ++cpu)
                add(cpu);
        }
        if (comma == std::string_view::npos)
            return cpus;
        text.remove_prefix(comma + 1);
    }
}

std::string formatCpuList(const CpuList& cpus)
{
    std::string text;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t end = i;
        while (end + 1 < cpus.size() && cpus[end + 1] == cpus[end] + 1)
            ++end;
        if (!text.empty())
            text += ',';
        text += std::to_string(cpus[i]);
        if (end > i)
            text += '-' + std::to_string(cpus[end]);
        i = end + 1;
    }
    return text;
}

CpuList cpusForSlot(bool pin, const CpuList& cpus, const CpuList& allowed, int slot)
{
    if (!pin)
        return cpus;
    const CpuList& from = cpus.empty() ? allowed : cpus;
    if (from.empty())
        return {};
    const auto n = static_cast<int>(from.size());
    const int index = ((std::max(slot, 1) - 1) % n + n) % n;
    return { from[static_cast<std::size_t>(index)] };
}

CpuList allowedCpus(int pid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(pid, sizeof(set), &set) != 0)
        return {};
    CpuList cpus;
    const auto count = static_cast<std::size_t>(CPU_COUNT(&set)); // stop there, not at CPU 1023
    for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < count; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

int configuredCpuCount()
{
    const long count = ::sysconf(_SC_NPROCESSORS_CONF);
    return count > 0 ? static_cast<int>(std::min<long>(count, CPU_SETSIZE)) : 1;
}

std::optional<std::string> cpuListProblem(const CpuList& cpus, const CpuList& allowed, int configured)
{
    for (const int cpu : cpus) {
        if (cpu >= configured)
            return "CPU " + std::to_string(cpu) + " does not exist on this machine, which has "
                + (configured == 1 ? std::string("only CPU 0") : "CPUs 0-" + std::to_string(configured - 1))
                + "; choose from " + formatCpuList(allowed) + ".";
        if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end())
            return "CPU " + std::to_string(cpu) + " is offline or outside the CPUs this program may use ("
                + formatCpuList(allowed) + ", set by taskset or a cgroup); choose from those.";
    }
    return std::nullopt;
}

} // namespace cs
