#include "cli/options.h"

#include "cli/configfile.h"
#include "settings/commandline.h"

#include <algorithm>

namespace cs {

std::string usageText()
{
    return "Usage: clusterscope [--start | --headless] [options]\n"
           "       clusterscope ctl COMMAND ...   (control a running cluster; clusterscope ctl --help)\n"
           "\n"
           "Runs a web server on every core: a master binds the port and forks N worker processes that\n"
           "all serve it. Without --headless the window opens (with --start the cluster starts at once).\n"
           "Every option with a value also takes the form --option=value; -- ends the options.\n"
           "\n"
           "Options:\n"
        + optionsHelp(Program::Clusterscope)
        + "\n"
          "--exec must come last: everything after it is the workers' own command line. Under --policy\n"
          "shared (the default with --exec) the program gets the listening socket by systemd socket\n"
          "activation (fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES); under reuseport only PORT, and\n"
          "binds with SO_REUSEPORT itself. Both get PORT and CLUSTERSCOPE_WORKER_ID.\n"
          "\n"
          "Headless signals: SIGINT/SIGTERM graceful stop (a second one stops at once), SIGQUIT fast\n"
          "stop, SIGHUP rolling restart, SIGTTIN one worker more, SIGTTOU one fewer, SIGUSR1 reset\n"
          "failed slots. A headless master serves a control socket for clusterscope ctl under\n"
          "$XDG_RUNTIME_DIR/clusterscope/, named after its --config file, else its port. Under systemd it\n"
          "reports READY/RELOADING/STOPPING/STATUS/WATCHDOG and serves a socket passed by socket activation.\n"
          "Exit status: 0 after a clean stop; 1 when every worker slot failed; 2 when it cannot start\n"
          "(bad flag, port in use, worker program missing).\n"
          "\n"
          "--record FILE writes what the cluster does as JSON lines (man clusterscope, RECORDINGS);\n"
          "the window replays it on any machine (File → Open recording…, or --replay FILE).\n";
}

std::variant<CliOptions, CliError> parseCommandLine(int argc, const char* const* argv)
{
    const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + std::max(argc, 0));
    auto read = readCommandLine(Program::Clusterscope, args);
    if (auto* error = std::get_if<std::string>(&read))
        return CliError { std::move(*error) };
    const CommandLine& line = std::get<CommandLine>(read);
    CliOptions options;
    if (line.help || line.version) {
        options.mode = line.help ? CliOptions::Mode::Help : CliOptions::Mode::Version;
        return options;
    }
    auto& config = options.config;
    // A --config file is the base; the flags given beside it override it, wherever they stand.
    for (const GivenSetting& given : line.given) {
        if (given.setting->flag != "--config")
            continue;
        auto loaded = loadConfigFile(given.text, config);
        if (auto* error = std::get_if<ConfigError>(&loaded))
            return CliError { error->message };
        config = std::get<ClusterConfig>(std::move(loaded));
        options.configFile = given.text;
        options.portGiven = options.bindGiven = options.workersGiven = options.policyGiven = options.chaosGiven = true;
    }
    const bool execFromFile = !config.execCommand.empty();
    // The table has checked every number's range and every choice; what is left is to store them.
    for (const GivenSetting& given : line.given) {
        const std::string_view flag = given.setting->flag;
        const int number = static_cast<int>(given.number);
        if (flag == "--headless") {
            options.mode = CliOptions::Mode::Headless;
        } else if (flag == "--start") {
            if (options.mode != CliOptions::Mode::Headless)
                options.mode = CliOptions::Mode::WindowAndStart;
        } else if (flag == "--chaos") {
            config.chaos = true;
            options.chaosGiven = true;
        } else if (flag == "--json") {
            options.json = true;
        } else if (flag == "--port") {
            config.port = static_cast<std::uint16_t>(number);
            options.portGiven = true;
        } else if (flag == "--bind") {
            config.bindAddress = given.text;
            options.bindGiven = true;
        } else if (flag == "--workers") {
            config.workers = number;
            options.workersGiven = true;
        } else if (flag == "--policy") {
            config.policy = parsePolicy(given.text).value_or(config.policy);
            options.policyGiven = true;
        } else if (flag == "--interval") {
            options.intervalMs = number;
        } else if (flag == "--worker-program") {
            config.workerProgram = given.text;
        } else if (flag == "--grace-ms") {
            config.gracefulTimeoutMs = number;
        } else if (flag == "--heartbeat-ms") {
            config.heartbeatTimeoutMs = number;
        } else if (flag == "--restart-limit") {
            config.restart.maxCrashes = number;
        } else if (flag == "--restart-window") {
            config.restart.crashWindowMs = number;
        } else if (flag == "--backoff-max") {
            config.restart.backoffMaxMs = number;
            config.restart.backoffInitialMs = std::min(config.restart.backoffInitialMs, config.restart.backoffMaxMs);
        } else if (flag == "--memory-limit") {
            config.memoryLimitBytes = static_cast<std::uint64_t>(given.number) << 20;
        } else if (flag == "--exec") {
            config.execCommand = line.command;
        } else if (flag == "--worker-arg") {
            config.workerArgs.push_back(given.text);
        } else if (flag == "--env") {
            if (given.text.find('=') == std::string::npos || given.text.front() == '=')
                return CliError { invalidValue(given, "NAME=VALUE") };
            config.environment.push_back(given.text);
        } else if (flag == "--cwd") {
            config.workingDirectory = given.text;
        } else if (flag == "--metrics-port") {
            options.metricsPort = number;
        } else if (flag == "--metrics-bind") {
            options.metricsBind = given.text;
        } else if (flag == "--record") {
            options.recordFile = given.text;
        } else if (flag == "--replay") {
            options.replayFile = given.text;
        }
    }
    // A replay shows a recording; it runs nothing and records nothing.
    if (!options.replayFile.empty() && options.mode == CliOptions::Mode::Headless)
        return CliError { "Option --replay opens a recording in the window; drop --headless (or play it on a machine with a display)." };
    if (!options.replayFile.empty() && !options.recordFile.empty())
        return CliError { "Options --replay and --record do not go together: a replay records nothing; pass one of them." };
    // A program we did not write cannot take hand-offs: its natural policy is socket activation.
    if (!config.execCommand.empty() && !options.policyGiven && !execFromFile)
        config.policy = Policy::Shared;
    return options;
}

std::string commandLineMessage(const std::string& message, ConfigField field)
{
    std::string_view flag;
    switch (field) {
    case ConfigField::Port: flag = "--port"; break;
    case ConfigField::Bind: flag = "--bind"; break;
    case ConfigField::Workers: flag = "--workers"; break;
    case ConfigField::Policy: flag = "--policy"; break;
    case ConfigField::Program: flag = "--exec"; break;
    case ConfigField::Environment: flag = "--env"; break;
    case ConfigField::WorkerProgram: flag = "--worker-program"; break;
    case ConfigField::Limits:
    case ConfigField::None: return message;
    }
    return withFlag(message, flag);
}

std::string withFlag(const std::string& message, std::string_view flag)
{
    const bool period = !message.empty() && message.back() == '.';
    return (period ? message.substr(0, message.size() - 1) : message) + " (" + std::string(flag) + ")" + (period ? "." : "");
}

} // namespace cs
