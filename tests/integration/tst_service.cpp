// `clusterscope --headless` as systemd runs it: the notify protocol on a real unix datagram
// socket, a listening socket handed over the way socket activation does, a restart of the
// master on that socket without a refused connection, and journald's severity prefixes.
#include "testsupport.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using Clock = std::chrono::steady_clock;

namespace {

std::string clusterscope() { return cs::test::binDir() + "/clusterscope"; }

/// A datagram socket the test listens on, as systemd's $NOTIFY_SOCKET.
class NotifySocket {
public:
    NotifySocket()
    {
        m_path = "/tmp/cs-notify-" + std::to_string(::getpid()) + "-" + std::to_string(s_count++);
        ::unlink(m_path.c_str());
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, m_path.c_str(), sizeof(address.sun_path) - 1);
        m_bound = ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~NotifySocket()
    {
        ::close(m_fd);
        ::unlink(m_path.c_str());
    }
    bool bound() const { return m_bound; }
    const std::string& path() const { return m_path; }

    struct Message {
        Clock::time_point at;
        std::string text;
    };
    /// The next datagram, or nullopt at the deadline.
    std::optional<Message> next(std::chrono::milliseconds deadline)
    {
        const auto end = Clock::now() + deadline;
        pollfd p { m_fd, POLLIN, 0 };
        if (::poll(&p, 1, cs::test::remainingMs(end)) <= 0)
            return std::nullopt;
        char buffer[4096];
        const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
        if (n <= 0)
            return std::nullopt;
        return Message { Clock::now(), std::string(buffer, std::size_t(n)) };
    }
    /// Reads until a datagram contains `needle`; every datagram read is kept in `seen`.
    std::optional<Message> waitFor(const std::string& needle, std::chrono::milliseconds deadline, std::vector<Message>& seen)
    {
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            auto message = next(std::chrono::milliseconds(cs::test::remainingMs(end)));
            if (!message)
                break;
            seen.push_back(*message);
            if (message->text.find(needle) != std::string::npos)
                return message;
        }
        return std::nullopt;
    }

private:
    static inline int s_count = 0;
    std::string m_path;
    int m_fd = -1;
    bool m_bound = false;
};

