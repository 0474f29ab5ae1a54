#include "control/controlserver.h"

#include <boost/asio.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace cs::control {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t kHistory = 500;
constexpr std::size_t kMaxQueuedLines = 1024; ///< a subscriber further behind is dropped

std::optional<gid_t> clusterscopeGroup()
{
    group entry {};
    group* found = nullptr;
    char buffer[4096];
    if (::getgrnam_r("clusterscope", &entry, buffer, sizeof(buffer), &found) != 0 || !found)
        return std::nullopt;
    return found->gr_gid;
}

/// Whether process `pid` has `gid` among its groups (/proc/PID/status: Gid and Groups).
bool processInGroup(pid_t pid, gid_t gid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        const bool gids = line.rfind("Gid:", 0) == 0;
        if (!gids && line.rfind("Groups:", 0) != 0)
            continue;
        std::istringstream values(line.substr(line.find(':') + 1));
        long value = 0;
        while (values >> value)
            if (static_cast<gid_t>(value) == gid)
                return true;
    }
    return false;
}

} // namespace

struct ControlServer::Impl {
    struct Session : std::enable_shared_from_this<Session> {
        explicit Session(Impl& server, local::socket socket)
            : server(server)
            , socket(std::move(socket))
            , input(kMaxLineBytes + 1)
        {
        }
        Impl& server;
        local::socket socket;
        asio::streambuf input;
        std::deque<std::string> queue;
        bool writing = false;
        bool closing = false; ///< close once the queue is written
        bool subscribed = false; ///< snapshots and events
        bool following = false; ///< events only
        bool closed = false;
    };

    asio::io_context io;
    local::acceptor acceptor { io };
    asio::steady_timer tick { io };
    std::thread thread;
    std::list<std::shared_ptr<Session>> sessions;
    std::deque<Event> history;
    Handlers handlers;
    std::string name;
    std::string path;
    std::chrono::milliseconds interval { 1000 };
    std::optional<gid_t> group;
    bool running = false;
    bool closing = false; ///< io thread: stop() has begun; nothing may start new work

    void note(const std::string& text)
    {
        if (handlers.note)
            handlers.note(text);
    }

    void accept()
    {
        acceptor.async_accept([this](boost::system::error_code ec, local::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open() || closing)
                return;
            if (!ec)
                welcome(std::move(socket));
            // Out of descriptors and the like: the next connection may fare better.
            accept();
        });
    }

    void welcome(local::socket socket)
    {
        // Asio opens without close-on-exec: no worker may inherit a control connection.
        ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
        auto session = std::make_shared<Session>(*this, std::move(socket));
        sessions.push_back(session);
        ucred peer {};
        socklen_t length = sizeof(peer);
        const bool known = ::getsockopt(session->socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0;
        const bool allowed = known
            && (peer.uid == ::geteuid() || peer.uid == 0 || (group && processInGroup(peer.pid, *group)));
        if (!allowed) {
            note("control socket: refused a connection from uid " + (known ? std::to_string(peer.uid) : std::string("?"))
                 + " (pid " + (known ? std::to_string(peer.pid) : std::string("?"))
                 + "): only the same user, root or the clusterscope group may control this cluster");
            send(session, errorLine("Only the user running this cluster, root or members of the clusterscope group may control it."));
            session->closing = true;
            return;
        }
        send(session, helloLine(name, static_cast<int>(::getpid())));
        read(session);
    }

    void read(const std::shared_ptr<Session>& session)
    {
        asio::async_read_until(session->socket, session->input, '\n',
                               [this, session](boost::system::error_code ec, std::size_t length) {
                                   if (session->closed)
                                       return;
                                   if (ec == asio::error::not_found) {
                                       refuse(session, "The request is longer than 4096 bytes.");
                                       return;
                                   }
                                   if (ec) {
                                       close(session);
                                       return;
                                   }
                                   std::string line(asio::buffers_begin(session->input.data()),
                                                    asio::buffers_begin(session->input.data()) + std::ptrdiff_t(length) - 1);
                                   session->input.consume(length);
                                   if (!line.empty() && line.back() == '\r')
                                       line.pop_back();
                                   if (!handle(session, line))
                                       return;
                                   read(session);
                               });
    }

    /// False when the session is done reading.
    bool handle(const std::shared_ptr<Session>& session, const std::string& line)
    {
        auto decoded = decodeRequest(line);
        if (auto* error = std::get_if<std::string>(&decoded)) {
            refuse(session, *error);
            return false;
        }
        const Request& request = std::get<Request>(decoded);
        if (std::holds_alternative<request::Status>(request)) {
            send(session, snapshotLine(handlers.snapshotJson()));
            return true;
        }
        if (std::holds_alternative<request::Subscribe>(request)) {
            for (const Event& e : history)
                send(session, eventLine(e));
            send(session, snapshotLine(handlers.snapshotJson()));
            session->subscribed = true;
            return true;
        }
        if (const auto* logs = std::get_if<request::Logs>(&request)) {
            for (const Event& e : history)
                send(session, eventLine(e));
            if (logs->follow) {
                session->following = true;
                return true;
            }
            session->closing = true;
            flush(session);
            return false;
        }
        // Scale, restart, stop, kill, reset: the front end carries them out.
        const std::string error = handlers.command(request);
        send(session, error.empty() ? okLine() : errorLine(error));
        return true;
    }

    void refuse(const std::shared_ptr<Session>& session, const std::string& why)
    {
        send(session, errorLine(why));
        session->closing = true;
        flush(session);
    }

    void send(const std::shared_ptr<Session>& session, std::string line)
    {
        if (session->closed)
            return;
        if (session->queue.size() >= kMaxQueuedLines) {
            note("control socket: dropped a client that read too slowly to keep up");
            close(session);
            return;
        }
        session->queue.push_back(std::move(line));
        flush(session);
    }

    void flush(const std::shared_ptr<Session>& session)
    {
        if (session->writing || session->closed)
            return;
        if (session->queue.empty()) {
            if (session->closing)
                close(session);
            return;
        }
        session->writing = true;
        asio::async_write(session->socket, asio::buffer(session->queue.front()),
                          [this, session](boost::system::error_code ec, std::size_t) {
                              session->writing = false;
                              if (ec) {
                                  close(session);
                                  return;
                              }
                              session->queue.pop_front();
                              flush(session);
                          });
    }

    void close(const std::shared_ptr<Session>& session)
    {
        if (session->closed)
            return;
        session->closed = true;
        boost::system::error_code ignored;
        session->socket.shutdown(local::socket::shutdown_both, ignored);
        session->socket.close(ignored);
        sessions.remove(session);
    }

    void schedule()
    {
        tick.expires_after(interval);
        tick.async_wait([this](boost::system::error_code ec) {
            // A tick that had already fired when stop() cancelled the timer completes with
            // success: without this check it would arm the timer again and the io thread
            // would never run out of work (the master then hung after "cluster stopped").
            if (ec || closing)
                return;
            bool any = false;
            for (const auto& s : sessions)
                any = any || s->subscribed;
            if (any) {
                const std::string line = snapshotLine(handlers.snapshotJson());
                for (const auto& s : std::list<std::shared_ptr<Session>>(sessions))
                    if (s->subscribed)
                        send(s, line);
            }
            schedule();
        });
    }

    void deliver(const std::vector<Event>& events)
    {
        for (const Event& e : events) {
            history.push_back(e);
            if (history.size() > kHistory)
                history.pop_front();
            const std::string line = eventLine(e);
            for (const auto& s : std::list<std::shared_ptr<Session>>(sessions))
                if (s->subscribed || s->following)
                    send(s, line);
        }
    }
};

