#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// Socket inodes of the TCP sockets listening on `port` in a /proc/net/tcp or tcp6 table.
/// Lines that do not parse are skipped.
std::vector<std::uint64_t> listeningInodes(std::string_view procNetTcp, std::uint16_t port);

/// True when process `pid` holds one of `inodes` among its descriptors (reads /proc/PID/fd).
bool holdsSocket(int pid, const std::vector<std::uint64_t>& inodes);

} // namespace cs