/// Sets environment variables for the children started in its lifetime (they copy ours).
class ScopedEnvironment {
public:
    explicit ScopedEnvironment(std::vector<std::pair<std::string, std::string>> entries)
        : m_entries(std::move(entries))
    {
        for (const auto& [name, value] : m_entries)
            ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnvironment()
    {
        for (const auto& [name, value] : m_entries)
            ::unsetenv(name.c_str());
    }

private:
    std::vector<std::pair<std::string, std::string>> m_entries;
};

/// A listening loopback socket at a high descriptor, inheritable, as a .socket unit holds it.
struct HeldListener {
    int fd = -1;
    std::uint16_t port = 0;
    HeldListener()
    {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        if (::bind(s, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(s, 512) != 0
            || ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            ::close(s);
            return;
        }
        port = ntohs(address.sin_port);
        // Above what the test's other threads take, and not 3, which the child must get.
        fd = ::fcntl(s, F_DUPFD, 200);
        ::close(s);
    }
    ~HeldListener()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

/// The master started the way systemd starts a socket-activated service: the socket at
/// descriptor 3, LISTEN_FDS=1, LISTEN_PID its own pid (set by the shell that execs it).
std::unique_ptr<ChildProcess> activatedMaster(const HeldListener& listener, const std::string& policy)
{
    const std::string fd = std::to_string(listener.fd);
    auto master = std::make_unique<ChildProcess>(
        "/bin/bash",
        std::vector<std::string> { "-c",
                                   "exec 3<&" + fd + " " + fd + "<&-; LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"",
                                   clusterscope(), "--headless", "--workers", "2", "--policy", policy, "--json",
                                   "--interval", "100" });
    master->inheritDescriptor(listener.fd);
    return master;
}

std::string environmentOf(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class TestService : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void notifyProtocolInOrder();
    void servesOnAnInheritedSocket_data();
    void servesOnAnInheritedSocket();
    void reusePortOnAnInheritedSocketIsRefused();
    void masterRestartOnTheSameSocketRefusesNothing();
    void journalLinesCarryTheirSeverity();
};

// READY=1 once both workers are online (not before), STATUS with the summary, watchdog pings
// at about half of WATCHDOG_USEC, RELOADING=1 with MONOTONIC_USEC on SIGHUP and READY=1 once
// the workers are replaced, STOPPING=1 on SIGTERM; the workers never see NOTIFY_SOCKET.
void TestService::notifyProtocolInOrder()
{
    NotifySocket notify;
    QVERIFY(notify.bound());
    std::unique_ptr<ChildProcess> master;
    {
        ScopedEnvironment env({ { "NOTIFY_SOCKET", notify.path() }, { "WATCHDOG_USEC", "1000000" } });
        master = std::make_unique<ChildProcess>(clusterscope(), std::vector<std::string> { "--headless", "--port", "0", "--workers", "2",
                                                                                          "--json", "--interval", "100" });
        QVERIFY(master->start());
    }
    std::vector<NotifySocket::Message> seen;
    const auto ready = notify.waitFor("READY=1", 15s, seen);
    QVERIFY2(ready, "no READY=1");
    QVERIFY2(ready->text.find("STATUS=2/2 workers online") != std::string::npos, ready->text.c_str());
    for (std::size_t i = 0; i + 1 < seen.size(); ++i)
        QVERIFY2(seen[i].text.find("STATUS=2/2") == std::string::npos, "the status said 2/2 online before READY");
    const auto workers = cs::test::onlineWorkerPids(*master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    for (int pid : workers) {
        const std::string environment = environmentOf(pid);
        QVERIFY2(environment.find("NOTIFY_SOCKET=") == std::string::npos, "a worker inherited NOTIFY_SOCKET");
        QVERIFY2(environment.find("WATCHDOG_USEC=") == std::string::npos, "a worker inherited WATCHDOG_USEC");
    }

    // Watchdog pings: about every 500 ms for a 1 s watchdog.
    std::vector<Clock::time_point> pings;
    const auto pingsEnd = Clock::now() + 4s;
    while (pings.size() < 6 && Clock::now() < pingsEnd)
        if (auto m = notify.next(1s); m && m->text.find("WATCHDOG=1") != std::string::npos)
            pings.push_back(m->at);
    QVERIFY2(pings.size() >= 6, qPrintable(QString::number(pings.size())));
    for (std::size_t i = 1; i < pings.size(); ++i) {
        const auto apart = std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]).count();
        QVERIFY2(apart >= 350 && apart <= 800, qPrintable(QStringLiteral("pings %1 ms apart").arg(apart)));
    }

    // A reload: RELOADING=1 with the monotonic time, then READY=1 once new workers serve.
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const std::uint64_t before = std::uint64_t(now.tv_sec) * 1000000 + std::uint64_t(now.tv_nsec) / 1000;
    master->signal(SIGHUP);
    seen.clear();
    const auto reloading = notify.waitFor("RELOADING=1", 5s, seen);
    QVERIFY2(reloading, "no RELOADING=1");
    const auto at = reloading->text.find("MONOTONIC_USEC=");
    QVERIFY2(at != std::string::npos, reloading->text.c_str());
    const std::uint64_t usec = std::strtoull(reloading->text.c_str() + at + 15, nullptr, 10);
    QVERIFY2(usec >= before && usec <= before + 5000000, qPrintable(QStringLiteral("%1 vs %2").arg(usec).arg(before)));
    QVERIFY(notify.waitFor("READY=1", 15s, seen));
    const auto replaced = cs::test::onlineWorkerPids(*master, 2, workers, 5s);
    QCOMPARE(replaced.size(), std::size_t { 2 });

    master->signal(SIGTERM);
    seen.clear();
    QVERIFY2(notify.waitFor("STOPPING=1", 5s, seen), "no STOPPING=1");
    const auto status = master->waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestService::servesOnAnInheritedSocket_data()
{
    QTest::addColumn<QString>("policy");
    QTest::newRow("shared") << QStringLiteral("shared");
    QTest::newRow("round-robin") << QStringLiteral("round-robin");
    QTest::newRow("least-connections") << QStringLiteral("least-connections");
}

// The master serves on the socket it was handed (its port, not one of its own), and every
// worker answers; LISTEN_* of the master's own never reach its workers' environment as is.
void TestService::servesOnAnInheritedSocket()
{
    QFETCH(QString, policy);
    HeldListener listener;
    QVERIFY(listener.fd >= 0);
    auto master = activatedMaster(listener, policy.toStdString());
    QVERIFY(master->start());
    QCOMPARE(cs::test::jsonPort(*master), listener.port);
    const auto workers = cs::test::onlineWorkerPids(*master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    std::set<std::string> answered;
    const auto end = Clock::now() + 10s;
    while (answered.size() < 2 && Clock::now() < end) {
        const auto response = cs::test::httpGet(listener.port, "/");
        QCOMPARE(response.status, 200);
        answered.insert(response.headers.count("x-worker") ? response.headers.at("x-worker") : std::string());
    }
    if (policy != QLatin1String("shared")) // the kernel may give every connection to one under shared
        QCOMPARE(answered.size(), std::size_t { 2 });
    QVERIFY(master->stderrText().find("on the socket the service manager passed") != std::string::npos);
    master->signal(SIGTERM);
    const auto status = master->waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestService::reusePortOnAnInheritedSocketIsRefused()
{
    HeldListener listener;
    QVERIFY(listener.fd >= 0);
    auto master = activatedMaster(listener, "reuseport");
    QVERIFY(master->start());
    const auto status = master->waitExit(10s);
    QVERIFY(status && WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 2);
    const std::string text = master->stderrText();
    QVERIFY2(text.find("reuseport") != std::string::npos && text.find("--policy") != std::string::npos, text.c_str());
    QCOMPARE(std::count(text.begin(), text.end(), '\n'), 1L);
}

// systemd keeps the socket while the service restarts: a client that keeps connecting sees
// no refusal and no failure while one master stops and the next starts on the same socket.
void TestService::masterRestartOnTheSameSocketRefusesNothing()
{
    HeldListener listener;
    QVERIFY(listener.fd >= 0);
    auto first = activatedMaster(listener, "shared");
    QVERIFY(first->start());
    QCOMPARE(cs::test::onlineWorkerPids(*first, 2).size(), std::size_t { 2 });

    std::atomic<bool> done { false };
    std::atomic<int> ok { 0 };
    std::atomic<int> failed { 0 };
    std::string firstFailure;
    std::thread client([&] {
        while (!done) {
            const auto response = cs::test::httpGet(listener.port, "/", 10s);
            if (response.status == 200) {
                ++ok;
            } else if (failed++ == 0) {
                firstFailure = response.status ? std::to_string(response.status) : response.error;
            }
        }
    });
    struct Join {
        std::thread& t;
        std::atomic<bool>& done;
        ~Join()
        {
            done = true;
            if (t.joinable())
                t.join();
        }
    } join { client, done };

    QVERIFY(cs::test::waitFor([&] { return ok >= 50; }, 10s));
    first->signal(SIGTERM);
    const auto status = first->waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    const int duringGap = ok;
    auto second = activatedMaster(listener, "round-robin");
    QVERIFY(second->start());
    QVERIFY2(cs::test::waitFor([&] { return ok >= duringGap + 50; }, 15s), "the new master never served");
    done = true;
    client.join();
    QVERIFY2(failed == 0, qPrintable(QStringLiteral("%1 of %2 requests failed, first: %3")
                                          .arg(failed.load())
                                          .arg(failed + ok)
                                          .arg(QString::fromStdString(firstFailure))));
    second->signal(SIGTERM);
    const auto secondStatus = second->waitExit(15s);
    QVERIFY(secondStatus && WIFEXITED(*secondStatus) && WEXITSTATUS(*secondStatus) == 0);
}

// With JOURNAL_STREAM naming its stderr, each line starts with a syslog severity:
// <6> for information, <4> for a worker that crashed.
void TestService::journalLinesCarryTheirSeverity()
{
    ChildProcess master("/bin/bash",
                        { "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\"", clusterscope(),
                          "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    ::kill(workers.front(), SIGKILL);
    QVERIFY(cs::test::waitFor([&] { return master.stderrText().find("<4>") != std::string::npos; }, 10s));
    master.signal(SIGTERM);
    QVERIFY(master.waitExit(15s));
    const std::string text = master.stderrText();
    std::istringstream lines(text);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        ++count;
        QVERIFY2(line.size() > 3 && line[0] == '<' && line[2] == '>' && std::string("346").find(line[1]) != std::string::npos,
                 line.c_str());
        if (line.find("killed by signal 9") != std::string::npos)
            QVERIFY2(line.rfind("<4>", 0) == 0, line.c_str());
        if (line.find("clusterscope: serving") != std::string::npos)
            QVERIFY2(line.rfind("<6>", 0) == 0, line.c_str());
    }
    QVERIFY(count >= 4);
}

QTEST_GUILESS_MAIN(TestService)
#include "tst_service.moc"
