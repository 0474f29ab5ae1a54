#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cs {

/// A small HTTP endpoint on a thread of its own that serves `GET /metrics` (and HEAD) with
/// whatever `render` returns (the Prometheus text format); `render` runs on that thread.
/// Loopback by default. One request per connection, read by Beast's parser with an 8 KiB
/// head and one 5 s deadline for the whole exchange, so a slow or hostile scraper cannot hold
/// it: other paths get 404, other methods 405, a malformed request 400, an oversized head
/// 431, each with one sentence; nothing thrown leaves the endpoint's thread.
class MetricsServer {
public:
    MetricsServer();
    ~MetricsServer(); ///< stops and joins
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// Binds and starts serving; returns one sentence on failure, empty on success.
    std::string start(const std::string& bindAddress, std::uint16_t port, std::function<std::string()> render);
    void stop();
    std::uint16_t port() const; ///< the real port, also when 0 was asked for

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cs
