#include "control/ctl.h"

#include "control/client.h"
#include "control/jsonfields.h"
#include "control/protocol.h"
#include "messages/wording.h"
#include "settings/settingtable.h"

#include <boost/json.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>

#include <unistd.h>

namespace cs::control {
namespace json = boost::json;
namespace {

using Found = RunningCluster;

/// A field for display: a string as it is, a number as JSON writes it, "-" when missing or null.
std::string shown(const json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return "-";
    if (v->is_string())
        return std::string(v->get_string());
    if (v->is_double()) {
        // Boost.JSON writes 0.0 as "0E0": a reader wants "0".
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%.6g", v->get_double());
        return buffer;
    }
    return json::serialize(*v);
}

using fields::number;

/// The snapshot as a short table.
std::string formatStatus(const std::string& name, const json::object& s)
{
    std::string out;
    char line[256];
    const bool counted = s.if_contains("requestMetrics") && s.at("requestMetrics").is_bool() && s.at("requestMetrics").get_bool();
    std::snprintf(line, sizeof(line), "cluster %s: %s, policy %s, up %s, %s req/s, fairness %s\n", name.c_str(),
                  hostPort(fields::text(s, "bind"), unsigned(number(s, "port"))).c_str(), shown(s, "policy").c_str(),
                  formatUptime(number(s, "uptime")).c_str(), counted ? shown(s, "totalRps").c_str() : "-",
                  counted ? shown(s, "fairness").c_str() : "-");
    out += line;
    std::snprintf(line, sizeof(line), "%5s %8s %-11s %9s %8s %9s %11s\n", "slot", "pid", "state", "uptime", "restarts",
                  "req/s", "requests");
    out += line;
    if (const auto* workers = s.if_contains("workers"); workers && workers->is_array())
        for (const json::value& w : workers->get_array()) {
            if (!w.is_object())
                continue;
            const auto& o = w.get_object();
            std::snprintf(line, sizeof(line), "%5s %8s %-11s %9s %8s %9s %11s\n", ("#" + shown(o, "slot")).c_str(),
                          shown(o, "pid").c_str(), shown(o, "state").c_str(), formatUptime(number(o, "uptime")).c_str(),
                          shown(o, "restarts").c_str(), counted ? shown(o, "rps").c_str() : "-",
                          counted ? shown(o, "requests").c_str() : "-");
            out += line;
        }
    return out;
}

std::string formatEventLine(const json::object& e)
{
    char line[1024];
    const std::string slot = number(e, "slot") > 0 ? "worker " + shown(e, "slot") : std::string("master");
    std::snprintf(line, sizeof(line), "[%9.3f] %s: %s", number(e, "time"), slot.c_str(), shown(e, "message").c_str());
    return line;
}

std::optional<int> parseInt(const std::string& s, int min, int max)
{
    int value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc {} || ptr != s.data() + s.size() || value < min || value > max)
        return std::nullopt;
    return value;
}

int usageError(const std::string& sentence)
{
    std::fprintf(stderr, "clusterscope ctl: %s\n", sentence.c_str());
    return 2;
}

int failure(const std::string& sentence)
{
    std::fprintf(stderr, "clusterscope ctl: %s\n", sentence.c_str());
    return 1;
}


} // namespace

std::string ctlUsage()
{
    return "Usage: clusterscope ctl COMMAND [ARGS] [--name NAME] [--json]\n"
           "Controls a running cluster (a headless master or a service) through its control socket.\n"
           "\n"
           "  list               the clusters running, found by their control sockets\n"
           "  status             the cluster's table once\n"
           "  top                the table, live (Ctrl-C ends it)\n"
           "  scale N            run N workers (as many as --workers takes)\n"
           "  restart            a rolling restart: every worker replaced, no request lost\n"
           "  kill SLOT [SIGNAL] send a signal (a number, default 15) to a slot's worker\n"
           "  reset [SLOT]       bring back a failed slot (none given: every failed slot)\n"
           "  stop               stop the cluster gracefully\n"
           "  logs [-f]          the recent events and worker output; -f follows new ones\n"
           "\n"
           "  --name NAME        which cluster (needed when more than one runs): a config file's\n"
           "                     name without .toml/.json, else its port\n"
           "  --json             the master's own JSON lines instead of text\n"
           "\n"
           "Sockets: $XDG_RUNTIME_DIR/clusterscope/NAME.sock, and /run/clusterscope/NAME/NAME.sock for\n"
           "a system service (members of the clusterscope group may use it).\n"
           "Exit status: 0 done, 1 no such cluster or it refused, 2 a usage mistake.\n";
}

