// The control socket of a real headless master, through `clusterscope ctl` as a user types
// it and through raw connections as a careless or hostile client would use it.
#include "testsupport.h"

#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using Clock = std::chrono::steady_clock;

namespace {

std::string clusterscope() { return cs::test::binDir() + "/clusterscope"; }

struct Ran {
    int exitCode = -1;
    std::string out;
    std::string err;
};

/// `clusterscope ctl ARGS...`, run to its end.
Ran ctl(std::vector<std::string> args)
{
    args.insert(args.begin(), "ctl");
    ChildProcess process(clusterscope(), args);
    Ran ran;
    if (!process.start())
        return ran;
    const auto status = process.waitExit(15s);
    ran.out = process.stdoutText();
    ran.err = process.stderrText();
    if (status && WIFEXITED(*status))
        ran.exitCode = WEXITSTATUS(*status);
    return ran;
}

/// A raw client of the control socket.
class RawClient {
public:
    explicit RawClient(const std::string& path)
    {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~RawClient() { ::close(m_fd); }
    bool connected() const { return m_connected; }
    void send(const std::string& bytes) { (void)!::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    /// The next line; nullopt at EOF or the deadline.
    std::optional<std::string> line(std::chrono::milliseconds deadline = 5s)
    {
        const auto end = Clock::now() + deadline;
        for (;;) {
            if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
                std::string l = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                return l;
            }
            pollfd p { m_fd, POLLIN, 0 };
            if (::poll(&p, 1, cs::test::remainingMs(end)) <= 0)
                return std::nullopt;
            char chunk[65536];
            const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
            if (n <= 0)
                return std::nullopt;
            m_buffer.append(chunk, std::size_t(n));
        }
    }
    /// True when the master closed the connection within the deadline (what was pending read).
    bool closedWithin(std::chrono::milliseconds deadline)
    {
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            pollfd p { m_fd, POLLIN, 0 };
            if (::poll(&p, 1, cs::test::remainingMs(end)) <= 0)
                return false;
            char chunk[65536];
            const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET))
                return true;
        }
        return false;
    }

private:
    int m_fd = -1;
    bool m_connected = false;
    std::string m_buffer;
};

std::string typeOf(const std::string& line)
{
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object() || !value.get_object().contains("type"))
        return {};
    return std::string(value.get_object().at("type").as_string());
}

} // namespace

class TestControl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Every master and every ctl of this test finds its sockets here, not in the user's.
        QVERIFY(m_runtime.isValid());
        ::setenv("XDG_RUNTIME_DIR", m_runtime.path().toUtf8().constData(), 1);
    }
    void init()
    {
        m_master = std::make_unique<ChildProcess>(clusterscope(), std::vector<std::string> { "--headless", "--port", "0", "--workers", "2",
                                                                                            "--json", "--interval", "100" });
        QVERIFY(m_master->start());
        m_port = cs::test::jsonPort(*m_master);
        QVERIFY(m_port != 0);
        m_workers = cs::test::onlineWorkerPids(*m_master, 2);
        QCOMPARE(m_workers.size(), std::size_t { 2 });
        m_socket = m_runtime.path().toStdString() + "/clusterscope/" + std::to_string(m_port) + ".sock";
        QVERIFY2(cs::test::waitFor([&] { return std::filesystem::exists(m_socket); }, 5s), m_socket.c_str());
    }
    void cleanup()
    {
        if (m_master && m_master->running()) {
            m_master->signal(SIGTERM);
            m_master->waitExit(15s);
        }
        m_master.reset();
    }

    void everyCommandAsAUserTypesIt();
    void onlyTheOwnerMayConnect();
    void badClientsLoseOnlyTheirConnection();
    void aLateViewerGetsTheHistory();
    void ctlRefusesASocketOthersCouldHaveMade();

private:
    QTemporaryDir m_runtime;
    std::unique_ptr<ChildProcess> m_master;
    std::uint16_t m_port = 0;
    std::vector<int> m_workers;
    std::string m_socket;
};

