#include "worker/workeroptions.h"

#include <charconv>
#include <optional>

namespace cs::worker {
namespace {

template <typename T>
std::optional<T> parseNumber(const std::string& text, T min, T max)
{
    T value {};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max)
        return std::nullopt;
    return value;
}

} // namespace

const char* workerUsage()
{
    return "usage: clusterscope-worker --slot N [--chaos] [--mode handoff|shared|reuseport]\n"
           "                          [--bind ADDR] [--port N] [--header-timeout-ms 10000]\n"
           "                          [--idle-timeout-ms 30000] [--body-timeout-ms 30000]\n"
           "                          [--max-connections 10000] [--max-body-bytes 1048576]\n"
           "environment: CLUSTERSCOPE_WORKER_ID (slot), CLUSTERSCOPE_IPC_FD (channel to the master),\n"
           "             CLUSTERSCOPE_LISTEN_FD (inherited listener, mode shared)\n";
}

ParsedOptions parseWorkerOptions(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env)
{
    ParsedOptions result;
    WorkerOptions& o = result.options;
    auto fail = [&result](std::string message) {
        result.error = std::move(message);
        return result;
    };

    bool modeGiven = false;
    if (auto it = env.find("CLUSTERSCOPE_WORKER_ID"); it != env.end() && !it->second.empty()) {
        auto slot = parseNumber<int>(it->second, 0, 1000000);
        if (!slot)
            return fail("CLUSTERSCOPE_WORKER_ID must be a slot number, not \"" + it->second + "\".");
        o.slot = *slot;
    }
    if (auto it = env.find("CLUSTERSCOPE_IPC_FD"); it != env.end() && !it->second.empty()) {
        auto fd = parseNumber<int>(it->second, 0, 1 << 20);
        if (!fd)
            return fail("CLUSTERSCOPE_IPC_FD must be a file descriptor number, not \"" + it->second + "\".");
        o.ipcFd = *fd;
    }
    if (auto it = env.find("CLUSTERSCOPE_LISTEN_FD"); it != env.end() && !it->second.empty()) {
        auto fd = parseNumber<int>(it->second, 0, 1 << 20);
        if (!fd)
            return fail("CLUSTERSCOPE_LISTEN_FD must be a file descriptor number, not \"" + it->second + "\".");
        o.listenFd = *fd;
    }

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--help" || flag == "-h") {
            o.help = true;
            return result;
        }
        if (flag == "--chaos") {
            o.chaos = true;
            continue;
        }
        if (i + 1 >= args.size())
            return fail("Option " + flag + " is unknown or lacks its value; see --help.");
        const std::string& value = args[++i];
        auto bad = [&](const char* what) { return fail("Option " + flag + " needs " + what + ", not \"" + value + "\"."); };
        if (flag == "--slot") {
            auto v = parseNumber<int>(value, 0, 1000000);
            if (!v)
                return bad("a slot number from 0 to 1000000");
            o.slot = *v;
        } else if (flag == "--mode") {
            if (value == "handoff")
                o.mode = AcceptMode::Handoff;
            else if (value == "shared")
                o.mode = AcceptMode::Shared;
            else if (value == "reuseport")
                o.mode = AcceptMode::ReusePort;
            else
                return bad("one of handoff, shared or reuseport");
            modeGiven = true;
        } else if (flag == "--bind") {
            if (value.empty())
                return bad("an IP address");
            o.bindAddress = value;
        } else if (flag == "--port") {
            auto v = parseNumber<std::uint32_t>(value, 0, 65535);
            if (!v)
                return bad("a port from 0 to 65535");
            o.port = static_cast<std::uint16_t>(*v);
        } else if (flag == "--header-timeout-ms") {
            auto v = parseNumber<std::uint32_t>(value, 1, 3600000);
            if (!v)
                return bad("milliseconds from 1 to 3600000");
            o.headerTimeoutMs = *v;
        } else if (flag == "--idle-timeout-ms") {
            auto v = parseNumber<std::uint32_t>(value, 1, 3600000);
            if (!v)
                return bad("milliseconds from 1 to 3600000");
            o.idleTimeoutMs = *v;
        } else if (flag == "--body-timeout-ms") {
            auto v = parseNumber<std::uint32_t>(value, 1, 3600000);
            if (!v)
                return bad("milliseconds from 1 to 3600000");
            o.bodyTimeoutMs = *v;
        } else if (flag == "--max-connections") {
            auto v = parseNumber<std::uint32_t>(value, 1, 10000000);
            if (!v)
                return bad("a count from 1 to 10000000");
            o.maxConnections = *v;
        } else if (flag == "--max-body-bytes") {
            auto v = parseNumber<std::uint64_t>(value, 0, std::uint64_t(1) << 40);
            if (!v)
                return bad("a byte count");
            o.maxBodyBytes = *v;
        } else {
            return fail("Option " + flag + " is unknown; see --help.");
        }
    }

    // Without a channel there is no master to hand connections over, so the worker binds its own.
    if (!modeGiven)
        o.mode = o.ipcFd >= 0 ? AcceptMode::Handoff : AcceptMode::ReusePort;
    if (o.mode == AcceptMode::Handoff && o.ipcFd < 0)
        return fail("Mode handoff needs the master's channel (CLUSTERSCOPE_IPC_FD); run standalone with --mode reuseport.");
    if (o.mode == AcceptMode::Shared && o.listenFd < 0)
        return fail("Mode shared needs the inherited listening socket in CLUSTERSCOPE_LISTEN_FD.");
    if (o.mode == AcceptMode::ReusePort && o.port == 0 && o.ipcFd >= 0)
        return fail("Mode reuseport under a master needs a fixed --port, since every worker must bind the same one.");
    return result;
}

} // namespace cs::worker
