#include "master/workerlauncher.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/optional.hpp> // Process v2 in 1.81 names boost::optional without including it
#include <boost/process/v2/process.hpp>

namespace bp = boost::process::v2;

namespace cs {
namespace {

/// Everything between fork and exec happens here, and only async-signal-safe calls are
/// allowed there: no malloc, no locks. All the child needs is prepared before the fork.
/// (Boost 1.81's own bind_fd lacks a return in on_setup, so we don't use it.)
class ChildSetup {
public:
    ChildSetup(const SpawnRequest& request, const char* const* environment)
        : m_channel(request.channelFd)
        , m_listen(request.listenFd)
        , m_out(request.stdoutFd)
        , m_err(request.stderrFd)
        , m_environment(environment)
        , m_parent(::getpid())
    {
    }

    template <typename Launcher>
    bp::error_code on_setup(Launcher& launcher, const std::filesystem::path&, const char* const*)
    {
        launcher.env = m_environment;
        launcher.fd_whitelist.push_back(3);
        if (m_listen >= 0)
            launcher.fd_whitelist.push_back(4);
        return {};
    }

    template <typename Launcher>
    bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*)
    {
        // Die with the master. The signal fires when the forking *thread* ends, which is why
        // workers are forked from the master's one long-lived thread; if the master is
        // already gone, getppid() has changed and we stop here.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != m_parent)
            return failed(ESRCH);
        // Move every descriptor above the targets first: any of them may itself sit at 1..4.
        const int channel = ::fcntl(m_channel, F_DUPFD_CLOEXEC, 10);
        const int listen = m_listen >= 0 ? ::fcntl(m_listen, F_DUPFD_CLOEXEC, 10) : -1;
        const int out = m_out >= 0 ? ::fcntl(m_out, F_DUPFD_CLOEXEC, 10) : -1;
        const int err = m_err >= 0 ? ::fcntl(m_err, F_DUPFD_CLOEXEC, 10) : -1;
        if (channel < 0 || (m_listen >= 0 && listen < 0) || (m_out >= 0 && out < 0) || (m_err >= 0 && err < 0))
            return failed(errno);
        // dup2 clears FD_CLOEXEC on the copy; the originals (all CLOEXEC) vanish at exec.
        if (::dup2(channel, 3) < 0 || (listen >= 0 && ::dup2(listen, 4) < 0))
            return failed(errno);
        if ((out >= 0 && ::dup2(out, STDOUT_FILENO) < 0) || (err >= 0 && ::dup2(err, STDERR_FILENO) < 0))
            return failed(errno);
        const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devNull >= 0)
            ::dup2(devNull, STDIN_FILENO);
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
    static bp::error_code failed(int error) { return bp::error_code(error, bp::system_category()); }

    int m_channel, m_listen, m_out, m_err;
    const char* const* m_environment;
    pid_t m_parent;
};

} // namespace

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
    std::vector<const char*> environment;
    environment.reserve(merged.size() + 1);
    for (const auto& [name, text] : merged)
        environment.push_back(text.c_str());
    environment.push_back(nullptr);

    // A context of its own with nothing registered, so the launcher's fork notifications do
    // no work in the child; we reap through a pidfd on the master's loop instead.
    boost::asio::io_context spawnContext;
    bp::default_process_launcher launcher;
    bp::error_code ec;
    auto process = launcher(spawnContext, ec, std::filesystem::path(request.program), request.args,
                            ChildSetup(request, environment.data()));
    if (ec)
        return { -1, "Could not start the worker program '" + request.program + "': " + ec.message() + "." };
    const int pid = process.id();
    process.detach(); // the master owns its lifetime from here
    return { pid, {} };
}

} // namespace cs
