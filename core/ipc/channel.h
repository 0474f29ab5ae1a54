#pragma once

#include "ipc/message.h"

#include <array>
#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

namespace cs::ipc {

/// Thin, non-blocking helpers over one SOCK_SEQPACKET end. No ownership: the caller owns
/// the descriptors. Every received descriptor is close-on-exec.

/// A connected SOCK_SEQPACKET pair, both ends CLOEXEC; on failure both are -1.
struct SocketPair {
    int master = -1;
    int worker = -1;
};
SocketPair makeChannel(std::error_code& ec);

/// Sends one packet, with `passFd` attached when >= 0. Returns 0 or an errno value
/// (EAGAIN when the peer's queue is full, EPIPE/ECONNRESET when it is gone).
int sendPacket(int channelFd, std::span<const std::byte> packet, int passFd = -1) noexcept;
/// Sends one packet with every descriptor of `passFds` attached (at most kMaxHandoffFds),
/// all or none: the same return as sendPacket.
int sendPacket(int channelFd, std::span<const std::byte> packet, std::span<const int> passFds) noexcept;

/// Encodes and sends; same return as sendPacket.
int sendMessage(int channelFd, const Message& message, int passFd = -1);

struct Received {
    std::size_t size = 0; ///< bytes in the packet, 0 with eof
    int fd = -1; ///< the first attached descriptor, if any (fds[0])
    /// Every attached descriptor, in the order sent; the receiver owns them. Beyond
    /// kMaxHandoffFds the kernel drops them (descriptorLost).
    std::array<int, kMaxHandoffFds> fds {};
    std::size_t fdCount = 0;
    bool eof = false; ///< the peer closed its end
    bool truncated = false; ///< the packet was larger than the buffer
    /// A descriptor came that could not be received (MSG_CTRUNC): the receiver has none left.
    bool descriptorLost = false;
    int error = 0; ///< errno; EAGAIN when nothing is queued
};
/// Receives one packet into `buffer` without blocking.
Received receivePacket(int channelFd, std::span<std::byte> buffer) noexcept;
/// Closes every descriptor `received` holds.
void closeDescriptors(const Received& received) noexcept;

} // namespace cs::ipc
