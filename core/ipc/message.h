#pragma once

#include "metrics/histogram.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace cs::ipc {

/// Master <-> worker messages. One SOCK_SEQPACKET packet carries exactly one message:
/// a fixed 8-byte header {magic u16, type u8, version u8, payload length u32} followed by a
/// little-endian payload. A connection hand-off is a `Connection` message with the socket
/// attached as SCM_RIGHTS.
inline constexpr std::uint16_t kMagic = 0xC5C5;
inline constexpr std::uint8_t kVersion = 2; // 2: telemetry carries the exact latency sum
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxPacket = 2048;

enum class Type : std::uint8_t {
    // worker -> master
    Ready = 1, ///< the worker runs and can take connections
    Listening = 2, ///< shared / reuseport: the worker accepts on its own listener
    Telemetry = 3, ///< every ~100 ms; doubles as the heartbeat
    // master -> worker
    Connection = 16, ///< an accepted socket rides along as SCM_RIGHTS
    Drain = 17, ///< stop taking work, finish in-flight requests, exit
};

struct Ready {
    std::int32_t pid = 0;
};
struct Listening {
};
struct Telemetry {
    std::uint64_t requests = 0; ///< cumulative since the worker started
    std::uint32_t openConnections = 0;
    std::uint32_t connectionsAccepted = 0; ///< cumulative, truncated to 32 bits
    LatencyHistogram::Counts latency {}; ///< cumulative, microseconds
    DurationSum latencySum; ///< cumulative, the exact sum of the latencies counted in `latency`
};
struct Connection {
};
struct Drain {
    std::uint32_t graceMs = 0;
};

using Message = std::variant<Ready, Listening, Telemetry, Connection, Drain>;

/// Appends the encoded message to `out` (cleared first).
void encode(const Message& message, std::vector<std::byte>& out);

/// Why a packet was refused; `decode` never reads past the packet.
enum class DecodeError { TooShort, BadMagic, BadVersion, UnknownType, LengthMismatch, BadPayload };
const char* describe(DecodeError error) noexcept;

struct Decoded {
    std::optional<Message> message;
    DecodeError error = DecodeError::TooShort; ///< meaningful only when !message
};
Decoded decode(std::span<const std::byte> packet);

} // namespace cs::ipc
