#pragma once

#include "control/protocol.h"
#include "master/snapshot.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cs::control {

/// One connection to a master's control socket, a line at a time: what `clusterscope ctl` and
/// an attached window both speak through.
class Connection {
public:
    Connection() = default;
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects and reads the master's hello. Empty when done, else why not (as a phrase, for
    /// the caller's sentence). Only a socket this user, root or the clusterscope group's
    /// service could have made, and no other user could have replaced, is opened: anyone else's
    /// could pose as the cluster and take the commands meant for it.
    std::string open(const std::string& path);
    /// Writes a whole line; false when the connection is gone. Not thread-safe.
    bool send(const std::string& line);
    /// The next line, without its newline; nullopt when the master closed the connection, the
    /// deadline passed (negative: no deadline), or `wakeFd` (if given) became readable.
    std::optional<std::string> readLine(std::chrono::milliseconds deadline, int wakeFd = -1);
    void close();
    std::string helloName() const { return m_helloName; }
    int helloPid() const { return m_helloPid; }

private:
    int m_fd = -1;
    std::string m_buffer;
    std::string m_helloName;
    int m_helloPid = 0;
};

/// A cluster whose control socket answers here.
struct RunningCluster {
    std::string name;
    std::string path; ///< its control socket
};
/// Every control socket this user may see: theirs ($XDG_RUNTIME_DIR/clusterscope) and the
/// services' (/run/clusterscope/NAME/), by name. Sockets are listed, not yet opened.
std::vector<RunningCluster> findClusterSockets();

/// The snapshot a master sent (the headless --json object) as a Snapshot, for a viewer that
/// attached. What the line does not carry stays at its default; the interval's latency
/// histogram is not sent, so a request in the interval (its p50 known) is marked by one
/// sample, enough for "measured" versus "no request". nullopt when it is not a snapshot.
std::optional<Snapshot> snapshotFromJson(std::string_view json);
/// An event line's "event" object as an Event; nullopt when it is not one.
std::optional<Event> eventFromJson(std::string_view json);

/// Asks the master at `path` for its snapshot once. nullopt when it cannot be opened, does
/// not answer within `deadline` or answers something else; `why` (if given) then says why.
std::optional<Snapshot> requestStatus(const std::string& path, std::chrono::milliseconds deadline,
                                      std::string* why = nullptr);

/// A viewer of a running master: connects to its control socket, subscribes (the master
/// sends its recent events first, then snapshots and events as they come) and hands what
/// arrives to the callbacks, on a thread of its own. Commands go the other way. Detaching
/// leaves the cluster running.
class ControlClient {
public:
    struct Callbacks {
        std::function<void(std::shared_ptr<const Snapshot>)> snapshot;
        std::function<void(std::vector<Event>)> events;
        std::function<void(std::string)> refused; ///< a command the master refused: its sentence
        std::function<void(std::string)> closed; ///< the master went away (stopped, crashed): why
    };
    ControlClient();
    ~ControlClient(); ///< detaches
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    /// Connects and subscribes; one sentence on failure (nothing runs then).
    std::string attach(const std::string& path, Callbacks callbacks);
    /// Sends a command; false when the connection is gone. Any thread.
    bool send(const Request& request);
    void detach();
    bool attached() const;
    /// The cluster's name, from the master's hello.
    std::string name() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace cs::control