void TestControl::everyCommandAsAUserTypesIt()
{
    const std::string name = std::to_string(m_port);
    struct stat info {};
    QCOMPARE(::stat(m_socket.c_str(), &info), 0);
    QCOMPARE(int(info.st_mode & 0777), 0600);

    Ran list = ctl({ "list" });
    QCOMPARE(list.exitCode, 0);
    QVERIFY2(list.out.find(name) != std::string::npos && list.out.find("2/2 online") != std::string::npos, list.out.c_str());

    Ran status = ctl({ "status", "--name", name });
    QCOMPARE(status.exitCode, 0);
    QVERIFY2(status.out.find("#1") != std::string::npos && status.out.find("#2") != std::string::npos
                 && status.out.find("online") != std::string::npos,
             status.out.c_str());
    Ran json = ctl({ "status", "--json" }); // one cluster runs: no --name needed
    QCOMPARE(json.exitCode, 0);
    QCOMPARE(typeOf(json.out.substr(0, json.out.find('\n'))), std::string("snapshot"));

    Ran scale = ctl({ "scale", "3" });
    QCOMPARE(scale.exitCode, 0);
    QVERIFY2(scale.out.find("done") != std::string::npos, scale.out.c_str());
    const auto three = cs::test::onlineWorkerPids(*m_master, 3);
    QCOMPARE(three.size(), std::size_t { 3 });

    Ran kill = ctl({ "kill", "1", "9" });
    QCOMPARE(kill.exitCode, 0);
    QVERIFY(cs::test::waitFor([&] { return !cs::test::processAlive(m_workers.front()); }, 5s));
    QCOMPARE(cs::test::onlineWorkerPids(*m_master, 3, { m_workers.front() }).size(), std::size_t { 3 });

    Ran noSlot = ctl({ "kill", "9" });
    QCOMPARE(noSlot.exitCode, 1);
    QVERIFY2(noSlot.err.find("no worker slot 9") != std::string::npos, noSlot.err.c_str());
    Ran notFailed = ctl({ "reset", "2" });
    QCOMPARE(notFailed.exitCode, 1);
    QVERIFY2(notFailed.err.find("has not failed") != std::string::npos, notFailed.err.c_str());
    Ran badUsage = ctl({ "scale", "0" });
    QCOMPARE(badUsage.exitCode, 2);
    QCOMPARE(std::count(badUsage.err.begin(), badUsage.err.end(), '\n'), 1L);

    const auto before = cs::test::onlineWorkerPids(*m_master, 3);
    Ran restart = ctl({ "restart" });
    QCOMPARE(restart.exitCode, 0);
    QCOMPARE(cs::test::onlineWorkerPids(*m_master, 3, before, 15s).size(), std::size_t { 3 });

    Ran logs = ctl({ "logs" });
    QCOMPARE(logs.exitCode, 0);
    QVERIFY2(logs.out.find("killed by signal 9") != std::string::npos, logs.out.c_str());
    QVERIFY2(logs.out.find("rolling restart") != std::string::npos, logs.out.c_str());

    Ran stop = ctl({ "stop" });
    QCOMPARE(stop.exitCode, 0);
    const auto exited = m_master->waitExit(15s);
    QVERIFY(exited && WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0);
    QVERIFY(!std::filesystem::exists(m_socket));
    Ran none = ctl({ "status" });
    QCOMPARE(none.exitCode, 1);
    QVERIFY2(none.err.find("No cluster is running") != std::string::npos, none.err.c_str());
}

// SO_PEERCRED, not only the file mode: with the socket opened to everyone, a client running
// as another user is still refused, with one line, and the master logs it.
void TestControl::onlyTheOwnerMayConnect()
{
    if (::geteuid() != 0)
        QFAIL("this test switches to another user id and must run as root (as the suite does here)");
    QCOMPARE(::chmod(m_socket.c_str(), 0666), 0);
    QCOMPARE(::chmod(std::filesystem::path(m_socket).parent_path().c_str(), 0755), 0);
    QCOMPARE(::chmod(m_runtime.path().toUtf8().constData(), 0755), 0);
    int pipeFds[2];
    QCOMPARE(::pipe(pipeFds), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(pipeFds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(3);
        RawClient client(m_socket);
        std::string reply = client.connected() ? client.line().value_or("(closed)") : "(not connected)";
        (void)!::write(pipeFds[1], reply.data(), reply.size());
        ::_exit(0);
    }
    ::close(pipeFds[1]);
    std::string reply;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buffer, sizeof(buffer))) > 0)
        reply.append(buffer, std::size_t(n));
    ::close(pipeFds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    QVERIFY2(typeOf(reply) == "error", reply.c_str());
    QVERIFY2(reply.find("Only the user running this cluster") != std::string::npos, reply.c_str());
    QVERIFY(cs::test::waitFor([&] { return m_master->stderrText().find("refused a connection from uid 65534") != std::string::npos; }, 5s));
    // The owner still gets in.
    RawClient owner(m_socket);
    QVERIFY(owner.connected());
    QCOMPARE(typeOf(owner.line().value_or("")), std::string("hello"));
}

