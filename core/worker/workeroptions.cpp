#include "worker/workeroptions.h"

#include "settings/commandline.h"

namespace cs::worker {

std::string workerUsage()
{
    return "Usage: clusterscope-worker [options]\n"
           "\n"
           "The built-in HTTP worker of clusterscope; the master starts it. Standalone it binds its\n"
           "own SO_REUSEPORT socket. Every option with a value also takes the form --option=value.\n"
           "\n"
           "Options:\n"
        + optionsHelp(Program::Worker)
        + "\n"
          "Environment: CLUSTERSCOPE_WORKER_ID (slot), CLUSTERSCOPE_IPC_FD (channel to the master),\n"
          "CLUSTERSCOPE_LISTEN_FD (inherited listener, mode shared).\n";
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

    const std::vector<std::string_view> views(args.begin(), args.end());
    auto read = readCommandLine(Program::Worker, views);
    if (auto* error = std::get_if<std::string>(&read))
        return fail(std::move(*error));
    const CommandLine& line = std::get<CommandLine>(read);
    o.help = line.help;
    o.version = line.version;
    if (o.help || o.version)
        return result;

    constexpr const Setting& kSlot = setting(Program::Worker, "--slot");
    if (auto it = env.find("CLUSTERSCOPE_WORKER_ID"); it != env.end() && !it->second.empty()) {
        auto slot = parseInteger(it->second, static_cast<std::int64_t>(kSlot.minimum),
                                 static_cast<std::int64_t>(kSlot.maximum));
        if (!slot)
            return fail("CLUSTERSCOPE_WORKER_ID must be a slot number, not \"" + it->second + "\".");
        o.slot = static_cast<int>(*slot);
    }
    if (auto it = env.find("CLUSTERSCOPE_IPC_FD"); it != env.end() && !it->second.empty()) {
        auto fd = parseInteger(it->second, 0, 1 << 20);
        if (!fd)
            return fail("CLUSTERSCOPE_IPC_FD must be a file descriptor number, not \"" + it->second + "\".");
        o.ipcFd = static_cast<int>(*fd);
    }
    if (auto it = env.find("CLUSTERSCOPE_LISTEN_FD"); it != env.end() && !it->second.empty()) {
        auto fd = parseInteger(it->second, 0, 1 << 20);
        if (!fd)
            return fail("CLUSTERSCOPE_LISTEN_FD must be a file descriptor number, not \"" + it->second + "\".");
        o.listenFd = static_cast<int>(*fd);
    }

    if (auto it = env.find("CLUSTERSCOPE_HEARTBEAT_MS"); it != env.end() && !it->second.empty()) {
        auto ms = parseInteger(it->second, 1, 86400000);
        if (!ms)
            return fail("CLUSTERSCOPE_HEARTBEAT_MS must be a number of milliseconds, not \"" + it->second + "\".");
        o.heartbeatMs = static_cast<std::uint32_t>(*ms);
    }

    bool modeGiven = false;
    // The table has checked the numbers' ranges and the mode's choices.
    for (const GivenSetting& given : line.given) {
        const std::string_view flag = given.setting->flag;
        if (flag == "--chaos") {
            o.chaos = true;
        } else if (flag == "--slot") {
            o.slot = static_cast<int>(given.number);
        } else if (flag == "--mode") {
            o.mode = given.text == "handoff" ? AcceptMode::Handoff
                : given.text == "shared"     ? AcceptMode::Shared
                                             : AcceptMode::ReusePort;
            modeGiven = true;
        } else if (flag == "--bind") {
            if (given.text.empty())
                return fail(invalidValue(given, "an IP address"));
            o.bindAddress = given.text;
        } else if (flag == "--port") {
            o.port = static_cast<std::uint16_t>(given.number);
        } else if (flag == "--header-timeout-ms") {
            o.headerTimeoutMs = static_cast<std::uint32_t>(given.number);
        } else if (flag == "--idle-timeout-ms") {
            o.idleTimeoutMs = static_cast<std::uint32_t>(given.number);
        } else if (flag == "--body-timeout-ms") {
            o.bodyTimeoutMs = static_cast<std::uint32_t>(given.number);
        } else if (flag == "--max-connections") {
            o.maxConnections = static_cast<std::uint32_t>(given.number);
        } else if (flag == "--max-body-bytes") {
            o.maxBodyBytes = static_cast<std::uint64_t>(given.number);
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
