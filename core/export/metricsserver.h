#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cs {

/// A small HTTP endpoint on a thread of its own that serves `GET /metrics` with whatever
/// `render` returns (the Prometheus text format). Loopback by default. Anything else gets
/// 404; requests are read with a size and time limit, so a slow or hostile scraper cannot
/// hold it.
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