// Garbage, an unknown command, a line over 4 KiB, a client that never reads: each loses its
// own connection; a subscriber beside them keeps getting snapshots, and the cluster serves.
void TestControl::badClientsLoseOnlyTheirConnection()
{
    RawClient watcher(m_socket);
    QVERIFY(watcher.connected());
    QCOMPARE(typeOf(watcher.line().value_or("")), std::string("hello"));
    watcher.send("{\"v\":1,\"cmd\":\"subscribe\"}\n");

    const std::vector<std::string> bad { "not json\n", "{\"v\":1,\"cmd\":\"explode\"}\n", "{\"cmd\":\"status\"}\n",
                                         "{\"v\":2,\"cmd\":\"status\"}\n", "{\"v\":1,\"cmd\":\"scale\",\"workers\":100000}\n",
                                         std::string(5000, 'x'), "[1,2,3]\n" };
    for (const std::string& bytes : bad) {
        RawClient client(m_socket);
        QVERIFY(client.connected());
        QCOMPARE(typeOf(client.line().value_or("")), std::string("hello"));
        client.send(bytes);
        const std::string reply = client.line().value_or("");
        QVERIFY2(typeOf(reply) == "error", (bytes.substr(0, 40) + " -> " + reply).c_str());
        QVERIFY2(client.closedWithin(5s), bytes.substr(0, 40).c_str());
    }
    // A client that subscribes and never reads is dropped once it falls far behind; until
    // then it costs the master nothing but memory.
    {
        RawClient sleeper(m_socket);
        sleeper.send("{\"v\":1,\"cmd\":\"subscribe\"}\n");
    }
    int snapshots = 0;
    const auto end = Clock::now() + 5s;
    while (snapshots < 3 && Clock::now() < end)
        if (typeOf(watcher.line(1s).value_or("")) == "snapshot")
            ++snapshots;
    QCOMPARE(snapshots, 3);
    QCOMPARE(cs::test::httpGet(m_port, "/").status, 200);
    QVERIFY(m_master->running());
}

// A viewer that attaches after a crash still sees it: the history comes first.
void TestControl::aLateViewerGetsTheHistory()
{
    ::kill(m_workers.back(), SIGKILL);
    QCOMPARE(cs::test::onlineWorkerPids(*m_master, 2, { m_workers.back() }).size(), std::size_t { 2 });
    RawClient viewer(m_socket);
    QCOMPARE(typeOf(viewer.line().value_or("")), std::string("hello"));
    viewer.send("{\"v\":1,\"cmd\":\"subscribe\"}\n");
    bool sawExit = false, sawSnapshot = false;
    const auto end = Clock::now() + 5s;
    while (!sawSnapshot && Clock::now() < end) {
        const std::string line = viewer.line(1s).value_or("");
        if (typeOf(line) == "event" && line.find("\"kind\":\"exit\"") != std::string::npos
            && line.find("\"pid\":" + std::to_string(m_workers.back())) != std::string::npos)
            sawExit = true;
        if (typeOf(line) == "snapshot")
            sawSnapshot = true;
    }
    QVERIFY(sawSnapshot);
    QVERIFY2(sawExit, "the crash before the viewer came was not in its history");
}

// A socket that every user may write to could have been put there by anyone: ctl does not
// send it commands, and says why.
void TestControl::ctlRefusesASocketOthersCouldHaveMade()
{
    QCOMPARE(::chmod(m_socket.c_str(), 0666), 0);
    Ran status = ctl({ "status", "--name", std::to_string(m_port) });
    QCOMPARE(status.exitCode, 1);
    QVERIFY2(status.err.find("open to other users (mode 0666") != std::string::npos, status.err.c_str());
    QCOMPARE(std::count(status.err.begin(), status.err.end(), '\n'), 1L);
    QCOMPARE(::chmod(m_socket.c_str(), 0600), 0);
    QCOMPARE(ctl({ "status", "--name", std::to_string(m_port) }).exitCode, 0);
}

QTEST_GUILESS_MAIN(TestControl)
#include "tst_control.moc"
