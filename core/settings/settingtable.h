#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cs {

/// The programs whose command lines the table describes.
enum class Program { Clusterscope, Load, Worker };

/// "clusterscope", "clusterscope-load", "clusterscope-worker".
std::string_view programName(Program program) noexcept;

/// What follows a flag on the command line.
enum class ValueType {
    None, ///< a switch: --chaos
    Integer, ///< a whole number from minimum to maximum
    Decimal, ///< a finite number from minimum to maximum
    Choice, ///< one of `choices`
    Text, ///< any text; the program checks its form
    File, ///< a path to a file
    Directory, ///< a path to a directory
    Command, ///< the rest of the line: PROGRAM [ARGS...], passed as given
};

/// One thing a program can be told: the single place for its flag, its config key, its type,
/// range, default and help. --help, validate(), the launcher's limits come from here; the man
/// pages and the bash completion are checked against it (tst_commandline).
struct Setting {
    Program program;
    std::string_view flag; ///< "--port"
    std::string_view shortFlag; ///< "-c", or empty
    ValueType type;
    std::string_view metavar; ///< "N", "MS"; empty for switches
    double minimum = 0; ///< Integer and Decimal: the range, both ends allowed
    double maximum = 0;
    std::string_view unit; ///< "ms", "MB", "seconds": said after the range
    std::string_view choices; ///< Choice: the values, separated by '|'
    std::string_view defaultText; ///< shown in --help and the man page; empty: none to show
    std::string_view configKey; ///< the cluster definition's key ("restart.limit"); empty: none
    std::string_view help; ///< one line, lower case, no full stop
};

