// The built-in worker as a real process: standalone on an ephemeral port, and under a
// stand-in master that speaks the IPC channel.
#include "ipc/channel.h"
#include "ipc/message.h"
#include "testsupport.h"

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using Clock = std::chrono::steady_clock;

namespace {

struct Worker {
    std::unique_ptr<ChildProcess> process;
    std::uint16_t port = 0;
};

// Starts a standalone worker and reads its port from the one line it prints.
Worker startWorker(std::vector<std::string> args)
{
    Worker worker;
    worker.process = std::make_unique<ChildProcess>(cs::test::binDir() + "/clusterscope-worker", std::move(args));
    if (!worker.process->start())
        return worker;
    const auto line = worker.process->waitForLine("listening on", 5000ms);
    if (!line)
        return worker;
    const auto colon = line->rfind(':');
    if (colon != std::string::npos)
        worker.port = static_cast<std::uint16_t>(std::atoi(line->c_str() + colon + 1));
    return worker;
}


// A client connection with a deadline on every read; closes itself.
class Connection {
public:
    explicit Connection(std::uint16_t port) : m_fd(cs::test::connectLoopback(port)) { }
    ~Connection()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool ok() const { return m_fd >= 0; }
    int fd() const { return m_fd; }
    bool send(const std::string& bytes)
    {
        return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    /// Reads until `enough` says the bytes so far suffice, the peer closes, or the deadline.
    std::string readUntil(const std::function<bool(const std::string&)>& enough, std::chrono::milliseconds deadline)
    {
        const auto end = Clock::now() + deadline;
        while (!enough(m_received)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
            pollfd p { m_fd, POLLIN, 0 };
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
                break;
            char buffer[16384];
            const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
            if (n <= 0) {
                m_closed = true;
                break;
            }
            m_received.append(buffer, static_cast<std::size_t>(n));
        }
        return m_received;
    }
    bool closedByPeer() const { return m_closed; }
    std::string& received() { return m_received; }

private:
    int m_fd;
    std::string m_received;
    bool m_closed = false;
};

struct Response {
    int status = 0;
    std::string head;
    std::string body;
};

// Splits complete responses off the front of `bytes` using Content-Length.
std::vector<Response> splitResponses(std::string& bytes)
{
    std::vector<Response> responses;
    for (;;) {
        const auto headerEnd = bytes.find("\r\n\r\n");
        if (headerEnd == std::string::npos)
            break;
        const std::string head = bytes.substr(0, headerEnd);
        const auto lengthAt = head.find("Content-Length: ");
        if (lengthAt == std::string::npos)
            break;
        const std::size_t length = std::strtoul(head.c_str() + lengthAt + 16, nullptr, 10);
        const std::size_t total = headerEnd + 4 + length;
        if (bytes.size() < total)
            break;
        responses.push_back({ std::atoi(head.c_str() + 9), head, bytes.substr(headerEnd + 4, length) });
        bytes.erase(0, total);
    }
    return responses;
}

std::function<bool(const std::string&)> responsesComplete(std::size_t count)
{
    return [count](const std::string& bytes) {
        std::string copy = bytes;
        return splitResponses(copy).size() >= count;
    };
}

std::string helloBody(int slot, int pid)
{
    return "Hello from worker " + std::to_string(slot) + " (pid " + std::to_string(pid) + ")\n";
}

// The queues of the server side of this client's connection in /proc/net/tcp (local port
// `serverPort`, remote port the client's): bytes written and not yet taken by the client,
// and bytes received and not yet read by the worker. nullopt when the connection is not found.
struct Queues {
    long tx = 0;
    long rx = 0;
};
std::optional<Queues> serverQueues(std::uint16_t serverPort, int clientFd)
{
    sockaddr_in self {};
    socklen_t length = sizeof(self);
    if (::getsockname(clientFd, reinterpret_cast<sockaddr*>(&self), &length) != 0)
        return std::nullopt;
    char local[16], remote[16];
    std::snprintf(local, sizeof(local), ":%04X", serverPort);
    std::snprintf(remote, sizeof(remote), ":%04X", ntohs(self.sin_port));
    std::ifstream table("/proc/net/tcp");
    std::string line;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, localAddress, remoteAddress, state, queues;
        fields >> slot >> localAddress >> remoteAddress >> state >> queues;
        if (localAddress.ends_with(local) && remoteAddress.ends_with(remote)) {
            const auto colon = queues.find(':');
            return Queues { std::strtol(queues.substr(0, colon).c_str(), nullptr, 16),
                            std::strtol(queues.substr(colon + 1).c_str(), nullptr, 16) };
        }
    }
    return std::nullopt;
}

// True once the worker has read everything this client sent.
bool serverReadEverything(std::uint16_t serverPort, int clientFd)
{
    const auto queues = serverQueues(serverPort, clientFd);
    return queues && queues->rx == 0;
}

// Bytes the worker has written to this client and the client has not yet taken; -1 when
// the connection is not found.
long serverSendQueue(std::uint16_t serverPort, int clientFd)
{
    const auto queues = serverQueues(serverPort, clientFd);
    return queues ? queues->tx : -1;
}

} // namespace

