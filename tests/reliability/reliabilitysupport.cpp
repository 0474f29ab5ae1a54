#include "reliabilitysupport.h"

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

int remainingMs(Clock::time_point end)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Fields of /proc/PID/stat after the command name, which may itself hold spaces.
std::vector<std::string> statFields(int pid)
{
    const auto text = readFile("/proc/" + std::to_string(pid) + "/stat");
    const auto close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos)
        return fields;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    while (rest >> field)
        fields.push_back(field);
    return fields; // fields[0] is the state (field 3 of proc(5))
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
        const auto info = readFile("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
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
    const auto fields = statFields(pid);
    if (fields.size() < 13)
        return 0;
    // utime and stime are fields 14 and 15 of proc(5); fields[0] is field 3.
    const double ticks = std::stod(fields[11]) + std::stod(fields[12]);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::uint64_t rssBytes(int pid)
{
    const auto fields = statFields(pid);
    if (fields.size() < 22)
        return 0;
    return std::stoull(fields[21]) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)); // field 24
}

} // namespace cs::test