// clang-format off
/// Every setting of every program. Help texts are short: --help shows them as they are, and
/// the man pages say more.
inline constexpr Setting kSettings[] = {
    // clusterscope
    { Program::Clusterscope, "--start", "", ValueType::None, "", 0, 0, "", "", "", "",
      "open the window and start the cluster at once" },
    { Program::Clusterscope, "--headless", "", ValueType::None, "", 0, 0, "", "", "", "",
      "run without a window until SIGINT or SIGTERM" },
    { Program::Clusterscope, "--port", "", ValueType::Integer, "N", 0, 65535, "", "", "8000", "port",
      "port to serve; 0 picks a free one" },
    { Program::Clusterscope, "--bind", "", ValueType::Text, "ADDR", 0, 0, "", "", "127.0.0.1", "bind",
      "IP address to bind" },
    { Program::Clusterscope, "--workers", "", ValueType::Integer, "N", 1, 256, "", "", "one per core", "workers",
      "number of worker processes" },
    { Program::Clusterscope, "--policy", "", ValueType::Choice, "P", 0, 0, "",
      "round-robin|least-connections|shared|reuseport", "round-robin", "policy",
      "how connections reach the workers" },
    { Program::Clusterscope, "--chaos", "", ValueType::None, "", 0, 0, "", "", "", "chaos",
      "enable GET /crash in the workers" },
    { Program::Clusterscope, "--json", "", ValueType::None, "", 0, 0, "", "", "", "",
      "headless: print one JSON snapshot per line instead of a table" },
    { Program::Clusterscope, "--interval", "", ValueType::Integer, "MS", 50, 3600000, "ms", "", "1000", "",
      "headless report period" },
    { Program::Clusterscope, "--worker-program", "", ValueType::File, "PATH", 0, 0, "", "",
      "the built-in clusterscope-worker", "", "the worker executable" },
    { Program::Clusterscope, "--grace-ms", "", ValueType::Integer, "MS", 0, 3600000, "ms", "", "10000", "grace_ms",
      "graceful stop: kill workers still draining after this" },
    { Program::Clusterscope, "--heartbeat-ms", "", ValueType::Integer, "MS", 200, 3600000, "ms", "", "5000",
      "heartbeat_ms", "kill and respawn a worker silent this long" },
    { Program::Clusterscope, "--restart-limit", "", ValueType::Integer, "N", 1, 100000, "", "", "5", "restart.limit",
      "crashes within the restart window that mark a slot failed" },
    { Program::Clusterscope, "--restart-window", "", ValueType::Integer, "MS", 1, 86400000, "ms", "", "30000",
      "restart.window_ms", "the crash-loop window" },
    { Program::Clusterscope, "--backoff-max", "", ValueType::Integer, "MS", 0, 3600000, "ms", "", "8000",
      "restart.backoff_max_ms", "longest delay between respawns of a crashing slot" },
    { Program::Clusterscope, "--memory-limit", "", ValueType::Integer, "MB", 1, 1048576, "MB", "", "off",
      "memory_limit_mb", "restart a worker whose resident memory exceeds this" },
    { Program::Clusterscope, "--metrics-port", "", ValueType::Integer, "N", 0, 65535, "", "", "off", "",
      "serve Prometheus metrics at http://ADDR:N/metrics; 0 picks a free port" },
    { Program::Clusterscope, "--metrics-bind", "", ValueType::Text, "ADDR", 0, 0, "", "", "127.0.0.1", "",
      "address of the metrics endpoint" },
    { Program::Clusterscope, "--config", "", ValueType::File, "FILE", 0, 0, "", "", "", "",
      "load a cluster definition (.toml or .json); other flags override it" },
    { Program::Clusterscope, "--record", "", ValueType::File, "FILE", 0, 0, "", "", "", "",
      "write the cluster's snapshots and events to FILE as JSON lines, to replay in the window" },
    { Program::Clusterscope, "--replay", "", ValueType::File, "FILE", 0, 0, "", "", "", "",
      "open the window on a recording made with --record" },
    { Program::Clusterscope, "--worker-arg", "", ValueType::Text, "ARG", 0, 0, "", "", "", "",
      "pass ARG on to the built-in worker (repeatable; see clusterscope-worker --help)" },
    { Program::Clusterscope, "--env", "", ValueType::Text, "NAME=VALUE", 0, 0, "", "", "", "env",
      "add to the workers' environment (repeatable)" },
    { Program::Clusterscope, "--cwd", "", ValueType::Directory, "DIR", 0, 0, "", "", "", "cwd",
      "working directory of --exec workers" },
    { Program::Clusterscope, "--exec", "", ValueType::Command, "PROGRAM [ARGS]", 0, 0, "", "", "", "program",
      "last: run PROGRAM with ARGS (as given, no shell) as the workers" },
    { Program::Clusterscope, "--help", "-h", ValueType::None, "", 0, 0, "", "", "", "",
      "print this help and exit" },
    { Program::Clusterscope, "--version", "", ValueType::None, "", 0, 0, "", "", "", "",
      "print the version and exit" },

    // clusterscope-load
    { Program::Load, "--host", "", ValueType::Text, "HOST", 0, 0, "", "", "127.0.0.1", "",
      "host name or address of the server" },
    { Program::Load, "--port", "", ValueType::Integer, "N", 1, 65535, "", "", "8000", "",
      "port of the server" },
    { Program::Load, "--connections", "-c", ValueType::Integer, "N", 1, 10000, "", "", "10", "",
      "connections open at once" },
    { Program::Load, "--duration", "-d", ValueType::Decimal, "SECONDS", 0.001, 86400, "seconds", "", "10", "",
      "how long to run; ignored when --requests is given" },
    { Program::Load, "--requests", "-n", ValueType::Integer, "COUNT", 0, 281474976710656.0, "", "", "", "",
      "stop after this many requests (0: run for the duration)" },
    { Program::Load, "--rate", "", ValueType::Decimal, "REQ_PER_S", 0, 10000000, "requests per second", "", "", "",
      "total requests per second over all connections, on a fixed schedule (0: unlimited); latency is then "
      "measured from each request's scheduled send, so stalls are not hidden" },
    { Program::Load, "--keep-alive", "", ValueType::None, "", 0, 0, "", "", "", "",
      "send every request of a connection over that connection (the default)" },
    { Program::Load, "--new-connection", "", ValueType::None, "", 0, 0, "", "", "", "",
      "one connection per request, sent with Connection: close" },
    { Program::Load, "--path", "", ValueType::Text, "PATH", 0, 0, "", "", "/", "",
      "path to request, starting with /" },
    { Program::Load, "--timeout-ms", "", ValueType::Integer, "MS", 1, 3600000, "ms", "", "5000", "",
      "time a request may take, connecting included" },
    { Program::Load, "--no-retry", "", ValueType::None, "", 0, 0, "", "", "", "",
      "count a request cut off by a closing keep-alive connection as an error instead of "
      "sending it again once" },
    { Program::Load, "--workers", "", ValueType::Integer, "N", 1, 10000, "", "", "", "",
      "the cluster's worker count, so that Jain's index counts workers that got nothing" },
    { Program::Load, "--metrics-url", "", ValueType::Text, "URL", 0, 0, "", "", "", "",
      "read the worker count from the cluster's Prometheus endpoint (not with --workers)" },
    { Program::Load, "--json", "", ValueType::None, "", 0, 0, "", "", "", "",
      "print the summary as one JSON object" },
    { Program::Load, "--help", "-h", ValueType::None, "", 0, 0, "", "", "", "",
      "print this help and exit" },
    { Program::Load, "--version", "", ValueType::None, "", 0, 0, "", "", "", "",
      "print the version and exit" },

    // clusterscope-worker
    { Program::Worker, "--slot", "", ValueType::Integer, "N", 0, 1000000, "", "", "CLUSTERSCOPE_WORKER_ID, else 1", "",
      "the worker's slot, sent in X-Worker" },
    { Program::Worker, "--chaos", "", ValueType::None, "", 0, 0, "", "", "", "",
      "enable GET /crash" },
    { Program::Worker, "--mode", "", ValueType::Choice, "MODE", 0, 0, "", "handoff|shared|reuseport",
      "handoff under a master, else reuseport", "", "how connections reach this worker" },
    { Program::Worker, "--bind", "", ValueType::Text, "ADDR", 0, 0, "", "", "127.0.0.1", "",
      "address to bind (mode reuseport)" },
    { Program::Worker, "--port", "", ValueType::Integer, "N", 0, 65535, "", "", "0", "",
      "port to bind (mode reuseport); 0 picks a free one" },
    { Program::Worker, "--header-timeout-ms", "", ValueType::Integer, "MS", 1, 3600000, "ms", "", "10000", "",
      "a request's header must arrive within this" },
    { Program::Worker, "--idle-timeout-ms", "", ValueType::Integer, "MS", 1, 3600000, "ms", "", "30000", "",
      "close a keep-alive connection idle this long" },
    { Program::Worker, "--body-timeout-ms", "", ValueType::Integer, "MS", 1, 3600000, "ms", "", "30000", "",
      "a request's body must arrive within this of its header" },
    { Program::Worker, "--max-connections", "", ValueType::Integer, "N", 1, 10000000, "", "", "10000", "",
      "connections served at once" },
    { Program::Worker, "--max-body-bytes", "", ValueType::Integer, "BYTES", 0, 1099511627776.0, "bytes", "",
      "1048576", "", "largest request body accepted" },
    { Program::Worker, "--help", "-h", ValueType::None, "", 0, 0, "", "", "", "",
      "print this help and exit" },
    { Program::Worker, "--version", "", ValueType::None, "", 0, 0, "", "", "", "",
      "print the version and exit" },
};
// clang-format on

/// The rows of one program, in table order.
std::span<const Setting> settingsOf(Program program) noexcept;

/// The row of `flag` (long or short spelling) for `program`; nullptr when there is none.
const Setting* findSetting(Program program, std::string_view flag) noexcept;

/// The row of `flag`, found while compiling: a flag not in the table does not build.
consteval const Setting& setting(Program program, std::string_view flag)
{
    for (const Setting& row : kSettings)
        if (row.program == program && row.flag == flag)
            return row;
    throw "no such setting"; // not a constant expression: the caller does not compile
}

/// What a value of `row` must be, for messages: "a number from 1 to 256", "50 to 3600000 ms",
/// "round-robin, least-connections, shared or reuseport".
std::string expectedValue(const Setting& row);

} // namespace cs
