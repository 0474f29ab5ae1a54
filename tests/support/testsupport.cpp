#include "testsupport.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/procstat.h"

namespace cs::test {
namespace {

using Clock = std::chrono::steady_clock;


void readAvailable(int& fd, std::string& into)
{
    if (fd < 0)
        return;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            ::close(fd);
            fd = -1;
        }
        return;
    }
}

int connectWithDeadline(std::uint16_t port, Clock::time_point end, std::string& error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 && errno != EINPROGRESS) {
        error = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    pollfd p { fd, POLLOUT, 0 };
    if (::poll(&p, 1, remainingMs(end)) <= 0) {
        error = "connect: timed out";
        ::close(fd);
        return -1;
    }
    int soError = 0;
    socklen_t len = sizeof(soError);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError != 0) {
        error = std::string("connect: ") + std::strerror(soError);
        ::close(fd);
        return -1;
    }
    return fd;
}

bool sendAll(int fd, const std::string& bytes, Clock::time_point end)
{
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        pollfd p { fd, POLLOUT, 0 };
        if (::poll(&p, 1, remainingMs(end)) <= 0)
            return false;
    }
    return true;
}

} // namespace

int remainingMs(Clock::time_point end)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string binDir()
{
    if (const char* dir = std::getenv("CS_BIN_DIR"))
        return dir;
    return std::filesystem::canonical("/proc/self/exe").parent_path().string();
}

