#include "control/client.h"

#include "affinity/cpulist.h"
#include "control/jsonfields.h"

#include "scheduling/policy.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace cs::control {
namespace json = boost::json;
namespace {

using fields::number;
using fields::object;
using fields::text;

std::uint64_t whole(const json::object& o, std::string_view key)
{
    const double value = number(o, key);
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

std::optional<double> maybe(const json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    if (!v || !v->is_number())
        return std::nullopt; // null: not known yet
    return v->to_number<double>();
}

WorkerState stateFrom(std::string_view name)
{
    for (WorkerState s : { WorkerState::Starting, WorkerState::Online, WorkerState::Draining, WorkerState::BackingOff,
                           WorkerState::Failed, WorkerState::Stopped })
        if (stateName(s) == name)
            return s;
    return WorkerState::Stopped;
}


} // namespace

// ---- Connection

Connection::~Connection()
{
    close();
}

std::string Connection::open(const std::string& path)
{
    close();
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0)
        return std::strerror(errno);
    if (!S_ISSOCK(info.st_mode))
        return "it is not a socket";
    const bool ownerTrusted = info.st_uid == ::geteuid() || info.st_uid == 0;
    const group* serviceGroup = ::getgrnam("clusterscope");
    if ((info.st_mode & S_IWOTH) || (!ownerTrusted && !(serviceGroup && info.st_gid == serviceGroup->gr_gid))) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", unsigned(info.st_mode & 07777));
        return std::string("the socket is open to other users (mode ") + mode + ", owner uid " + std::to_string(info.st_uid)
            + "), so it may not be the cluster's; stop the cluster, remove the socket and start it again";
    }
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path))
        return "the path is too long";
    std::memcpy(address.sun_path, path.c_str(), path.size());
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0 || ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        const std::string why = std::strerror(errno);
        close();
        return why;
    }
    const auto hello = readLine(std::chrono::seconds(3));
    const auto first = hello ? object(*hello) : std::nullopt;
    if (!first) {
        close();
        return hello ? "it answered something else than the control protocol" : "it did not answer";
    }
    if (text(*first, "type") == "error") {
        const std::string said = text(*first, "message");
        close();
        return said;
    }
    if (text(*first, "type") != "hello") {
        close();
        return "it answered something else than the control protocol";
    }
    m_helloName = text(*first, "name");
    m_helloPid = static_cast<int>(number(*first, "pid"));
    return {};
}

bool Connection::send(const std::string& line)
{
    std::size_t done = 0;
    while (m_fd >= 0 && done < line.size()) {
        const ssize_t n = ::send(m_fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += std::size_t(n);
    }
    return m_fd >= 0;
}

std::optional<std::string> Connection::readLine(std::chrono::milliseconds deadline, int wakeFd)
{
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + deadline;
    for (;;) {
        if (const auto newline = m_buffer.find('\n'); newline != std::string::npos) {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        if (m_fd < 0 || m_buffer.size() > (std::size_t(64) << 20))
            return std::nullopt;
        int wait = -1;
        if (deadline.count() >= 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
            if (left <= 0)
                return std::nullopt;
            wait = static_cast<int>(left);
        }
        pollfd fds[2] = { { m_fd, POLLIN, 0 }, { wakeFd, POLLIN, 0 } };
        const int ready = ::poll(fds, wakeFd >= 0 ? 2 : 1, wait);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0 || (wakeFd >= 0 && fds[1].revents))
            return std::nullopt;
        char chunk[65536];
        const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return std::nullopt;
        m_buffer.append(chunk, std::size_t(n));
    }
}

void Connection::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_buffer.clear();
}

std::vector<RunningCluster> findClusterSockets()
{
    std::vector<std::string> directories { socketDirectory() };
    // A system service's socket: /run/clusterscope/NAME/NAME.sock (its RuntimeDirectory).
    if (DIR* run = ::opendir("/run/clusterscope")) {
        while (const dirent* entry = ::readdir(run))
            if (entry->d_name[0] != '.')
                directories.push_back(std::string("/run/clusterscope/") + entry->d_name);
        ::closedir(run);
    }
    std::vector<RunningCluster> found;
    for (const std::string& directory : directories) {
        DIR* dir = ::opendir(directory.c_str());
        if (!dir)
            continue;
        while (const dirent* entry = ::readdir(dir)) {
            const std::string file = entry->d_name;
            if (file.size() > 5 && file.compare(file.size() - 5, 5, ".sock") == 0)
                found.push_back({ file.substr(0, file.size() - 5), directory + "/" + file });
        }
        ::closedir(dir);
    }
    std::sort(found.begin(), found.end(), [](const RunningCluster& a, const RunningCluster& b) { return a.name < b.name; });
    return found;
}

