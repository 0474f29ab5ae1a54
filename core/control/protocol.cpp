#include "control/protocol.h"

#include "settings/settingtable.h"

#include <boost/json.hpp>

#include <cstdlib>
#include <limits>

#include <unistd.h>

namespace cs::control {
namespace json = boost::json;
namespace {

template<typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template<typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

/// A whole number in [min, max] under `key`, or nullopt.
std::optional<std::int64_t> integer(const json::object& object, std::string_view key, std::int64_t min, std::int64_t max)
{
    const json::value* value = object.if_contains(key);
    if (!value)
        return std::nullopt;
    std::int64_t number = 0;
    if (value->is_int64())
        number = value->get_int64();
    else if (value->is_uint64() && value->get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        number = std::int64_t(value->get_uint64());
    else
        return std::nullopt;
    if (number < min || number > max)
        return std::nullopt;
    return number;
}

std::string line(json::object object)
{
    object.emplace("v", kVersion);
    // "v" first reads better; Boost.JSON keeps insertion order, so rebuild with it in front.
    json::object ordered;
    ordered.emplace("v", kVersion);
    for (auto& [key, value] : object)
        if (key != "v")
            ordered.emplace(key, std::move(value));
    return json::serialize(ordered) + "\n";
}

} // namespace

std::variant<Request, std::string> decodeRequest(std::string_view text)
{
    if (text.size() > kMaxLineBytes)
        return std::string("The request is longer than 4096 bytes.");
    json::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object())
        return std::string("The request is not a JSON object on one line.");
    const json::object& object = value.get_object();
    const auto version = integer(object, "v", 0, 1000);
    if (!version)
        return std::string("The request has no version; send \"v\":1.");
    if (*version != kVersion)
        return "Version " + std::to_string(*version) + " is not spoken here; send \"v\":1.";
    const json::value* cmd = object.if_contains("cmd");
    if (!cmd || !cmd->is_string())
        return std::string("The request names no command (\"cmd\").");
    const std::string_view name = cmd->get_string();
    if (name == "status")
        return Request { request::Status {} };
    if (name == "subscribe")
        return Request { request::Subscribe {} };
    if (name == "logs") {
        const json::value* follow = object.if_contains("follow");
        if (follow && !follow->is_bool())
            return std::string("\"follow\" is true or false.");
        return Request { request::Logs { follow && follow->get_bool() } };
    }
    if (name == "restart")
        return Request { request::Restart {} };
    if (name == "stop")
        return Request { request::Stop {} };
    if (name == "scale") {
        constexpr const Setting& range = setting(Program::Clusterscope, "--workers");
        const auto workers = integer(object, "workers", std::int64_t(range.minimum), std::int64_t(range.maximum));
        if (!workers)
            return "\"workers\" is a whole number from " + std::to_string(int(range.minimum)) + " to "
                + std::to_string(int(range.maximum)) + ".";
        return Request { request::Scale { int(*workers) } };
    }
    if (name == "kill") {
        const auto slot = integer(object, "slot", 1, 1000000);
        if (!slot)
            return std::string("\"slot\" is a worker slot number, 1 or more.");
        std::int64_t signal = 15;
        if (object.if_contains("signal")) {
            const auto given = integer(object, "signal", 1, 64);
            if (!given)
                return std::string("\"signal\" is a signal number from 1 to 64.");
            signal = *given;
        }
        return Request { request::Kill { int(*slot), int(signal) } };
    }
    if (name == "reset") {
        std::int64_t slot = 0;
        if (object.if_contains("slot")) {
            const auto given = integer(object, "slot", 1, 1000000);
            if (!given)
                return std::string("\"slot\" is a worker slot number, 1 or more (none: every failed slot).");
            slot = *given;
        }
        return Request { request::Reset { int(slot) } };
    }
    return "No command \"" + std::string(name.substr(0, 40)) + "\"; the commands are status, subscribe, logs, scale, restart, kill, reset and stop.";
}

std::string encodeRequest(const Request& request)
{
    json::object o;
    std::visit(Overloaded {
                   [&](const request::Status&) { o.emplace("cmd", "status"); },
                   [&](const request::Subscribe&) { o.emplace("cmd", "subscribe"); },
                   [&](const request::Logs& r) {
                       o.emplace("cmd", "logs");
                       o.emplace("follow", r.follow);
                   },
                   [&](const request::Scale& r) {
                       o.emplace("cmd", "scale");
                       o.emplace("workers", r.workers);
                   },
                   [&](const request::Restart&) { o.emplace("cmd", "restart"); },
                   [&](const request::Stop&) { o.emplace("cmd", "stop"); },
                   [&](const request::Kill& r) {
                       o.emplace("cmd", "kill");
                       o.emplace("slot", r.slot);
                       o.emplace("signal", r.signal);
                   },
                   [&](const request::Reset& r) {
                       o.emplace("cmd", "reset");
                       if (r.slot > 0)
                           o.emplace("slot", r.slot);
                   },
               },
               request);
    return line(std::move(o));
}

std::string helloLine(const std::string& name, int pid)
{
    return line({ { "type", "hello" }, { "name", name }, { "pid", pid } });
}

std::string okLine()
{
    return line({ { "type", "ok" } });
}

std::string errorLine(std::string_view message)
{
    return line({ { "type", "error" }, { "message", message } });
}

std::string eventLine(const Event& e)
{
    json::object event {
        { "kind", eventKindName(e.kind) },
        { "time", e.time },
        { "slot", e.slot },
        { "pid", e.pid },
        { "message", e.message },
    };
    if (e.kind == EventKind::Exit) {
        event.emplace("reason", exitReasonName(e.reason));
        event.emplace("exitCode", e.exitCode);
        event.emplace("signal", e.signal);
    }
    if (e.kind == EventKind::Restart)
        event.emplace("delayMs", e.delayMs);
    if (e.kind == EventKind::Scaled)
        event.emplace("workers", e.workers);
    if (e.kind == EventKind::Stopped)
        event.emplace("exitCode", e.exitCode);
    if (e.kind == EventKind::Log)
        event.emplace("stream", e.stream == LogStream::Stdout ? "stdout" : e.stream == LogStream::Stderr ? "stderr" : "master");
    return line({ { "type", "event" }, { "event", std::move(event) } });
}

std::string snapshotLine(std::string_view snapshotJson)
{
    // The snapshot's own writer already made it JSON: spliced in as it is.
    std::string out = "{\"v\":" + std::to_string(kVersion) + ",\"type\":\"snapshot\",\"snapshot\":";
    out += snapshotJson;
    out += "}\n";
    return out;
}

std::string socketDirectory()
{
    if (const char* runtime = std::getenv("RUNTIME_DIRECTORY"); runtime && *runtime == '/')
        return std::string(runtime).substr(0, std::string(runtime).find(':')); // several: the first
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg == '/')
        return std::string(xdg) + "/clusterscope";
    return "/tmp/clusterscope-" + std::to_string(::getuid());
}

std::string socketPath(const std::string& name)
{
    return socketDirectory() + "/" + name + ".sock";
}

} // namespace cs::control