std::string dataFile(const std::string& name)
{
    const char* dir = std::getenv("CS_TEST_DATA");
    return std::string(dir ? dir : "tests/data") + "/" + name;
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds deadline)
{
    const auto end = Clock::now() + deadline;
    for (;;) {
        if (condition())
            return true;
        if (Clock::now() >= end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args)
    : m_program(std::move(program))
    , m_args(std::move(args))
{
}

namespace {

// A master that is killed cannot remove its control socket, and one is named after each
// ephemeral port: the suite left some twenty a run in the user's own runtime folder. The
// path is the one the master printed; the socket goes only once nothing answers there.
void removeStaleControlSocket(const std::string& stderrText)
{
    const std::string marker = "clusterscope: control socket ";
    const auto at = stderrText.find(marker);
    if (at == std::string::npos)
        return;
    const auto begin = at + marker.size();
    const std::string path = stderrText.substr(begin, stderrText.find(" (", begin) - begin);
    sockaddr_un address {};
    if (path.empty() || path.size() >= sizeof(address.sun_path))
        return;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    const bool refused = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0
        && errno == ECONNREFUSED;
    ::close(fd);
    if (refused)
        ::unlink(path.c_str());
}

} // namespace

ChildProcess::~ChildProcess()
{
    if (m_pid > 0 && !m_status) {
        ::kill(-m_pid, SIGKILL); // the whole group: a master and whatever it forked
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    if (m_pid > 0) {
        drain();
        removeStaleControlSocket(m_stderr);
    }
    if (m_out >= 0)
        ::close(m_out);
    if (m_err >= 0)
        ::close(m_err);
}

bool ChildProcess::start()
{
    int out[2], err[2], report[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0)
        return false;
    std::vector<std::string> argvStrings { m_program };
    argvStrings.insert(argvStrings.end(), m_args.begin(), m_args.end());
    std::vector<char*> argv;
    for (auto& s : argvStrings)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        // Nothing of the test's own leaks into the child: a leak test must see only the
        // child's descriptors. The exec report pipe is CLOEXEC and must stay open until exec.
        for (int fd = 3; fd < 1024; ++fd)
            if (fd != report[1] && std::find(m_inherit.begin(), m_inherit.end(), fd) == m_inherit.end())
                ::close(fd);
        ::execv(m_program.c_str(), argv.data());
        const int e = errno;
        (void)!::write(report[1], &e, sizeof(e));
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    ::close(report[1]);
    int childErrno = 0;
    const bool execFailed = ::read(report[0], &childErrno, sizeof(childErrno)) == sizeof(childErrno);
    ::close(report[0]);
    m_pid = pid;
    m_out = out[0];
    m_err = err[0];
    ::fcntl(m_out, F_SETFL, O_NONBLOCK);
    ::fcntl(m_err, F_SETFL, O_NONBLOCK);
    if (execFailed) {
        waitExit(std::chrono::milliseconds(2000));
        return false;
    }
    return true;
}

bool ChildProcess::running()
{
    if (m_pid <= 0 || m_status)
        return false;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = status;
        return false;
    }
    return true;
}

void ChildProcess::signal(int sig)
{
    if (m_pid > 0 && !m_status)
        ::kill(m_pid, sig);
}

std::optional<int> ChildProcess::waitExit(std::chrono::milliseconds deadline)
{
    waitFor([this] { return !running(); }, deadline);
    drain();
    return m_status;
}

void ChildProcess::drain()
{
    readAvailable(m_out, m_stdout);
    readAvailable(m_err, m_stderr);
}

std::string ChildProcess::stdoutText()
{
    drain();
    return m_stdout;
}

std::string ChildProcess::stderrText()
{
    drain();
    return m_stderr;
}

std::optional<std::string> ChildProcess::waitForLine(const std::string& needle, std::chrono::milliseconds deadline)
{
    std::optional<std::string> found;
    waitFor(
        [&] {
            drain();
            std::size_t start = 0;
            for (;;) {
                const auto end = m_stdout.find('\n', start);
                if (end == std::string::npos)
                    return false;
                const auto line = m_stdout.substr(start, end - start);
                if (line.find(needle) != std::string::npos) {
                    found = line;
                    return true;
                }
                start = end + 1;
            }
        },
        deadline);
    return found;
}

HttpResponse httpGet(std::uint16_t port, const std::string& target, std::chrono::milliseconds deadline,
                     const std::string& extraHeaders)
{
    HttpResponse response;
    const std::string raw = rawExchange(
        port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n", deadline);
    const auto headerEnd = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || headerEnd == std::string::npos) {
        response.error = raw.empty() ? "no response" : "malformed response: " + raw.substr(0, 80);
        return response;
    }
    std::istringstream head(raw.substr(0, headerEnd));
    std::string line;
    std::getline(head, line);
    response.status = std::atoi(line.c_str() + 9);
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        response.headers[name] = value;
    }
    response.body = raw.substr(headerEnd + 4);
    return response;
}

std::string rawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds deadline)
{
    const auto end = Clock::now() + deadline;
    std::string error;
    const int fd = connectWithDeadline(port, end, error);
    if (fd < 0)
        return {};
    std::string received;
    if (sendAll(fd, bytes, end)) {
        char buffer[8192];
        for (;;) {
            pollfd p { fd, POLLIN, 0 };
            if (::poll(&p, 1, remainingMs(end)) <= 0)
                break;
            const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
            if (n <= 0)
                break;
            received.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return received;
}

std::uint16_t jsonPort(ChildProcess& master, std::chrono::milliseconds deadline)
{
    const auto line = master.waitForLine("\"port\":", deadline);
    std::smatch match;
    if (!line || !std::regex_search(*line, match, std::regex("\"port\":([0-9]+)")))
        return 0;
    return static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::string lastJsonLine(ChildProcess& master)
{
    const auto text = master.stdoutText();
    const auto end = text.rfind('\n');
    if (end == std::string::npos)
        return {};
    const auto previous = end == 0 ? std::string::npos : text.rfind('\n', end - 1);
    const auto start = previous == std::string::npos ? 0 : previous + 1;
    return text.substr(start, end - start);
}

int jsonLineCount(ChildProcess& master)
{
    const auto text = master.stdoutText();
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<int> onlineWorkerPids(ChildProcess& master, int count, const std::vector<int>& exclude,
                                  std::chrono::milliseconds deadline)
{
    std::vector<int> pids;
    const std::regex online("\"pid\":([0-9]+),\"state\":\"online\"");
    waitFor(
        [&] {
            const auto line = lastJsonLine(master);
            pids.clear();
            for (auto it = std::sregex_iterator(line.begin(), line.end(), online); it != std::sregex_iterator(); ++it)
                pids.push_back(std::stoi((*it)[1]));
            for (int pid : exclude)
                if (std::find(pids.begin(), pids.end(), pid) != pids.end())
                    return false;
            return static_cast<int>(pids.size()) == count;
        },
        deadline);
    return pids;
}

int connectLoopback(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

PortHolder::PortHolder()
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 && ::listen(m_fd, 1) == 0
        && ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        m_port = ntohs(address.sin_port);
}

PortHolder::~PortHolder()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

std::vector<int> childrenOf(int ppid)
{
    std::vector<int> result;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
            continue;
        // readSmallFile, not an ifstream: a process that ends between open and read makes the
        // read fail with ESRCH, which libstdc++'s filebuf throws through istreambuf_iterator.
        const std::string text = readSmallFile((entry.path() / "stat").string()).value_or(std::string {});
        const auto paren = text.rfind(')');
        if (paren == std::string::npos)
            continue;
        std::istringstream fields(text.substr(paren + 2));
        char state = 0;
        int parent = 0;
        fields >> state >> parent;
        if (parent == ppid && state != 'Z')
            result.push_back(std::stoi(name));
    }
    return result;
}

bool processAlive(int pid)
{
    const auto text = readSmallFile("/proc/" + std::to_string(pid) + "/stat"); // gone: nullopt
    const auto stat = text ? parseProcPidStat(*text) : std::nullopt;
    return stat && stat->state != 'Z';
}

std::vector<int> processesMatching(const std::string& needle)
{
    std::vector<int> result;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
            continue;
        std::string text = readSmallFile((entry.path() / "cmdline").string()).value_or(std::string {});
        std::replace(text.begin(), text.end(), '\0', ' ');
        const int pid = std::stoi(name);
        if (text.find(needle) != std::string::npos && pid != ::getpid() && processAlive(pid))
            result.push_back(pid);
    }
    return result;
}

} // namespace cs::test
