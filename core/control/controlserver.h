#pragma once

#include "control/protocol.h"
#include "master/snapshot.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cs::control {

/// The master's control socket: a unix stream socket, on a thread of its own, that speaks
/// the JSON lines of protocol.h to local clients (`clusterscope ctl`, a window attaching).
/// Only the same user, root, or a member of the `clusterscope` group may talk to it (checked
/// with SO_PEERCRED on every connection; others get one error line and are logged). A line
/// that is malformed or longer than 4 KiB closes that one client; a client that reads too
/// slowly to keep up is dropped. Neither disturbs the master.
class ControlServer {
public:
    struct Handlers {
        std::function<std::string()> snapshotJson; ///< the latest snapshot, one JSON object
        /// Carries out a scale, restart, stop, kill or reset; empty when done, else one sentence.
        std::function<std::string(const Request&)> command;
        std::function<void(const std::string&)> note; ///< a line for the master's log
    };

    ControlServer();
    ~ControlServer(); ///< stops, joins and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    /// Creates the socket `path` for the cluster `name` (its directory 0700 if it makes it;
    /// the socket 0600, or 0660 with the `clusterscope` group for a system service) and
    /// serves. Snapshots go to subscribers every `interval`. One sentence on failure.
    std::string start(const std::string& name, const std::string& path, Handlers handlers,
                      std::chrono::milliseconds interval);
    /// Events the master published: kept (the last 500, for a late viewer) and sent to the
    /// subscribers. Any thread.
    void publish(const std::vector<Event>& events);
    void stop();
    std::string path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cs::control
