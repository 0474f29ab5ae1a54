// The control socket's decoder: any line a local client sends gives a request or one sentence,
// never a crash; a request that decodes encodes to a line that decodes to the same request.
#include "control/protocol.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto decoded = cs::control::decodeRequest(line);
    if (const auto* error = std::get_if<std::string>(&decoded)) {
        if (error->empty())
            std::abort(); // a refusal always says why
        return 0;
    }
    const auto& request = std::get<cs::control::Request>(decoded);
    std::string again = cs::control::encodeRequest(request);
    again.pop_back(); // the newline
    const auto redecoded = cs::control::decodeRequest(again);
    if (!std::holds_alternative<cs::control::Request>(redecoded)
        || std::get<cs::control::Request>(redecoded).index() != request.index()
        || cs::control::encodeRequest(std::get<cs::control::Request>(redecoded)) != again + "\n")
        std::abort();
    return 0;
}
