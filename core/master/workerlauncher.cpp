#include "master/workerlauncher.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/optional.hpp> // Process v2 in 1.81 names boost::optional without including it
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>

namespace bp = boost::process::v2;

namespace cs {
namespace {

constexpr std::size_t kMaxFds = 4;
constexpr char kListenPid[] = "LISTEN_PID=";

/// Everything between fork and exec happens here, and only async-signal-safe calls are
/// allowed there: no malloc, no locks. All the child needs is prepared before the fork,
/// down to the buffer its own pid is written into.
/// (Boost 1.81's own bind_fd lacks a return in on_setup, so we don't use it.)
class ChildSetup {
public:
    ChildSetup(const SpawnRequest& request, const char* const* environment, char* listenPidDigits)
        : m_count(std::min(request.fds.size(), kMaxFds))
        , m_out(request.stdoutFd)
        , m_err(request.stderrFd)
        , m_environment(environment)
        , m_listenPidDigits(listenPidDigits)
        , m_parent(::getpid())
    {
        for (std::size_t i = 0; i < m_count; ++i)
            m_fds[i] = request.fds[i];
    }

    template <typename Launcher>
    bp::error_code on_setup(Launcher& launcher, const std::filesystem::path&, const char* const*) const
    {
        launcher.env = m_environment;
        for (std::size_t i = 0; i < m_count; ++i)
            launcher.fd_whitelist.push_back(m_fds[i].target);
        return {};
    }

    template <typename Launcher>
    bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*) const
    {
        // Die with the master. The signal fires when the forking *thread* ends, which is why
        // workers are forked from the master's one long-lived thread; if the master is
        // already gone, getppid() has changed and we stop here.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != m_parent)
            return failed(ESRCH);
        // Move every descriptor above the targets first: any of them may itself sit at 1..6.
        // The copies are CLOEXEC; dup2 clears it on the targets, the rest vanish at exec.
        int moved[kMaxFds];
        for (std::size_t i = 0; i < m_count; ++i)
            if ((moved[i] = ::fcntl(m_fds[i].source, F_DUPFD_CLOEXEC, 10)) < 0)
                return failed(errno);
        const int out = m_out >= 0 ? ::fcntl(m_out, F_DUPFD_CLOEXEC, 10) : -1;
        const int err = m_err >= 0 ? ::fcntl(m_err, F_DUPFD_CLOEXEC, 10) : -1;
        if ((m_out >= 0 && out < 0) || (m_err >= 0 && err < 0))
            return failed(errno);
        for (std::size_t i = 0; i < m_count; ++i)
            if (::dup2(moved[i], m_fds[i].target) < 0)
                return failed(errno);
        if ((out >= 0 && ::dup2(out, STDOUT_FILENO) < 0) || (err >= 0 && ::dup2(err, STDERR_FILENO) < 0))
            return failed(errno);
        const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devNull >= 0)
            ::dup2(devNull, STDIN_FILENO);
        if (m_listenPidDigits)
            writeDecimal(m_listenPidDigits, ::getpid());
        // A fresh signal state: the master's handlers and mask must not leak into the worker.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP)
                ::sigaction(sig, &dfl, nullptr);
        return {};
    }

private:
    // Boost looks these hooks up by expression SFINAE: a hook it cannot call on the object as
    // passed is skipped without a word, so they are const to be callable on any reference.
    static bp::error_code failed(int error) { return bp::error_code(error, bp::system_category()); }
    static void writeDecimal(char* into, long value)
    {
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value > 0);
        while (n > 0)
            *into++ = digits[--n];
        *into = '\0';
    }

    std::array<FdMapping, kMaxFds> m_fds {};
    std::size_t m_count;
    int m_out, m_err;
    const char* const* m_environment;
    char* m_listenPidDigits;
    pid_t m_parent;
};

} // namespace

std::string findProgram(const std::string& name)
{
    if (name.empty())
        return {};
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? name : std::string {};
    const char* path = std::getenv("PATH");
    std::stringstream directories(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

SpawnResult spawnWorker(const SpawnRequest& request)
{
    // The environment: ours, with the request's entries replacing same-named ones.
    std::map<std::string, std::string> merged;
    for (char** entry = ::environ; entry && *entry; ++entry) {
        const std::string text(*entry);
        merged[text.substr(0, text.find('='))] = text;
    }
    for (const auto& text : request.extraEnvironment)
        merged[text.substr(0, text.find('='))] = text;
    merged.erase("LISTEN_PID");
    if (request.setListenPid)
        merged["LISTEN_PID"] = std::string(kListenPid) + std::string(20, '0'); // digits written in the child
    std::vector<const char*> environment;
    environment.reserve(merged.size() + 1);
    char* listenPidDigits = nullptr;
    for (auto& [name, text] : merged) {
        environment.push_back(text.c_str());
        if (name == "LISTEN_PID")
            listenPidDigits = text.data() + sizeof(kListenPid) - 1;
    }
    environment.push_back(nullptr);

    // A context of its own with nothing registered, so the launcher's fork notifications do
    // no work in the child; the master reaps through a pidfd on its own loop instead.
    boost::asio::io_context spawnContext;
    bp::default_process_launcher launcher;
    bp::error_code ec;
    const ChildSetup setup(request, environment.data(), listenPidDigits);
    auto process = request.workingDirectory.empty()
        ? launcher(spawnContext, ec, std::filesystem::path(request.program), request.args, setup)
        : launcher(spawnContext, ec, std::filesystem::path(request.program), request.args,
                   bp::process_start_dir(request.workingDirectory), setup);
    if (ec)
        return { -1, "Could not start the worker program '" + request.program + "': " + ec.message() + "." };
    const int pid = process.id();
    process.detach(); // the master owns its lifetime from here
    return { pid, {} };
}

} // namespace cs
