#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cs::test {

/// Where the built executables are (CS_BIN_DIR, set by ctest) and the fixtures (CS_TEST_DATA).
std::string binDir();
std::string dataFile(const std::string& name);

/// Milliseconds left until `end` (0 when it has passed), for poll() timeouts.
int remainingMs(std::chrono::steady_clock::time_point end);

/// Polls `condition` every few ms until it holds or the deadline passes. Never a bare sleep.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds deadline);

/// A child process started without a shell, with stdout/stderr captured. The destructor
/// SIGKILLs it and its whole process group if it still runs, so a failing test leaves nothing.
class ChildProcess {
public:
    ChildProcess(std::string program, std::vector<std::string> args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// Lets the child keep this descriptor (it must not be CLOEXEC); every other one above
    /// stderr is closed in the child, so nothing of the test leaks into it.
    void inheritDescriptor(int fd) { m_inherit.push_back(fd); }
    bool start(); ///< false when fork/exec failed
    int pid() const { return m_pid; }
    bool running(); ///< reaps it if it has ended
    void signal(int sig);
    /// Waits for the exit; nullopt on timeout. Returns the raw wait status.
    std::optional<int> waitExit(std::chrono::milliseconds deadline);
    /// Everything the child has written so far (reads what is pending without blocking).
    std::string stdoutText();
    std::string stderrText();
    /// Waits until stdout holds a full line containing `needle`; returns that line.
    std::optional<std::string> waitForLine(const std::string& needle, std::chrono::milliseconds deadline);

private:
    void drain();
    std::string m_program;
    std::vector<std::string> m_args;
    std::vector<int> m_inherit;
    int m_pid = -1;
    int m_out = -1;
    int m_err = -1;
    std::optional<int> m_status;
    std::string m_stdout;
    std::string m_stderr;
};

/// One HTTP/1.1 exchange on loopback with a blocking socket and a deadline.
struct HttpResponse {
    int status = 0; ///< 0 when no valid response came
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
    std::string error; ///< why status is 0
};
HttpResponse httpGet(std::uint16_t port, const std::string& target,
                     std::chrono::milliseconds deadline = std::chrono::milliseconds(3000),
                     const std::string& extraHeaders = "Connection: close\r\n");
/// Sends raw bytes, then reads until the peer closes or the deadline passes; returns what came back.
std::string rawExchange(std::uint16_t port, const std::string& bytes,
                        std::chrono::milliseconds deadline = std::chrono::milliseconds(3000));

// A headless master (`clusterscope --headless --json`) read through its JSON lines.
/// The port from the first JSON snapshot line of a `--headless --json` master; 0 on timeout.
std::uint16_t jsonPort(ChildProcess& master, std::chrono::milliseconds deadline = std::chrono::seconds(10));
/// The last complete JSON line the master printed (empty before the first).
std::string lastJsonLine(ChildProcess& master);
/// Waits for a JSON line in which exactly `count` workers are online, none of them in
/// `exclude`; returns their pids (fewer than `count` on timeout).
std::vector<int> onlineWorkerPids(ChildProcess& master, int count, const std::vector<int>& exclude = {},
                                  std::chrono::milliseconds deadline = std::chrono::seconds(10));
/// How many JSON lines the master has printed so far.
int jsonLineCount(ChildProcess& master);

/// A blocking TCP connection to 127.0.0.1:port (TCP_NODELAY); -1 when refused.
int connectLoopback(std::uint16_t port);

/// A socket listening on a free loopback port, held for the object's lifetime: a port
/// that is really in use, for testing how "port in use" is reported.
class PortHolder {
public:
    PortHolder();
    ~PortHolder();
    PortHolder(const PortHolder&) = delete;
    PortHolder& operator=(const PortHolder&) = delete;
    std::uint16_t port() const { return m_port; }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

/// Pids of live processes whose parent is `ppid` (from /proc).
std::vector<int> childrenOf(int ppid);
bool processAlive(int pid);
/// Pids of live processes whose /proc/PID/cmdline contains `needle`.
std::vector<int> processesMatching(const std::string& needle);

} // namespace cs::test