std::optional<Snapshot> snapshotFromJson(std::string_view line)
{
    const auto parsed = object(line);
    if (!parsed)
        return std::nullopt;
    const json::object& o = *parsed;
    Snapshot s;
    s.sequence = whole(o, "seq");
    s.clusterUptimeSeconds = number(o, "uptime");
    s.running = o.if_contains("running") && o.at("running").is_bool() && o.at("running").get_bool();
    s.bindAddress = text(o, "bind");
    s.port = static_cast<std::uint16_t>(whole(o, "port"));
    s.policy = parsePolicy(text(o, "policy")).value_or(Policy::RoundRobin);
    s.requestMetrics = !o.if_contains("requestMetrics") || !o.at("requestMetrics").is_bool() || o.at("requestMetrics").get_bool();
    if (const auto* master = o.if_contains("master"); master && master->is_object()) {
        s.masterPid = static_cast<int>(number(master->get_object(), "pid"));
        s.masterCpuPercent = number(master->get_object(), "cpu");
        s.masterRssBytes = whole(master->get_object(), "rss");
    }
    s.totalRequestsPerSecond = number(o, "totalRps");
    s.totalRequests = whole(o, "totalRequests");
    s.fairness = maybe(o, "fairness");
    s.connectionFairness = maybe(o, "connectionFairness");
    s.latencyP50Ms = number(o, "p50Ms");
    s.latencyP99Ms = number(o, "p99Ms");
    if (s.totalRequestsPerSecond > 0)
        s.latency.record(static_cast<std::uint64_t>(s.latencyP50Ms * 1000)); // "measured": see the header
    if (const auto* cores = o.if_contains("cores"); cores && cores->is_array()) {
        int index = 0;
        for (const auto& busy : cores->get_array())
            s.cores.push_back({ index++, busy.is_number() ? busy.to_number<double>() : 0 });
    }
    if (const auto* workers = o.if_contains("workers"); workers && workers->is_array())
        for (const auto& item : workers->get_array()) {
            if (!item.is_object())
                continue;
            const json::object& w = item.get_object();
            WorkerSample sample;
            sample.slot = static_cast<int>(number(w, "slot"));
            sample.pid = static_cast<int>(number(w, "pid"));
            sample.state = stateFrom(text(w, "state"));
            sample.uptimeSeconds = number(w, "uptime");
            sample.restarts = static_cast<int>(number(w, "restarts"));
            sample.requestsPerSecond = number(w, "rps");
            sample.requests = whole(w, "requests");
            sample.openConnections = static_cast<std::uint32_t>(whole(w, "open"));
            sample.connectionsHandedOff = whole(w, "handedOff");
            sample.connectionsAccepted = whole(w, "accepted");
            sample.cpuPercent = number(w, "cpu");
            sample.rssBytes = whole(w, "rss");
            sample.core = static_cast<int>(number(w, "core", -1));
            sample.allowedCpus = parseCpuList(text(w, "cpus")).value_or(CpuList {}); // absent (older master): unknown
            sample.latencyP50Ms = number(w, "p50Ms");
            sample.latencyP99Ms = number(w, "p99Ms");
            s.workers.push_back(sample);
        }
    return s;
}

std::optional<Event> eventFromJson(std::string_view line)
{
    const auto parsed = object(line);
    if (!parsed)
        return std::nullopt;
    const json::object& o = *parsed;
    const std::string kind = text(o, "kind");
    Event e;
    bool known = false;
    for (int k = 0; k <= static_cast<int>(EventKind::SpawnFailed); ++k)
        if (eventKindName(EventKind(k)) == kind) {
            e.kind = EventKind(k);
            known = true;
        }
    if (!known)
        return std::nullopt;
    e.time = number(o, "time");
    e.slot = static_cast<int>(number(o, "slot"));
    e.pid = static_cast<int>(number(o, "pid"));
    e.message = text(o, "message");
    const std::string reason = text(o, "reason");
    for (int r = 0; r <= static_cast<int>(ExitReason::SpawnFailed); ++r)
        if (exitReasonName(ExitReason(r)) == reason)
            e.reason = ExitReason(r);
    e.exitCode = static_cast<int>(number(o, "exitCode"));
    e.signal = static_cast<int>(number(o, "signal"));
    e.delayMs = static_cast<int>(number(o, "delayMs"));
    e.workers = static_cast<int>(number(o, "workers"));
    const std::string stream = text(o, "stream");
    e.stream = stream == "stdout" ? LogStream::Stdout : stream == "stderr" ? LogStream::Stderr : LogStream::Master;
    return e;
}

