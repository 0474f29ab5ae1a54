#pragma once

#include "master/snapshot.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cs::control {

/// The control protocol's version: every message carries "v": 1.
constexpr int kVersion = 1;
/// A longer line from a client closes its connection: no command is anywhere near it.
constexpr std::size_t kMaxLineBytes = 4096;

/// What a client asks, one JSON line each:
///   {"v":1,"cmd":"status"}                 one snapshot
///   {"v":1,"cmd":"subscribe"}              the recent events, then snapshots and events live
///   {"v":1,"cmd":"logs","follow":false}    the recent events (and new ones with follow)
///   {"v":1,"cmd":"scale","workers":N}      {"v":1,"cmd":"restart"}   {"v":1,"cmd":"stop"}
///   {"v":1,"cmd":"kill","slot":S,"signal":9}   {"v":1,"cmd":"reset","slot":S}
namespace request {
struct Status { };
struct Subscribe { };
struct Logs {
    bool follow = false;
};
struct Scale {
    int workers = 0;
};
struct Restart { };
struct Stop { };
struct Kill {
    int slot = 0;
    int signal = 15;
};
struct Reset {
    int slot = 0; ///< 0: every failed slot
};
} // namespace request
using Request = std::variant<request::Status, request::Subscribe, request::Logs, request::Scale, request::Restart,
                             request::Stop, request::Kill, request::Reset>;

/// Reads one line; the error is one sentence for the client when it is not a request.
std::variant<Request, std::string> decodeRequest(std::string_view line);
std::string encodeRequest(const Request& request);

/// Lines the master sends: {"v":1,"type":"hello","name":...,"pid":...}, {"v":1,"type":"ok"},
/// {"v":1,"type":"error","message":...}, {"v":1,"type":"event","event":{...}},
/// {"v":1,"type":"snapshot","snapshot":{...}} (the headless --json object).
std::string helloLine(const std::string& name, int pid);
std::string okLine();
std::string errorLine(std::string_view message);
std::string eventLine(const Event& event);
std::string snapshotLine(std::string_view snapshotJson);

/// Where a user's clusters keep their control sockets: $RUNTIME_DIRECTORY (a systemd service's
/// RuntimeDirectory=), else $XDG_RUNTIME_DIR/clusterscope, else /tmp/clusterscope-UID.
std::string socketDirectory();
/// NAME.sock in that directory.
std::string socketPath(const std::string& name);

} // namespace cs::control
