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
/// little-endian payload. A connection hand-off is a `Connection` message with its sockets
/// attached as SCM_RIGHTS: one to kMaxHandoffFds of them, as many as its count says.
inline constexpr std::uint16_t kMagic = 0xC5C5;
// 2: telemetry carries the exact latency sum; 3: a Connection carries a count of sockets
inline constexpr std::uint8_t kVersion = 3;
/// The most sockets one Connection message carries. The kernel allows 253 (SCM_MAX_FD), but
/// the gain is in going from 1 to a few: at 16 the sendmsg/recvmsg pair and the worker's
/// wake-up are already under a tenth of the hand-off's syscalls, the receiver's control buffer
/// stays small on its stack, and one message never hands a worker a burst it takes long to start.
inline constexpr std::size_t kMaxHandoffFds = 16;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxPacket = 2048;

enum class Type : std::uint8_t {
    // worker -> master
    Ready = 1, ///< the worker runs and can take connections
    Listening = 2, ///< shared / reuseport: the worker accepts on its own listener
    /// every ~100 ms while counters move (under hand-off also after every 8 closes), else
    /// every quarter heartbeat (<= 1 s); the heartbeat
    Telemetry = 3,
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
    std::uint16_t count = 1; ///< sockets attached, 1..kMaxHandoffFds
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
