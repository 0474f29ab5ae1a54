#pragma once

// Helpers shared by the reliability tests: a headless master read through its JSON lines,
// raw sockets for clients that misbehave on purpose, and /proc readings of a process.
#include "testsupport.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs::test {

std::string clusterscopeProgram(); ///< the headless master
std::string loadProgram(); ///< clusterscope-load
std::string fakeWorkerProgram(); ///< cs-fake-worker (CS_FAKE_WORKER, set by ctest)

/// The port from the first JSON snapshot line of a `--headless --json` master; 0 on timeout.
std::uint16_t jsonPort(ChildProcess& master, std::chrono::milliseconds deadline = std::chrono::seconds(10));
/// The last complete JSON line the master printed (empty before the first).
std::string lastJsonLine(ChildProcess& master);
/// Waits for a JSON line in which exactly `count` workers are online, none of them in
/// `exclude`; returns their pids (fewer than `count` on timeout).
std::vector<int> onlineWorkerPids(ChildProcess& master, int count, const std::vector<int>& exclude = {},
                                  std::chrono::milliseconds deadline = std::chrono::seconds(10));
/// How many JSON lines the master has printed so far.
int jsonLineCount(ChildProcess& master);

/// A blocking loopback TCP connection (CLOEXEC, TCP_NODELAY); -1 on failure.
int connectLoopback(std::uint16_t port);
/// Writes everything; false if the peer is gone.
bool sendAll(int fd, std::string_view bytes);
/// Reads until the peer closes (or resets) or the deadline passes. `closed` tells which.
std::string readUntilClose(int fd, std::chrono::milliseconds deadline, bool* closed = nullptr);
/// True when the peer closes (EOF or reset) within the deadline, reading and dropping data.
bool waitPeerClose(int fd, std::chrono::milliseconds deadline);
/// Reads one complete response (header and Content-Length body); nullopt on close/timeout.
std::optional<std::string> readResponse(int fd, std::string& buffer, std::chrono::milliseconds deadline);
/// The status codes of every response at the start of each "HTTP/1.1 " in `text`, in order.
std::vector<int> statusesIn(std::string_view text);

/// /proc readings of another process.
std::vector<int> openFds(int pid);
/// The fds of `pid` without O_CLOEXEC in /proc/PID/fdinfo/N (flags are octal; O_CLOEXEC 02000000).
std::vector<int> fdsWithoutCloexec(int pid);
double cpuSeconds(int pid); ///< utime + stime
std::uint64_t rssBytes(int pid);

} // namespace cs::test