ControlServer::ControlServer()
    : m_impl(std::make_unique<Impl>())
{
}

ControlServer::~ControlServer()
{
    stop();
}

std::string ControlServer::start(const std::string& name, const std::string& path, Handlers handlers,
                                 std::chrono::milliseconds interval)
{
    Impl& impl = *m_impl;
    if (impl.running)
        return "The control socket is already open.";
    if (path.size() >= sizeof(sockaddr_un::sun_path))
        return "The control socket's path " + path + " is too long for a unix socket; set XDG_RUNTIME_DIR to a shorter directory.";
    const std::string directory = path.substr(0, path.rfind('/'));
    if (!directory.empty() && ::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
        return "Could not create " + directory + " for the control socket: " + std::strerror(errno) + ".";
    boost::system::error_code ec;
    // A socket file left by a master that died: nobody answers on it, so it goes. One that
    // answers belongs to a running cluster of the same name.
    {
        local::socket probe(impl.io);
        probe.connect(local::endpoint(path), ec);
        if (!ec)
            return "A cluster named " + name + " already runs (its control socket " + path
                + " answers); give this one another name.";
        ::unlink(path.c_str());
    }
    impl.acceptor.open(local(), ec);
    if (!ec)
        ::fcntl(impl.acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
    if (!ec)
        impl.acceptor.bind(local::endpoint(path), ec);
    if (!ec)
        impl.acceptor.listen(64, ec);
    if (ec) {
        impl.acceptor.close();
        return "Could not open the control socket " + path + ": " + ec.message() + ".";
    }
    // Only its user; a system service's group too, when that group exists.
    impl.group = clusterscopeGroup();
    const bool service = std::getenv("RUNTIME_DIRECTORY") != nullptr;
    if (service && impl.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *impl.group) == 0)
        ::chmod(path.c_str(), 0660);
    else
        ::chmod(path.c_str(), 0600);
    impl.handlers = std::move(handlers);
    impl.name = name;
    impl.path = path;
    impl.interval = interval;
    impl.running = true;
    impl.accept();
    impl.schedule();
    impl.thread = std::thread([&impl] {
        for (;;) {
            try {
                impl.io.run();
                return;
            } catch (const std::exception& e) {
                // A handler that threw: the socket serves on, and the master never sees it.
                impl.note(std::string("control socket: ") + e.what());
            }
        }
    });
    return {};
}

void ControlServer::publish(const std::vector<Event>& events)
{
    if (!m_impl->running || events.empty())
        return;
    asio::post(m_impl->io, [impl = m_impl.get(), events] { impl->deliver(events); });
}

void ControlServer::stop()
{
    Impl& impl = *m_impl;
    if (!impl.running)
        return;
    asio::post(impl.io, [&impl] {
        impl.closing = true;
        boost::system::error_code ignored;
        impl.acceptor.close(ignored);
        impl.tick.cancel();
        for (const auto& s : std::list<std::shared_ptr<Impl::Session>>(impl.sessions))
            impl.close(s);
    });
    if (impl.thread.joinable())
        impl.thread.join();
    ::unlink(impl.path.c_str());
    impl.running = false;
}

std::string ControlServer::path() const
{
    return m_impl->path;
}

} // namespace cs::control
