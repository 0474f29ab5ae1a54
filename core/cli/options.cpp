#include "cli/options.h"

#include "cli/configfile.h"

#include <charconv>
#include <cstring>

namespace cs {
namespace {

template <typename T>
bool parseNumber(std::string_view text, T& value, T min, T max)
{
    T parsed {};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
    if (ec != std::errc {} || ptr != end || parsed < min || parsed > max)
        return false;
    value = parsed;
    return true;
}

} // namespace

std::string usageText()
{
    return R"(Usage: clusterscope [--start | --headless] [options]

Runs a web server on every core: a master binds the port and forks N worker processes that
all serve it. Without --headless the window opens (with --start the cluster starts at once).

Options:
  --port N               port to serve (8000; 0 picks a free one)
  --bind ADDR            address to bind (127.0.0.1)
  --workers N            number of workers (one per core)
  --policy P             round-robin | least-connections | shared | reuseport (round-robin)
  --chaos                enable GET /crash in the workers
  --json                 headless: print one JSON snapshot per line instead of a table
  --interval MS          headless report period (1000)
  --worker-program PATH  the worker executable (the built-in clusterscope-worker)
  --grace-ms MS          graceful stop: kill workers still draining after this (10000)
  --heartbeat-ms MS      kill a worker silent this long (5000)
  --restart-limit N      crashes within the window that mark a slot failed (5)
  --restart-window MS    the crash-loop window (30000)
  --backoff-max MS       longest delay between respawns (8000)
  --memory-limit MB      restart a worker whose RSS exceeds this (off)
  --metrics-port N       serve Prometheus metrics at http://127.0.0.1:N/metrics (off)
  --metrics-bind ADDR    address of the metrics endpoint (127.0.0.1)
  --config FILE          load a cluster definition (.json or .toml); other flags override it
  --worker-arg ARG       pass ARG on to the built-in worker (repeatable), e.g.
                         --worker-arg --header-timeout-ms --worker-arg 5000; see
                         clusterscope-worker --help for its options
  --env NAME=VALUE       add to the workers' environment (repeatable)
  --cwd DIR              working directory of --exec workers
  --exec PROGRAM [ARGS]  last: run PROGRAM with ARGS (as given, no shell) as the workers.
                         Under --policy shared (the default with --exec) it gets the
                         listening socket by systemd socket activation (fd 3, LISTEN_FDS=1,
                         LISTEN_PID, LISTEN_FDNAMES); under reuseport only PORT, and binds
                         with SO_REUSEPORT itself. Both get PORT and CLUSTERSCOPE_WORKER_ID.
  --help, --version

Headless signals: SIGINT/SIGTERM graceful stop (a second one stops at once), SIGQUIT fast
stop, SIGHUP rolling restart, SIGTTIN one worker more, SIGTTOU one fewer, SIGUSR1 reset
failed slots.
Exit status: 0 after a clean stop; 1 when every worker slot failed; 2 when it cannot start
(bad flag, port in use, worker program missing).
)";
}