// ---- ControlClient

struct ControlClient::Impl {
    Connection connection;
    int wake = -1; ///< eventfd: detach() ends the reader's wait
    std::thread reader;
    std::mutex sendMutex;
    std::atomic<bool> connected { false };
    std::atomic<bool> detaching { false };
    Callbacks callbacks;

    void read()
    {
        std::vector<Event> events;
        for (;;) {
            // A batch: every line already here, then the events go out together.
            auto line = connection.readLine(std::chrono::milliseconds(-1), wake);
            if (!line)
                break;
            handle(*line, events);
            while (auto more = connection.readLine(std::chrono::milliseconds(0), wake))
                handle(*more, events);
            if (!events.empty() && callbacks.events)
                callbacks.events(std::exchange(events, {}));
        }
        connected = false;
        if (!detaching && callbacks.closed)
            callbacks.closed("the cluster stopped, or its master went away");
    }

    void handle(const std::string& line, std::vector<Event>& events)
    {
        const auto message = object(line);
        if (!message)
            return;
        const std::string type = text(*message, "type");
        if (type == "snapshot") {
            if (const auto* s = message->if_contains("snapshot"))
                if (auto snapshot = snapshotFromJson(json::serialize(*s)); snapshot && callbacks.snapshot)
                    callbacks.snapshot(std::make_shared<const Snapshot>(std::move(*snapshot)));
        } else if (type == "event") {
            if (const auto* e = message->if_contains("event"))
                if (auto event = eventFromJson(json::serialize(*e)))
                    events.push_back(std::move(*event));
        } else if (type == "error") {
            if (callbacks.refused)
                callbacks.refused(text(*message, "message"));
        }
    }
};

ControlClient::ControlClient()
    : m_impl(std::make_unique<Impl>())
{
}

ControlClient::~ControlClient()
{
    detach();
}

std::string ControlClient::attach(const std::string& path, Callbacks callbacks)
{
    Impl& impl = *m_impl;
    if (impl.reader.joinable())
        return "Already attached; detach first.";
    if (const std::string why = impl.connection.open(path); !why.empty())
        return "Could not attach to the cluster at " + path + ": " + why + ".";
    impl.callbacks = std::move(callbacks);
    impl.wake = ::eventfd(0, EFD_CLOEXEC);
    impl.detaching = false;
    impl.connected = true;
    if (!send(request::Subscribe {})) {
        detach();
        return "The cluster at " + path + " closed the connection.";
    }
    impl.reader = std::thread([&impl] { impl.read(); });
    return {};
}

bool ControlClient::send(const Request& request)
{
    Impl& impl = *m_impl;
    std::lock_guard lock(impl.sendMutex);
    return impl.connected && impl.connection.send(encodeRequest(request));
}

void ControlClient::detach()
{
    Impl& impl = *m_impl;
    impl.detaching = true;
    if (impl.wake >= 0) {
        const std::uint64_t one = 1;
        (void)!::write(impl.wake, &one, sizeof(one));
    }
    if (impl.reader.joinable())
        impl.reader.join();
    std::lock_guard lock(impl.sendMutex);
    impl.connected = false;
    impl.connection.close();
    if (impl.wake >= 0)
        ::close(impl.wake);
    impl.wake = -1;
}

bool ControlClient::attached() const
{
    return m_impl->connected;
}

std::string ControlClient::name() const
{
    return m_impl->connection.helloName();
}

std::optional<Snapshot> requestStatus(const std::string& path, std::chrono::milliseconds deadline, std::string* why)
{
    auto fail = [why](std::string reason) -> std::optional<Snapshot> {
        if (why)
            *why = std::move(reason);
        return std::nullopt;
    };
    Connection connection;
    if (std::string error = connection.open(path); !error.empty())
        return fail(std::move(error));
    if (!connection.send(encodeRequest(request::Status {})))
        return fail("the master closed the connection");
    const auto line = connection.readLine(deadline);
    if (!line)
        return fail("the master did not answer");
    const auto reply = object(*line);
    if (!reply || !reply->if_contains("snapshot"))
        return fail("the master answered something else than its status");
    auto snapshot = snapshotFromJson(json::serialize(reply->at("snapshot")));
    if (!snapshot)
        return fail("the master's status could not be read");
    return snapshot;
}

} // namespace cs::control
