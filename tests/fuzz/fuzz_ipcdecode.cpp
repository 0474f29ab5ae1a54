// The master decodes whatever a worker writes on its channel: decode must never read past
// the packet, and whatever it accepts must encode back to the same bytes.
#include "ipc/message.h"

#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // An exact-size copy, so ASan catches a read one byte past the packet.
    std::vector<std::byte> packet(size);
    if (size > 0)
        std::memcpy(packet.data(), data, size);
    const auto decoded = cs::ipc::decode(std::span<const std::byte>(packet.data(), packet.size()));
    if (!decoded.message) {
        (void)cs::ipc::describe(decoded.error);
        return 0;
    }
    std::vector<std::byte> again;
    cs::ipc::encode(*decoded.message, again);
    const auto round = cs::ipc::decode(again);
    if (!round.message || round.message->index() != decoded.message->index())
        std::abort(); // what we accept we must also produce
    return 0;
}