std::variant<CliOptions, CliError> parseCommandLine(int argc, const char* const* argv)
{
    CliOptions options;
    auto& config = options.config;
    // A --config file is the base; the flags given beside it override it, wherever they stand.
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--exec")
            break;
        if (flag != "--config")
            continue;
        if (i + 1 >= argc)
            return CliError { "--config needs a file; see --help." };
        auto loaded = loadConfigFile(argv[i + 1], config);
        if (auto* error = std::get_if<ConfigError>(&loaded))
            return CliError { error->message };
        config = std::get<ClusterConfig>(std::move(loaded));
        options.configFile = argv[i + 1];
        options.portGiven = options.bindGiven = options.workersGiven = options.policyGiven = options.chaosGiven = true;
    }
    const bool execFromFile = !config.execCommand.empty();
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        auto value = [&](std::string_view& out) -> bool {
            if (i + 1 >= argc)
                return false;
            out = argv[++i];
            return true;
        };
        auto missing = [&] { return CliError { std::string(flag) + " needs a value; see --help." }; };
        std::string_view text;
        if (flag == "--help" || flag == "-h") {
            options.mode = CliOptions::Mode::Help;
        } else if (flag == "--version") {
            options.mode = CliOptions::Mode::Version;
        } else if (flag == "--headless") {
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
            if (!value(text))
                return missing();
            int port = 0;
            if (!parseNumber(text, port, 0, 65535))
                return CliError { "The port '" + std::string(text) + "' is not valid; use a number from 0 to 65535." };
            config.port = static_cast<std::uint16_t>(port);
            options.portGiven = true;
        } else if (flag == "--bind") {
            if (!value(text))
                return missing();
            config.bindAddress = std::string(text);
            options.bindGiven = true;
        } else if (flag == "--workers") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.workers, 1, 256))
                return CliError { "The worker count '" + std::string(text) + "' is not valid; use 1 to 256." };
            options.workersGiven = true;
        } else if (flag == "--policy") {
            if (!value(text))
                return missing();
            const auto policy = parsePolicy(text);
            if (!policy)
                return CliError { "Unknown policy '" + std::string(text)
                                  + "'; use round-robin, least-connections, shared or reuseport." };
            config.policy = *policy;
            options.policyGiven = true;
        } else if (flag == "--interval") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, options.intervalMs, 50, 3600000))
                return CliError { "The interval '" + std::string(text) + "' is not valid; use 50 to 3600000 ms." };
        } else if (flag == "--worker-program") {
            if (!value(text))
                return missing();
            config.workerProgram = std::string(text);
        } else if (flag == "--grace-ms") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.gracefulTimeoutMs, 0, 3600000))
                return CliError { "The grace period '" + std::string(text) + "' is not valid; use 0 to 3600000 ms." };
        } else if (flag == "--heartbeat-ms") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.heartbeatTimeoutMs, 200, 3600000))
                return CliError { "The heartbeat timeout '" + std::string(text)
                                  + "' is not valid; use 200 to 3600000 ms." };
        } else if (flag == "--restart-limit") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.restart.maxCrashes, 1, 100000))
                return CliError { "The restart limit '" + std::string(text) + "' is not valid; use 1 to 100000." };
        } else if (flag == "--restart-window") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.restart.crashWindowMs, 1, 86400000))
                return CliError { "The restart window '" + std::string(text) + "' is not valid; use 1 ms or more." };
        } else if (flag == "--backoff-max") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, config.restart.backoffMaxMs, 0, 3600000))
                return CliError { "The back-off maximum '" + std::string(text) + "' is not valid; use 0 to 3600000 ms." };
            config.restart.backoffInitialMs = std::min(config.restart.backoffInitialMs, config.restart.backoffMaxMs);
        } else if (flag == "--memory-limit") {
            if (!value(text))
                return missing();
            std::uint64_t megabytes = 0;
            if (!parseNumber<std::uint64_t>(text, megabytes, 1, 1u << 20))
                return CliError { "The memory limit '" + std::string(text) + "' is not valid; give megabytes, 1 or more." };
            config.memoryLimitBytes = megabytes << 20;
        } else if (flag == "--exec") {
            if (i + 1 >= argc)
                return CliError { "--exec needs a program, e.g. --exec node server.js; see --help." };
            config.execCommand.clear();
            for (++i; i < argc; ++i)
                config.execCommand.emplace_back(argv[i]);
        } else if (flag == "--worker-arg") {
            if (!value(text))
                return missing();
            config.workerArgs.emplace_back(text);
        } else if (flag == "--env") {
            if (!value(text))
                return missing();
            if (text.find('=') == std::string_view::npos || text.front() == '=')
                return CliError { "The environment entry '" + std::string(text) + "' is not of the form NAME=value." };
            config.environment.emplace_back(text);
        } else if (flag == "--cwd") {
            if (!value(text))
                return missing();
            config.workingDirectory = std::string(text);
        } else if (flag == "--metrics-port") {
            if (!value(text))
                return missing();
            if (!parseNumber(text, options.metricsPort, 0, 65535))
                return CliError { "The metrics port '" + std::string(text)
                                  + "' is not valid; use a number from 0 to 65535." };
        } else if (flag == "--metrics-bind") {
            if (!value(text))
                return missing();
            options.metricsBind = std::string(text);
        } else if (flag == "--config") {
            ++i; // read above
        } else {
            return CliError { "Unknown option '" + std::string(flag) + "'; see clusterscope --help." };
        }
    }
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
