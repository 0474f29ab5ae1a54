#include "ipc/channel.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cs::ipc {

SocketPair makeChannel(std::error_code& ec)
{
    int fds[2] = { -1, -1 };
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) {
        ec.assign(errno, std::system_category());
        return {};
    }
    ec.clear();
    return { fds[0], fds[1] };
}

int sendPacket(int channelFd, std::span<const std::byte> packet, int passFd) noexcept
{
    if (passFd < 0)
        return sendPacket(channelFd, packet, std::span<const int>());
    return sendPacket(channelFd, packet, std::span<const int>(&passFd, 1));
}

int sendPacket(int channelFd, std::span<const std::byte> packet, std::span<const int> passFds) noexcept
{
    if (passFds.size() > kMaxHandoffFds)
        return EINVAL;
    iovec iov { const_cast<std::byte*>(packet.data()), packet.size() };
    msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxHandoffFds)];
    if (!passFds.empty()) {
        const std::size_t bytes = sizeof(int) * passFds.size();
        std::memset(control, 0, CMSG_SPACE(bytes));
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(bytes);
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(bytes);
        std::memcpy(CMSG_DATA(cmsg), passFds.data(), bytes);
    }
    for (;;) {
        if (::sendmsg(channelFd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
            return 0;
        if (errno != EINTR)
            return errno;
    }
}

int sendMessage(int channelFd, const Message& message, int passFd)
{
    thread_local std::vector<std::byte> buffer;
    encode(message, buffer);
    return sendPacket(channelFd, buffer, passFd);
}

Received receivePacket(int channelFd, std::span<std::byte> buffer) noexcept
{
    Received result;
    iovec iov { buffer.data(), buffer.size() };
    msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // Room for a full hand-off; the kernel drops what a peer attaches beyond it (MSG_CTRUNC).
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxHandoffFds)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do {
        n = ::recvmsg(channelFd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        result.error = errno;
        return result;
    }
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
            if (result.fdCount < result.fds.size())
                result.fds[result.fdCount++] = fd;
            else
                ::close(fd); // two SCM_RIGHTS headers overfilling the array: close, never leak
        }
    }
    if (result.fdCount > 0)
        result.fd = result.fds[0];
    result.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    result.descriptorLost = (msg.msg_flags & MSG_CTRUNC) != 0;
    // A zero-length read on SEQPACKET means the peer closed (we never send empty packets).
    result.eof = (n == 0);
    result.size = static_cast<std::size_t>(n);
    return result;
}

void closeDescriptors(const Received& received) noexcept
{
    for (std::size_t i = 0; i < received.fdCount; ++i)
        ::close(received.fds[i]);
}

} // namespace cs::ipc
