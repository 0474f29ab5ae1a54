#pragma once

#include "master/clusterconfig.h"

#include <string>
#include <string_view>
#include <variant>

namespace cs {

/// A cluster definition saved as JSON or TOML (chosen by the file name's ending):
///
///     program = "node"              # absent or "": the built-in worker
///     args = ["server.js"]
///     cwd = "/srv/app"
///     env = { NODE_ENV = "production" }
///     workers = 4
///     policy = "shared"
///     port = 8000
///     bind = "127.0.0.1"
///     chaos = false
///     pin = false                   # each worker on one CPU (--pin)
///     cpus = "0,2-3"                # or [0, 2, 3]; "" or absent: all (--cpus)
///     grace_ms = 10000
///     heartbeat_ms = 5000
///     memory_limit_mb = 0
///     [restart]
///     limit = 5
///     window_ms = 30000
///     backoff_initial_ms = 100
///     backoff_max_ms = 8000
///     stable_after_ms = 10000
///
/// JSON has the same keys, `restart` being an object. Keys not in the file keep the values
/// of `base`.

struct ConfigError {
    std::string message; ///< "FILE:LINE: what is wrong with which key; what to do"
};

/// Parses `text` (from `fileName`, which also picks the format) over `base`.
std::variant<ClusterConfig, ConfigError> parseConfig(std::string_view text, const std::string& fileName,
                                                     const ClusterConfig& base = {});
/// Reads and parses a file. A path that is not a readable regular file (missing, a directory,
/// a FIFO or device, unreadable) is a ConfigError saying which.
std::variant<ClusterConfig, ConfigError> loadConfigFile(const std::string& path, const ClusterConfig& base = {});

/// Writes `config` in the format the file name asks for (.json, else TOML).
std::string formatConfig(const ClusterConfig& config, const std::string& fileName);
/// Saves; returns one sentence on failure, empty on success.
std::string saveConfigFile(const ClusterConfig& config, const std::string& path);

} // namespace cs
