// A config file is whatever a user or another tool wrote: parseConfig must give a config or one
// sentence for any bytes, in either format, and whatever it accepts formatConfig must write so
// that it reads back the same.
#include "cli/configfile.h"

#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool same(const cs::ClusterConfig& a, const cs::ClusterConfig& b)
{
    return a.execCommand == b.execCommand && a.workingDirectory == b.workingDirectory
        && a.environment == b.environment && a.bindAddress == b.bindAddress && a.workers == b.workers
        && a.port == b.port && a.policy == b.policy && a.chaos == b.chaos
        && a.gracefulTimeoutMs == b.gracefulTimeoutMs && a.heartbeatTimeoutMs == b.heartbeatTimeoutMs
        && a.memoryLimitBytes == b.memoryLimitBytes && a.restart.maxCrashes == b.restart.maxCrashes
        && a.restart.crashWindowMs == b.restart.crashWindowMs && a.restart.backoffInitialMs == b.restart.backoffInitialMs
        && a.restart.backoffMaxMs == b.restart.backoffMaxMs && a.restart.stableAfterMs == b.restart.stableAfterMs;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // An exact-size copy, so ASan catches a read one byte past the text.
    const std::string text(reinterpret_cast<const char*>(data), size);
    for (const std::string name : { "fuzz.toml", "fuzz.json" }) {
        const auto parsed = cs::parseConfig(std::string_view(text.data(), text.size()), name);
        const auto* config = std::get_if<cs::ClusterConfig>(&parsed);
        if (!config) {
            if (std::get<cs::ConfigError>(parsed).message.rfind(name + ":", 0) != 0)
                std::abort(); // every refusal names the file and a line
            continue;
        }
        const auto again = cs::parseConfig(cs::formatConfig(*config, name), name);
        const auto* back = std::get_if<cs::ClusterConfig>(&again);
        if (!back || !same(*config, *back))
            std::abort(); // what we read we must write back readably and the same
    }
    return 0;
}
