#include "control/client.h"

#include "scheduling/policy.h"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace cs::control {
namespace json = boost::json;
namespace {

double number(const json::object& o, std::string_view key, double otherwise = 0)
{
    const auto* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : otherwise;
}

std::uint64_t whole(const json::object& o, std::string_view key)
{
    const double value = number(o, key);
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

std::string text(const json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
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

std::optional<json::object> object(std::string_view line)
{
    json::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    return std::move(value.get_object());
}

} // namespace

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
    int fd = -1;
    int wake = -1; ///< eventfd: detach() ends the reader's poll
    std::thread reader;
    std::mutex sendMutex;
    std::string name;
    std::atomic<bool> connected { false };
    Callbacks callbacks;

    void read()
    {
        std::string buffer;
        std::string why = "the cluster stopped, or its master went away";
        for (;;) {
            pollfd fds[2] = { { fd, POLLIN, 0 }, { wake, POLLIN, 0 } };
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                why = std::string("reading from the cluster failed: ") + std::strerror(errno);
                break;
            }
            if (fds[1].revents)
                return; // detached: no callback
            char chunk[65536];
            const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            buffer.append(chunk, std::size_t(n));
            std::vector<Event> events;
            for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
                const std::string line = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                handle(line, events);
            }
            if (!events.empty() && callbacks.events)
                callbacks.events(std::move(events));
            if (buffer.size() > (std::size_t(64) << 20)) {
                why = "the cluster sent a line longer than 64 MiB";
                break;
            }
        }
        connected = false;
        if (callbacks.closed)
            callbacks.closed(why);
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
    impl.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        detach();
        return "The control socket's path is too long.";
    }
    std::memcpy(address.sun_path, path.c_str(), path.size());
    if (impl.fd < 0 || ::connect(impl.fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        const std::string why = std::strerror(errno);
        detach();
        return "Could not reach the cluster at " + path + ": " + why + ".";
    }
    // The hello, within 3 s: a master, and one that lets us in.
    std::string hello;
    pollfd p { impl.fd, POLLIN, 0 };
    while (hello.find('\n') == std::string::npos && ::poll(&p, 1, 3000) > 0) {
        char chunk[4096];
        const ssize_t n = ::recv(impl.fd, chunk, sizeof(chunk), 0);
        if (n <= 0)
            break;
        hello.append(chunk, std::size_t(n));
    }
    const auto first = object(hello.substr(0, hello.find('\n')));
    if (!first || text(*first, "type") != "hello") {
        const std::string said = first && text(*first, "type") == "error" ? text(*first, "message") : std::string();
        detach();
        return said.empty() ? "The socket at " + path + " did not answer as a Clusterscope master." : said;
    }
    impl.name = text(*first, "name");
    impl.callbacks = std::move(callbacks);
    impl.wake = ::eventfd(0, EFD_CLOEXEC);
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
    if (!impl.connected || impl.fd < 0)
        return false;
    const std::string line = encodeRequest(request);
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::send(impl.fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += std::size_t(n);
    }
    return true;
}

void ControlClient::detach()
{
    Impl& impl = *m_impl;
    if (impl.wake >= 0) {
        const std::uint64_t one = 1;
        (void)!::write(impl.wake, &one, sizeof(one));
    }
    if (impl.reader.joinable())
        impl.reader.join();
    std::lock_guard lock(impl.sendMutex);
    impl.connected = false;
    for (int* fd : { &impl.fd, &impl.wake })
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
}

bool ControlClient::attached() const
{
    return m_impl->connected;
}

std::string ControlClient::name() const
{
    return m_impl->name;
}

} // namespace cs::control
