// A broken worker program for --worker-program, to see the master survive it. What it does
// comes from CS_FAKE_MODE, since the headless master passes no arguments of ours:
//   garbage  report ready, then write a packet that is not a message on the channel (fd 3)
//   close    report ready, then close the channel and keep running
//   grow     report ready, keep the heartbeat, and grow its memory by CS_FAKE_GROW_MB (64)
#include "ipc/channel.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

constexpr int kChannel = 3;

void heartbeatForever()
{
    for (;;) {
        cs::ipc::sendMessage(kChannel, cs::ipc::Telemetry {});
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace

int main()
{
    const char* mode = std::getenv("CS_FAKE_MODE");
    const std::string what = mode ? mode : "garbage";
    cs::ipc::sendMessage(kChannel, cs::ipc::Ready { static_cast<std::int32_t>(::getpid()) });
    cs::ipc::sendMessage(kChannel, cs::ipc::Telemetry {});
    // Online first, so the master has to deal with a worker it already trusts.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (what == "garbage") {
        const char junk[] = "GET / HTTP/1.1\r\n\r\n\xff\xfe not a message";
        cs::ipc::sendPacket(kChannel, std::as_bytes(std::span(junk)));
    } else if (what == "close") {
        ::close(kChannel);
    } else if (what == "grow") {
        const char* text = std::getenv("CS_FAKE_GROW_MB");
        const std::size_t megabytes = text ? std::strtoul(text, nullptr, 10) : 64;
        std::vector<char> ballast(megabytes << 20);
        std::memset(ballast.data(), 1, ballast.size()); // touched, so it counts in RSS
        heartbeatForever();
    }
    // Keep running: the master has to kill us.
    for (;;)
        ::pause();
}
