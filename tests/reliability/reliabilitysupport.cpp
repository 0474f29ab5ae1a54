#include "reliabilitysupport.h"

#include "metrics/procstat.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cs::test {
namespace {

using Clock = std::chrono::steady_clock;

/// /proc/PID/stat through core's own (fixture-tested) parser.
std::optional<ProcessStat> processStat(int pid)
{
    const auto text = readSmallFile("/proc/" + std::to_string(pid) + "/stat");
    return text ? parseProcPidStat(*text) : std::nullopt;
}

} // namespace

std::string clusterscopeProgram() { return binDir() + "/clusterscope"; }
std::string loadProgram() { return binDir() + "/clusterscope-load"; }

std::string fakeWorkerProgram()
{
    if (const char* path = std::getenv("CS_FAKE_WORKER"); path && *path)
        return path;
    return binDir() + "/../tests/reliability/cs-fake-worker";
}

bool sendAll(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string readUntilClose(int fd, std::chrono::milliseconds deadline, bool* closed)
{
    const auto end = Clock::now() + deadline;
    std::string out;
    if (closed)
        *closed = false;
    for (;;) {
        pollfd p { fd, POLLIN, 0 };
        const int ready = ::poll(&p, 1, remainingMs(end));
        if (ready <= 0)
            return out;
        char buffer[16384];
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n > 0) {
            out.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (closed)
            *closed = true; // EOF or reset
        return out;
    }
}

bool waitPeerClose(int fd, std::chrono::milliseconds deadline)
{
    bool closed = false;
    readUntilClose(fd, deadline, &closed);
    return closed;
}

std::optional<std::string> readResponse(int fd, std::string& buffer, std::chrono::milliseconds deadline)
{
    const auto end = Clock::now() + deadline;
    for (;;) {
        const auto headerEnd = buffer.find("\r\n\r\n");
        if (headerEnd != std::string::npos) {
            std::size_t length = 0;
            std::smatch match;
            const std::string header = buffer.substr(0, headerEnd);
            if (std::regex_search(header, match, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)")))
                length = std::stoul(match[1]);
            const std::size_t total = headerEnd + 4 + length;
            if (buffer.size() >= total) {
                std::string response = buffer.substr(0, total);
                buffer.erase(0, total);
                return response;
            }
        }
        pollfd p { fd, POLLIN, 0 };
        if (::poll(&p, 1, remainingMs(end)) <= 0)
            return std::nullopt;
        char chunk[16384];
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return std::nullopt;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

std::vector<int> statusesIn(std::string_view text)
{
    std::vector<int> statuses;
    constexpr std::string_view prefix = "HTTP/1.1 ";
    for (auto at = text.find(prefix); at != std::string_view::npos; at = text.find(prefix, at + 1)) {
        const auto digits = text.substr(at + prefix.size(), 3);
        if (digits.size() == 3 && std::isdigit(static_cast<unsigned char>(digits[0])))
            statuses.push_back(std::stoi(std::string(digits)));
    }
    return statuses;
}

std::vector<int> openFds(int pid)
{
    std::vector<int> fds;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
        fds.push_back(std::stoi(entry.path().filename().string()));
    std::sort(fds.begin(), fds.end());
    return fds;
}

std::vector<int> fdsWithoutCloexec(int pid)
{
    std::vector<int> open;
    for (int fd : openFds(pid)) {
        const auto info = readSmallFile("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd)).value_or("");
        std::smatch match;
        if (!std::regex_search(info, match, std::regex("flags:\\s*([0-7]+)")))
            continue; // closed meanwhile
        const auto flags = std::stoul(match[1], nullptr, 8);
        if ((flags & 02000000) == 0)
            open.push_back(fd);
    }
    return open;
}

double cpuSeconds(int pid)
{
    const auto stat = processStat(pid);
    if (!stat)
        return 0;
    return static_cast<double>(stat->utimeTicks + stat->stimeTicks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::uint64_t rssBytes(int pid)
{
    const auto stat = processStat(pid);
    if (!stat || stat->rssPages < 0)
        return 0;
    return static_cast<std::uint64_t>(stat->rssPages) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace cs::test
