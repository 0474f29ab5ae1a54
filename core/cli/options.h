#pragma once

#include "master/clusterconfig.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cs {

/// What `clusterscope` was asked to do, from its command line (see DESIGN.md).
struct CliOptions {
    enum class Mode { Window, WindowAndStart, Headless, Help, Version };
    Mode mode = Mode::Window;
    ClusterConfig config; ///< port, bind, workers, policy, chaos, worker program, limits
    bool json = false; ///< headless: one JSON snapshot per line
    int intervalMs = 1000; ///< headless report period
    int metricsPort = -1; ///< -1: off; 0 picks a free port
    std::string metricsBind = "127.0.0.1";
    std::string configFile; ///< the --config file, if one was given
    std::string recordFile; ///< --record: where to write the recording; empty: none
    std::string replayFile; ///< --replay: the recording the window opens; empty: none
    /// Which cluster fields were given on the command line (the window fills the rest from settings).
    bool portGiven = false, bindGiven = false, workersGiven = false, policyGiven = false, chaosGiven = false;

    bool operator==(const CliOptions&) const = default;
};

struct CliError {
    std::string message; ///< one sentence: what failed and what to do
};

/// Parses argv (argv[0] included). Never exits, never prints.
std::variant<CliOptions, CliError> parseCommandLine(int argc, const char* const* argv);
std::string usageText();

/// A cluster problem in the command line's terms: the neutral sentence with the flag that
/// sets what it is about, "… choose another port (--port)."
std::string commandLineMessage(const std::string& message, ConfigField field);
/// The same with a flag named outright: "… choose another port (--metrics-port)."
std::string withFlag(const std::string& message, std::string_view flag);

} // namespace cs