int runCtl(const std::vector<std::string>& args)
{
    std::vector<std::string> words;
    std::string name;
    bool asJson = false, follow = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::fputs(ctlUsage().c_str(), stdout);
            return 0;
        }
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json")
            asJson = true;
        else if (a == "-f" || a == "--follow")
            follow = true;
        else if (a == "--name" || a.rfind("--name=", 0) == 0) {
            if (a == "--name") {
                if (i + 1 >= args.size())
                    return usageError("--name needs a value: the cluster's name, as `clusterscope ctl list` shows it.");
                name = args[++i];
            } else {
                name = a.substr(7);
            }
        } else if (a.rfind("--", 0) == 0)
            return usageError("Unknown option " + a + "; see clusterscope ctl --help.");
        else
            words.push_back(a);
    }
    if (words.empty())
        return usageError("Say what to do, e.g. clusterscope ctl status; see clusterscope ctl --help.");
    const std::string command = words.front();
    const std::vector<std::string> rest(words.begin() + 1, words.end());

    const std::vector<Found> sockets = findClusterSockets();
    if (command == "list") {
        if (!rest.empty())
            return usageError("list takes no arguments.");
        int live = 0;
        for (const Found& f : sockets) {
            Connection c;
            if (!c.open(f.path).empty())
                continue; // left by a master that died, or not ours to open
            c.send(encodeRequest(request::Status {}));
            const auto line = c.readLine(std::chrono::seconds(3));
            const auto reply = line ? fields::object(*line) : std::nullopt;
            if (!reply || !reply->if_contains("snapshot"))
                continue;
            ++live;
            if (asJson) {
                std::printf("{\"name\":%s,\"socket\":%s,\"pid\":%s,\"snapshot\":%s}\n", json::serialize(json::value(f.name)).c_str(),
                            json::serialize(json::value(f.path)).c_str(), std::to_string(c.helloPid()).c_str(),
                            json::serialize(reply->at("snapshot")).c_str());
                continue;
            }
            const auto& s = reply->at("snapshot").as_object();
            int online = 0, slots = 0;
            if (const auto* workers = s.if_contains("workers"); workers && workers->is_array())
                for (const auto& w : workers->get_array()) {
                    ++slots;
                    online += w.is_object() && shown(w.get_object(), "state") == "online" ? 1 : 0;
                }
            std::printf("%-16s pid %-8s %s  %s  %d/%d online  up %s\n", f.name.c_str(), std::to_string(c.helloPid()).c_str(),
                        hostPort(fields::text(s, "bind"), unsigned(number(s, "port"))).c_str(), shown(s, "policy").c_str(),
                        online, slots,
                        formatUptime(number(s, "uptime")).c_str());
        }
        if (live == 0 && !asJson)
            std::printf("No cluster is running (none answers in %s or /run/clusterscope).\n", socketDirectory().c_str());
        return 0;
    }

    // Every other command talks to one cluster.
    std::optional<Request> request;
    if (command == "status" || command == "top") {
        if (!rest.empty())
            return usageError(command + " takes no arguments.");
        request = command == "status" ? Request { request::Status {} } : Request { request::Subscribe {} };
    } else if (command == "scale") {
        constexpr const Setting& range = setting(Program::Clusterscope, "--workers");
        const int lowest = int(range.minimum), highest = int(range.maximum);
        const auto n = rest.size() == 1 ? parseInt(rest[0], lowest, highest) : std::nullopt;
        if (!n)
            return usageError("scale takes the number of workers, from " + std::to_string(lowest) + " to "
                              + std::to_string(highest) + ": clusterscope ctl scale 4.");
        request = request::Scale { *n };
    } else if (command == "restart" || command == "stop") {
        if (!rest.empty())
            return usageError(command + " takes no arguments.");
        request = command == "restart" ? Request { request::Restart {} } : Request { request::Stop {} };
    } else if (command == "kill") {
        const auto slot = !rest.empty() && rest.size() <= 2 ? parseInt(rest[0], 1, 1000000) : std::nullopt;
        const auto signal = rest.size() == 2 ? parseInt(rest[1], 1, 64) : std::optional<int>(SIGTERM);
        if (!slot || !signal)
            return usageError("kill takes a slot and, if you like, a signal number: clusterscope ctl kill 2 9.");
        request = request::Kill { *slot, *signal };
    } else if (command == "reset") {
        const auto slot = rest.size() == 1 ? parseInt(rest[0], 1, 1000000) : std::optional<int>(0);
        if (!slot || rest.size() > 1)
            return usageError("reset takes at most a slot number: clusterscope ctl reset 2.");
        request = request::Reset { *slot };
    } else if (command == "logs") {
        if (!rest.empty())
            return usageError("logs takes no arguments but -f.");
        request = request::Logs { follow };
    } else {
        return usageError("No command \"" + command + "\"; see clusterscope ctl --help.");
    }

    std::string path;
    if (!name.empty()) {
        for (const Found& f : sockets)
            if (f.name == name)
                path = f.path;
        if (path.empty())
            return failure("No cluster named " + name + " is running; clusterscope ctl list shows those that are.");
    } else {
        std::vector<const Found*> live;
        for (const Found& f : sockets) {
            Connection probe;
            if (probe.open(f.path).empty())
                live.push_back(&f);
        }
        if (live.empty())
            return failure("No cluster is running (none answers in " + socketDirectory() + " or /run/clusterscope).");
        if (live.size() > 1) {
            std::string names;
            for (const Found* f : live)
                names += (names.empty() ? "" : ", ") + f->name;
            return usageError(std::to_string(live.size()) + " clusters are running (" + names + "): say which with --name.");
        }
        path = live.front()->path;
        name = live.front()->name;
    }
    Connection connection;
    if (const std::string error = connection.open(path); !error.empty())
        return failure("Cluster " + name + " cannot be reached at " + path + ": " + error + ".");
    if (!connection.send(encodeRequest(*request)))
        return failure("Cluster " + name + " closed the connection.");

    const bool streaming = command == "top" || (command == "logs" && follow);
    const bool tty = ::isatty(STDOUT_FILENO);
    for (;;) {
        const auto line = connection.readLine(streaming ? std::chrono::milliseconds(-1) : std::chrono::milliseconds(10000));
        if (!line) {
            if (command == "logs" && !follow)
                return 0; // the master closes after the history
            return streaming ? 0 : failure("Cluster " + name + " did not answer.");
        }
        const auto reply = fields::object(*line);
        if (!reply)
            return failure("Cluster " + name + " answered something else than the control protocol.");
        const std::string type = shown(*reply, "type");
        if (type == "error")
            return failure("Cluster " + name + " refused: " + shown(*reply, "message"));
        if (asJson) {
            std::printf("%s\n", line->c_str());
            std::fflush(stdout);
        }
        if (type == "ok") {
            if (!asJson)
                std::printf("%s: done\n", command.c_str());
            return 0;
        }
        if (type == "snapshot") {
            if (!asJson)
                std::printf("%s%s", command == "top" && tty ? "\033[H\033[2J" : "",
                            formatStatus(name, reply->at("snapshot").as_object()).c_str());
            std::fflush(stdout);
            if (command == "status")
                return 0;
        } else if (type == "event") {
            if (!asJson && command == "logs") {
                std::printf("%s\n", formatEventLine(reply->at("event").as_object()).c_str());
                std::fflush(stdout);
            }
        }
    }
}

} // namespace cs::control
