#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// CPU numbers (0-based, as the kernel counts them), in the order given, without repeats.
using CpuList = std::vector<int>;

/// The highest CPU number a list may name: the kernel's cpu_set_t holds CPU_SETSIZE of them.
int maxCpuNumber() noexcept;

/// Reads the kernel's list syntax (cpuset(7), /proc/PID/status Cpus_allowed_list, taskset -c):
/// numbers and ascending ranges separated by commas, "0,2-3"; spaces around an item are
/// allowed. The order is kept ("1,0" pins slot 1 to CPU 1 under --pin) and a repeat is
/// dropped. nullopt for anything else: empty, "3-1", "-1", "a", a number over maxCpuNumber().
/// Pure.
std::optional<CpuList> parseCpuList(std::string_view text);

/// The list in the same syntax, consecutive ascending runs as ranges: {0,1,2,5} -> "0-2,5",
/// {1,0} -> "1,0"; "" for an empty list. parseCpuList(formatCpuList(l)) == l.
std::string formatCpuList(const CpuList& cpus);

/// The CPUs slot `slot` (1..N) may run on. Not pinned: `cpus` (empty: no restriction, the
/// worker keeps what it inherits). Pinned: one CPU, the ((slot - 1) mod size)-th of `cpus`,
/// or of `allowed` (the master's own set) when `cpus` is empty; empty when both are. Pure.
CpuList cpusForSlot(bool pin, const CpuList& cpus, const CpuList& allowed, int slot);

/// The CPUs process `pid` (0: this one) may run on, ascending (sched_getaffinity: online
/// ones only); empty when it cannot be read (the process is gone).
CpuList allowedCpus(int pid = 0);

/// How many CPUs this machine has, online or not (CPU numbers run from 0 below it).
int configuredCpuCount();

/// The first problem with running workers on `cpus` here, as one sentence without the flag
/// (the caller names it): a CPU this machine does not have, or one outside `allowed`.
/// nullopt when every CPU can be used.
std::optional<std::string> cpuListProblem(const CpuList& cpus, const CpuList& allowed, int configured);

} // namespace cs