class TestWorker : public QObject {
    Q_OBJECT

private:
    Worker m_worker; // shared by the tests that leave it running

    void checkAlive()
    {
        QVERIFY(m_worker.process->running());
        const auto response = cs::test::httpGet(m_worker.port, "/");
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, helloBody(7, m_worker.process->pid()));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_worker = startWorker({ "--slot", "7", "--port", "0" });
        QVERIFY2(m_worker.port != 0, m_worker.process ? m_worker.process->stderrText().c_str() : "no process");
    }

    void endpoints_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("body");
        QTest::addColumn<int>("minMs");
        QTest::newRow("root") << "/" << 200 << QString() << 0;
        QTest::newRow("root with query") << "/?x=1" << 200 << QString() << 0;
        QTest::newRow("unknown") << "/nope" << 404 << "Not found\n" << 0;
        QTest::newRow("cpu") << "/cpu?ms=20" << 200 << "burned 20 ms of CPU\n" << 20;
        QTest::newRow("cpu without ms") << "/cpu" << 400 << QString() << 0;
        QTest::newRow("cpu too long") << "/cpu?ms=5001" << 400 << QString() << 0;
        QTest::newRow("sleep") << "/sleep?ms=50" << 200 << "slept 50 ms\n" << 50;
        QTest::newRow("sleep not a number") << "/sleep?ms=abc" << 400 << QString() << 0;
        QTest::newRow("crash without chaos") << "/crash" << 404 << "Not found\n" << 0;
    }
    void endpoints()
    {
        QFETCH(QString, target);
        QFETCH(int, status);
        QFETCH(QString, body);
        QFETCH(int, minMs);
        const auto start = Clock::now();
        const auto response = cs::test::httpGet(m_worker.port, target.toStdString());
        QCOMPARE(response.status, status);
        QCOMPARE(response.headers.at("x-worker"), std::string("7"));
        QCOMPARE(response.headers.at("content-type"), std::string("text/plain"));
        QCOMPARE(response.headers.at("content-length"), std::to_string(response.body.size()));
        if (status == 200 && (target == QLatin1String("/") || target.startsWith(QLatin1String("/?"))))
            QCOMPARE(response.body, helloBody(7, m_worker.process->pid()));
        else if (!body.isEmpty())
            QCOMPARE(QString::fromStdString(response.body), body);
        QVERIFY(Clock::now() - start >= std::chrono::milliseconds(minMs));
    }

    void headHasNoBody()
    {
        Connection client(m_worker.port);
        QVERIFY(client.ok());
        QVERIFY(client.send("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        const std::string raw = client.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(client.closedByPeer());
        QVERIFY(raw.starts_with("HTTP/1.1 200 OK\r\n"));
        QVERIFY(raw.find("Content-Length: " + std::to_string(helloBody(7, m_worker.process->pid()).size())) != std::string::npos);
        QVERIFY(raw.ends_with("\r\n\r\n")); // headers only
    }

    void sleepDoesNotBlockOtherRequests()
    {
        const auto start = Clock::now();
        Connection sleeper(m_worker.port);
        QVERIFY(sleeper.ok());
        QVERIFY(sleeper.send("GET /sleep?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n"));
        const auto quick = cs::test::httpGet(m_worker.port, "/");
        const auto quickDone = Clock::now();
        QCOMPARE(quick.status, 200);
        QVERIFY2(quickDone - start < 500ms, "a sleeping request blocked the worker");
        std::string raw = sleeper.readUntil(responsesComplete(1), 3000ms);
        const auto responses = splitResponses(raw);
        QCOMPARE(responses.size(), std::size_t(1));
        QCOMPARE(responses[0].body, std::string("slept 600 ms\n"));
        QVERIFY(Clock::now() - start >= 600ms);
    }

    void pipelinedRequestsAnswerInOrder()
    {
        std::string batch;
        std::vector<std::string> expected;
        constexpr int kCount = 50;
        for (int i = 0; i < kCount; ++i) {
            std::string target;
            if (i % 3 == 0) {
                target = "/sleep?ms=" + std::to_string(i % 7);
                expected.push_back("slept " + std::to_string(i % 7) + " ms\n");
            } else if (i % 3 == 1) {
                target = "/cpu?ms=" + std::to_string(i % 5);
                expected.push_back("burned " + std::to_string(i % 5) + " ms of CPU\n");
            } else {
                target = "/missing" + std::to_string(i);
                expected.push_back("Not found\n");
            }
            batch += "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + (i == kCount - 1 ? "Connection: close\r\n" : "") + "\r\n";
        }
        Connection client(m_worker.port);
        QVERIFY(client.ok());
        QVERIFY(client.send(batch)); // one write: the worker sees them pipelined
        std::string raw = client.readUntil([](const std::string&) { return false; }, 5000ms);
        QVERIFY(client.closedByPeer());
        const auto responses = splitResponses(raw);
        QCOMPARE(responses.size(), std::size_t(kCount));
        for (int i = 0; i < kCount; ++i)
            QCOMPARE(responses[i].body, expected[i]);
        QVERIFY(raw.empty());
    }

    // The worker stops reading while a /sleep answer is pending, and reads into a buffer it
    // shares with every connection: a request that arrives during the sleep must be read
    // once the sleep ends and answered after it (not lost, not left waiting for the idle
    // timeout).
    void aRequestSentDuringASleepIsAnswered()
    {
        Connection client(m_worker.port);
        QVERIFY(client.ok());
        QVERIFY(client.send("GET /sleep?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n"));
        QTRY_VERIFY_WITH_TIMEOUT(serverReadEverything(m_worker.port, client.fd()), 2000);
        QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        std::string raw = client.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY2(client.closedByPeer(), "the request sent during the sleep was never answered");
        const auto responses = splitResponses(raw);
        QCOMPARE(responses.size(), std::size_t(2));
        QCOMPARE(responses[0].body, std::string("slept 400 ms\n"));
        QCOMPARE(responses[1].body, helloBody(7, m_worker.process->pid()));
    }

    // A client that pipelines far more than it reads: the worker's send fills the socket,
    // it waits for room (its own edge-triggered epoll set, not Asio's), and carries on, in
    // order, until every request has its answer. A lost wake-up would stall the connection.
    void aClientThatReadsSlowlyGetsEveryAnswer()
    {
        // 60,000 answers are 9.6 MB: more than the most a loopback socket's send buffer grows
        // to (tcp_wmem's 4 MiB) and the client's small window together.
        constexpr int kCount = 60000;
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        const int small = 8192; // a small window: the worker's answers back up into its socket
        QCOMPARE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_worker.port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        std::string batch;
        for (int i = 0; i < kCount; ++i)
            batch += std::string("GET / HTTP/1.1\r\nHost: x\r\n") + (i == kCount - 1 ? "Connection: close\r\n" : "") + "\r\n";
        // The worker stops reading while its answers wait, so the requests go from a thread.
        auto sender = std::async(std::launch::async, [fd, &batch] {
            return ::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(batch.size());
        });
        // Read nothing until the worker's socket is full: its queue over 1 MiB and no longer
        // growing between two looks (QTRY's 50 ms apart). The worker has had EAGAIN and waits.
        long previous = -1;
        const auto stuck = [&] {
            const long queued = serverSendQueue(m_worker.port, fd);
            const bool same = queued > (1 << 20) && queued == previous;
            previous = queued;
            return same;
        };
        QTRY_VERIFY_WITH_TIMEOUT(stuck(), 10000);
        std::string raw;
        const auto end = Clock::now() + 20s;
        for (;;) {
            pollfd p { fd, POLLIN, 0 };
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
                break;
            char buffer[65536];
            const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
            if (n <= 0)
                break;
            raw.append(buffer, static_cast<std::size_t>(n));
        }
        QVERIFY(sender.get());
        std::size_t answers = 0;
        for (std::size_t at = 0; (at = raw.find("HTTP/1.1 200 OK\r\n", at)) != std::string::npos; at += 8)
            ++answers;
        QCOMPARE(answers, std::size_t(kCount));
        const auto last = raw.rfind("HTTP/1.1 200 OK\r\n");
        QVERIFY(raw.find("Connection: close", last) != std::string::npos);
        QVERIFY(raw.ends_with(helloBody(7, m_worker.process->pid())));
    }

    void keepAliveReusesTheConnection()
    {
        Connection client(m_worker.port);
        QVERIFY(client.ok());
        for (int i = 1; i <= 3; ++i) {
            QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            client.readUntil(responsesComplete(1), 3000ms);
            const auto responses = splitResponses(client.received());
            QCOMPARE(responses.size(), std::size_t(1));
            QCOMPARE(responses[0].status, 200);
            QVERIFY(responses[0].head.find("Connection: keep-alive") != std::string::npos);
            QVERIFY(!client.closedByPeer());
        }
        // HTTP/1.0 closes unless asked to keep the connection.
        QVERIFY(client.send("GET / HTTP/1.0\r\n\r\n"));
        client.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(client.closedByPeer());
        QCOMPARE(splitResponses(client.received()).size(), std::size_t(1));
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        const QByteArray ok = "GET / HTTP/1.1\r\nHost: x\r\n";
        QTest::newRow("garbage request line") << QByteArray("GARBAGE\r\n\r\n") << 400;
        QTest::newRow("bad version") << QByteArray("GET / HTTP/9\r\n\r\n") << 400;
        QTest::newRow("space in field name") << QByteArray(ok + "Bad Name: x\r\n\r\n") << 400;
        QTest::newRow("target over 8 KiB") << QByteArray("GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\n\r\n") << 414;
        QTest::newRow("request line over the header limit")
            << QByteArray("GET /" + QByteArray(40000, 'a')) << 414;
        QTest::newRow("header over 16 KiB") << QByteArray(ok + "X-Big: " + QByteArray(17000, 'b') + "\r\n\r\n") << 431;
        QTest::newRow("unterminated header over the limit") << QByteArray(ok + "X-Big: " + QByteArray(30000, 'b')) << 431;
        QByteArray many = ok;
        for (int i = 0; i < 101; ++i)
            many += "X-F" + QByteArray::number(i) + ": v\r\n";
        QTest::newRow("101 fields") << QByteArray(many + "\r\n") << 431;
        QTest::newRow("body over the limit") << QByteArray(ok + "Content-Length: 2000000\r\n\r\n") << 413;
        QTest::newRow("chunked body over the limit")
            << QByteArray(ok + "Transfer-Encoding: chunked\r\n\r\n200000\r\n" + QByteArray(0x200000 / 2, 'x')) << 413;
        QTest::newRow("content-length and transfer-encoding")
            << QByteArray(ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello") << 400;
        QTest::newRow("transfer-encoding then content-length")
            << QByteArray(ok + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello") << 400;
        QTest::newRow("duplicate content-length")
            << QByteArray(ok + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello") << 400;
        QTest::newRow("invalid content-length") << QByteArray(ok + "Content-Length: 5x\r\n\r\nhello") << 400;
    }
    void badInput()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        const std::string raw = cs::test::rawExchange(m_worker.port, request.toStdString(), 5000ms);
        QVERIFY2(raw.starts_with("HTTP/1.1 " + std::to_string(status) + " "), raw.substr(0, 80).c_str());
        QVERIFY(raw.find("\r\nConnection: close\r\n") != std::string::npos);
        QVERIFY(raw.find("\r\nX-Worker: 7\r\n") != std::string::npos);
        checkAlive(); // same pid: bad input never kills the worker
    }

    void requestWithBodyIsAnswered()
    {
        const std::string raw = cs::test::rawExchange(
            m_worker.port, "GET /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                           "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                           "5\r\nhello\r\n0\r\n\r\n");
        std::string rest = raw;
        const auto responses = splitResponses(rest);
        QCOMPARE(responses.size(), std::size_t(2));
        QCOMPARE(responses[0].status, 404);
        QCOMPARE(responses[1].status, 200);
    }

    void headerTimeoutClosesTheConnection()
    {
        auto worker = startWorker({ "--slot", "3", "--port", "0", "--header-timeout-ms", "300" });
        QVERIFY(worker.port != 0);
        Connection client(worker.port);
        QVERIFY(client.ok());
        const auto start = Clock::now();
        QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\n")); // never finishes its header
        client.readUntil([](const std::string&) { return false; }, 3000ms);
        const auto elapsed = Clock::now() - start;
        QVERIFY(client.closedByPeer());
        QVERIFY2(elapsed >= 250ms && elapsed < 1500ms, std::to_string(elapsed / 1ms).c_str());
        // A connection that sends nothing at all is closed the same way.
        Connection silent(worker.port);
        silent.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(silent.closedByPeer());
        QVERIFY(worker.process->running());
    }

    void idleTimeoutClosesKeepAlive()
    {
        auto worker = startWorker({ "--slot", "3", "--port", "0", "--idle-timeout-ms", "300" });
        QVERIFY(worker.port != 0);
        Connection client(worker.port);
        QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const auto start = Clock::now();
        client.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(client.closedByPeer());
        QCOMPARE(splitResponses(client.received()).size(), std::size_t(1));
        QVERIFY(Clock::now() - start >= 250ms);
    }

    void maxConnectionsClosesExtraOnes()
    {
        auto worker = startWorker({ "--slot", "3", "--port", "0", "--max-connections", "2" });
        QVERIFY(worker.port != 0);
        Connection first(worker.port), second(worker.port);
        QVERIFY(first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        QVERIFY(second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        first.readUntil(responsesComplete(1), 3000ms);
        second.readUntil(responsesComplete(1), 3000ms);
        Connection third(worker.port);
        third.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        third.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(third.closedByPeer());
        QVERIFY(third.received().empty());
    }

    void crashWithChaosAborts()
    {
        auto worker = startWorker({ "--slot", "2", "--port", "0", "--chaos" });
        QVERIFY(worker.port != 0);
        QCOMPARE(cs::test::httpGet(worker.port, "/").status, 200);
        const auto response = cs::test::httpGet(worker.port, "/crash");
        QCOMPARE(response.status, 0); // no response: it dies mid-request
        const auto status = worker.process->waitExit(5000ms);
        QVERIFY(status.has_value());
        QVERIFY(WIFSIGNALED(*status));
        QCOMPARE(WTERMSIG(*status), SIGABRT);
    }

    void sigtermDrainsInFlightRequests()
    {
        auto worker = startWorker({ "--slot", "4", "--port", "0" });
        QVERIFY(worker.port != 0);
        Connection idle(worker.port);
        QVERIFY(idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        idle.readUntil(responsesComplete(1), 3000ms);
        Connection quiet(worker.port);
        QVERIFY(quiet.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        quiet.readUntil(responsesComplete(1), 3000ms);
        Connection busy(worker.port);
        // Two pipelined requests: the one behind the sleep is already here when the drain
        // begins, and is answered too.
        QVERIFY(busy.send("GET /sleep?ms=400 HTTP/1.1\r\nHost: x\r\n\r\nGET /sleep?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
        // The sleep must have started before the signal: wait until the worker has parsed it.
        QVERIFY(cs::test::waitFor([&] { return cs::test::httpGet(worker.port, "/").status == 200; }, 2000ms));
        const auto drainStart = Clock::now();
        worker.process->signal(SIGTERM);
        // The drain has begun once the worker's own listener is closed: new connections are refused.
        QVERIFY(cs::test::waitFor(
            [&] {
                const int probe = cs::test::connectLoopback(worker.port);
                if (probe < 0)
                    return true;
                ::close(probe);
                return false;
            },
            2000ms));
        // A kept-alive connection idle at the drain may have its next request on the way: it
        // is answered, with Connection: close, and then closed.
        QVERIFY(!idle.closedByPeer());
        QVERIFY(idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        idle.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(idle.closedByPeer());
        const auto idleResponses = splitResponses(idle.received());
        QCOMPARE(idleResponses.size(), std::size_t(2));
        QVERIFY(idleResponses[1].head.find("Connection: close") != std::string::npos);
        // One that stays idle is closed after the quiet period, not at once.
        quiet.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(quiet.closedByPeer());
        const auto quietMs = std::chrono::duration<double, std::milli>(Clock::now() - drainStart).count();
        QVERIFY2(quietMs >= 400 && quietMs < 2000, qPrintable(QString::number(quietMs)));
        busy.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(busy.closedByPeer());
        const auto responses = splitResponses(busy.received());
        QCOMPARE(responses.size(), std::size_t(2));
        QCOMPARE(responses[0].body, std::string("slept 400 ms\n"));
        QVERIFY(responses[0].head.find("Connection: keep-alive") != std::string::npos);
        QCOMPARE(responses[1].body, std::string("slept 1 ms\n"));
        QVERIFY(responses[1].head.find("Connection: close") != std::string::npos);
        const auto status = worker.process->waitExit(3000ms);
        QVERIFY(status.has_value());
        QVERIFY(WIFEXITED(*status));
        QCOMPARE(WEXITSTATUS(*status), 0);
    }

    void signalsStopAnIdleWorker_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
        QTest::newRow("SIGQUIT") << int(SIGQUIT);
    }
    void signalsStopAnIdleWorker()
    {
        QFETCH(int, signal);
        auto worker = startWorker({ "--slot", "4", "--port", "0" });
        QVERIFY(worker.port != 0);
        QCOMPARE(cs::test::httpGet(worker.port, "/").status, 200);
        const auto start = Clock::now();
        worker.process->signal(signal);
        const auto status = worker.process->waitExit(3000ms);
        QVERIFY(status.has_value());
        QVERIFY(WIFEXITED(*status));
        QCOMPARE(WEXITSTATUS(*status), 0);
        QVERIFY(Clock::now() - start < 1000ms); // nothing in flight: no reason to wait for the grace
    }

    void badFlagsExitWithStatus2_data()
    {
        QTest::addColumn<QByteArray>("args"); // split on spaces
        QTest::newRow("port not a number") << QByteArray("--port abc");
        QTest::newRow("port out of range") << QByteArray("--port 70000");
        QTest::newRow("unknown mode") << QByteArray("--mode fork");
        QTest::newRow("unknown flag") << QByteArray("--frobnicate");
        QTest::newRow("missing value") << QByteArray("--slot");
        QTest::newRow("zero timeout") << QByteArray("--header-timeout-ms 0");
        QTest::newRow("zero body timeout") << QByteArray("--body-timeout-ms 0");
        QTest::newRow("handoff without channel") << QByteArray("--mode handoff");
    }
    void badFlagsExitWithStatus2()
    {
        QFETCH(QByteArray, args);
        std::vector<std::string> argv;
        for (const auto& arg : args.split(' '))
            argv.push_back(arg.toStdString());
        ChildProcess process(cs::test::binDir() + "/clusterscope-worker", argv);
        QVERIFY(process.start());
        const auto status = process.waitExit(3000ms);
        QVERIFY(status.has_value());
        QVERIFY(WIFEXITED(*status));
        QCOMPARE(WEXITSTATUS(*status), 2);
        const std::string err = process.stderrText();
        QVERIFY(!err.empty());
        QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1); // one sentence, one line
    }

    // A stand-in master: the channel at an inherited fd; connections handed over with
    // SCM_RIGHTS (handoff) or taken by the worker itself (shared, reuseport); telemetry
    // back; then a drain.
    void underAMaster_data()
    {
        QTest::addColumn<QByteArray>("mode");
        QTest::newRow("handoff") << QByteArray("handoff");
        QTest::newRow("shared") << QByteArray("shared");
        QTest::newRow("reuseport") << QByteArray("reuseport");
    }
    void underAMaster()
    {
        QFETCH(QByteArray, mode);
        std::vector<int> toClose;
        struct Closer {
            std::vector<int>& fds;
            ~Closer()
            {
                for (int fd : fds)
                    ::close(fd);
            }
        } closer { toClose };

        // The listener the master would own: the worker inherits it (shared) or binds the
        // same port itself (reuseport); for handoff the master accepts on it.
        int listener = ::socket(AF_INET, SOCK_STREAM, 0); // inheritable on purpose
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        QCOMPARE(::listen(listener, 8), 0);
        socklen_t length = sizeof(address);
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
        const std::uint16_t port = ntohs(address.sin_port);
        if (mode == "reuseport") {
            // The worker binds this ephemeral port itself; ours must not take its connections.
            ::close(listener);
            listener = -1;
        } else {
            toClose.push_back(listener);
        }

        std::error_code ec;
        const auto pair = cs::ipc::makeChannel(ec);
        QVERIFY(!ec);
        toClose.push_back(pair.master);
        const int inherited = ::fcntl(pair.worker, F_DUPFD, 10); // without CLOEXEC: the child keeps it
        ::close(pair.worker);
        ::setenv("CLUSTERSCOPE_IPC_FD", std::to_string(inherited).c_str(), 1);
        ::setenv("CLUSTERSCOPE_WORKER_ID", "5", 1);
        if (listener >= 0)
            ::setenv("CLUSTERSCOPE_LISTEN_FD", std::to_string(listener).c_str(), 1);
        ChildProcess process(cs::test::binDir() + "/clusterscope-worker",
                             { "--mode", mode.toStdString(), "--port", std::to_string(port) });
        process.inheritDescriptor(inherited);
        if (listener >= 0)
            process.inheritDescriptor(listener);
        const bool started = process.start();
        ::unsetenv("CLUSTERSCOPE_IPC_FD");
        ::unsetenv("CLUSTERSCOPE_WORKER_ID");
        ::unsetenv("CLUSTERSCOPE_LISTEN_FD");
        ::close(inherited);
        QVERIFY(started);

        std::vector<cs::ipc::Message> received;
        std::byte buffer[cs::ipc::kMaxPacket];
        auto receiveUntil = [&](auto predicate) {
            return cs::test::waitFor([&] {
                for (;;) {
                    const auto packet = cs::ipc::receivePacket(pair.master, buffer);
                    if (packet.error || packet.eof)
                        break;
                    const auto decoded = cs::ipc::decode(std::span<const std::byte>(buffer, packet.size));
                    if (decoded.message)
                        received.push_back(*decoded.message);
                }
                for (const auto& message : received)
                    if (predicate(message))
                        return true;
                return false;
            }, 5000ms);
        };
        QVERIFY2(receiveUntil([&](const cs::ipc::Message& m) {
            const auto* ready = std::get_if<cs::ipc::Ready>(&m);
            return ready && ready->pid == process.pid();
        }), process.stderrText().c_str());
        auto isListening = [](const cs::ipc::Message& m) { return std::holds_alternative<cs::ipc::Listening>(m); };
        if (mode != "handoff")
            QVERIFY(receiveUntil(isListening));
        QVERIFY(process.stdoutText().empty()); // the "listening on" line is for standalone runs

        // A garbage packet is ignored with one line on stderr.
        const std::byte junk[3] { std::byte { 1 }, std::byte { 2 }, std::byte { 3 } };
        QCOMPARE(cs::ipc::sendPacket(pair.master, junk), 0);

        Connection client(port);
        QVERIFY(client.ok());
        if (mode == "handoff") {
            const int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            QVERIFY(accepted >= 0);
            QCOMPARE(cs::ipc::sendMessage(pair.master, cs::ipc::Connection {}, accepted), 0);
            ::close(accepted);
        }
        QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        client.readUntil(responsesComplete(1), 3000ms);
        const auto responses = splitResponses(client.received());
        QCOMPARE(responses.size(), std::size_t(1));
        QCOMPARE(responses[0].body, helloBody(5, process.pid()));
        QVERIFY(responses[0].head.find("X-Worker: 5") != std::string::npos);

        QVERIFY(receiveUntil([](const cs::ipc::Message& m) {
            const auto* telemetry = std::get_if<cs::ipc::Telemetry>(&m);
            std::uint64_t latencyCount = 0;
            if (telemetry)
                for (auto count : telemetry->latency)
                    latencyCount += count;
            return telemetry && telemetry->requests == 1 && telemetry->openConnections == 1
                && telemetry->connectionsAccepted == 1 && latencyCount == 1;
        }));
        if (mode == "handoff") // it sent Ready before its first telemetry, and nothing else
            QVERIFY(std::none_of(received.begin(), received.end(), isListening));

        if (mode == "handoff") {
            // The master may still hold a socket it handed over when the worker is done with
            // it: the worker's close then leaves the socket open, and it must not stay in the
            // worker's epoll set pointing at a session that is gone (the sanitized pass turns
            // such a use after free into a crash here).
            Connection second(port);
            QVERIFY(second.ok());
            const int kept = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            QVERIFY(kept >= 0);
            toClose.push_back(kept);
            QCOMPARE(cs::ipc::sendMessage(pair.master, cs::ipc::Connection {}, kept), 0);
            // Half a request, read by the worker, makes it wait in its epoll set for the rest.
            QVERIFY(second.send("GET / HTTP/1.1\r\n"));
            QTRY_VERIFY_WITH_TIMEOUT(serverReadEverything(port, second.fd()), 3000);
            QVERIFY(second.send("Host: x\r\nConnection: close\r\n\r\n"));
            second.readUntil(responsesComplete(1), 3000ms);
            QCOMPARE(splitResponses(second.received()).size(), std::size_t(1));
            // The worker has closed its descriptor; ours keeps the socket open. Bytes on it
            // now would wake a session still in the set.
            QVERIFY(receiveUntil([](const cs::ipc::Message& m) {
                const auto* telemetry = std::get_if<cs::ipc::Telemetry>(&m);
                return telemetry && telemetry->requests == 2 && telemetry->openConnections == 1;
            }));
            QVERIFY(second.send("more"));
            // The worker is alive and serves the first connection as before.
            client.received().clear();
            QVERIFY(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            client.readUntil(responsesComplete(1), 3000ms);
            QCOMPARE(splitResponses(client.received()).size(), std::size_t(1));
            QVERIFY2(process.running(), process.stderrText().c_str());
        }
        QVERIFY(cs::test::waitFor([&] { return process.stderrText().find("ignored a message") != std::string::npos; }, 3000ms));

        // Drain: the idle keep-alive connection is closed and the worker exits 0.
        QCOMPARE(cs::ipc::sendMessage(pair.master, cs::ipc::Drain { 2000 }), 0);
        client.readUntil([](const std::string&) { return false; }, 3000ms);
        QVERIFY(client.closedByPeer());
        const auto status = process.waitExit(3000ms);
        QVERIFY(status.has_value());
        QVERIFY(WIFEXITED(*status));
        QCOMPARE(WEXITSTATUS(*status), 0);
    }

    void cleanupTestCase()
    {
        if (m_worker.process)
            checkAlive();
    }
};

QTEST_APPLESS_MAIN(TestWorker)
#include "tst_worker.moc"
