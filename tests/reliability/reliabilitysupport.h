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
