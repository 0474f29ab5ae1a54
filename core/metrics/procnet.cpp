#include "metrics/procnet.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>

namespace cs {

std::vector<std::uint64_t> listeningInodes(std::string_view text, std::uint16_t port)
{
    std::vector<std::uint64_t> inodes;
    std::istringstream lines { std::string(text) };
    std::string line;
    std::getline(lines, line); // the column titles
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
            continue;
        if (state != "0A") // TCP_LISTEN
            continue;
        const auto colon = local.rfind(':');
        unsigned localPort = 0;
        if (colon == std::string::npos
            || std::from_chars(local.data() + colon + 1, local.data() + local.size(), localPort, 16).ec != std::errc {}
            || localPort != port)
            continue;
        std::uint64_t number = 0;
        if (std::from_chars(inode.data(), inode.data() + inode.size(), number).ec == std::errc {})
            inodes.push_back(number);
    }
    return inodes;
}

bool holdsSocket(int pid, const std::vector<std::uint64_t>& inodes)
{
    if (inodes.empty())
        return false;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        const auto target = std::filesystem::read_symlink(entry.path(), ec).string();
        if (ec || target.rfind("socket:[", 0) != 0)
            continue;
        std::uint64_t number = 0;
        std::from_chars(target.data() + 8, target.data() + target.size() - 1, number);
        if (std::find(inodes.begin(), inodes.end(), number) != inodes.end())
            return true;
    }
    return false;
}

} // namespace cs
