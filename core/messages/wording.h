#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cs {

/// "1 worker", "2 workers", "0 errors": a count and its noun in the right number. `plural`
/// when it is not `singular` + "s" ("process", "processes").
std::string counted(std::uint64_t count, std::string_view singular, std::string_view plural = {});

/// "127.0.0.1:8000", "[::1]:8000": a host and port as a URL writes them (RFC 3986), an IPv6
/// address in brackets. Every host:port the programs print, serve or send goes through here.
std::string hostPort(std::string_view host, unsigned port);
/// "http://[::1]:8000/metrics"; `path` starts with '/'.
std::string httpUrl(std::string_view host, unsigned port, std::string_view path);

/// "4.2s", "3m07s", "2h05m": how long something has run, as the terminal tables show it.
std::string formatUptime(double seconds);

} // namespace cs
