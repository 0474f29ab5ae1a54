// The load generator against a real built-in worker on an ephemeral port, plus its
// command-line parsing and the clusterscope-load executable itself.
#include "load/loadgenerator.h"
#include "load/loadsummary.h"
#include "testsupport.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <cctype>
#include <csignal>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;

// Every heap allocation of this process, counted by interposing the C allocator (operator
// new, Asio's aligned_alloc and Beast all end up here). Not under ASan, which owns malloc.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(CS_ASAN)
#define CS_COUNT_ALLOCATIONS 1
namespace {
std::atomic<std::uint64_t> g_allocations { 0 };
} // namespace
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, size);
}
void* realloc(void* old, std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(old, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
void* memalign(std::size_t alignment, std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size)
{
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
}
#endif

namespace {

// A loopback TCP socket (127.0.0.1, or ::1 with AF_INET6) on an ephemeral port: bound only
// (connects are refused) or listening but never accepting (connects succeed, nothing ever
// answers). Closes itself.
class Socket {
public:
    explicit Socket(bool listening, int family = AF_INET)
    {
        m_fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_storage address {};
        socklen_t length = sizeof(sockaddr_in);
        if (family == AF_INET6) {
            auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
            v6->sin6_family = AF_INET6;
            v6->sin6_addr = in6addr_loopback;
            length = sizeof(sockaddr_in6);
        } else {
            auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
            v4->sin_family = AF_INET;
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), length) != 0
            || (listening && ::listen(m_fd, 64) != 0)
            || ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return;
        // The port sits at the same offset in both address families.
        m_port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    }
    ~Socket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    std::uint16_t port() const { return m_port; }
    int fd() const { return m_fd; }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

// A one-thread HTTP server that answers every request with the same canned bytes, for the
// response shapes the built-in worker never sends. Serves one connection at a time.
class CannedServer {
public:
    CannedServer(std::string response, bool closeAfter, int family = AF_INET)
        : m_response(std::move(response))
        , m_closeAfter(closeAfter)
        , m_listener(true, family)
    {
        m_thread = std::thread([this] { serve(); });
    }
    ~CannedServer()
    {
        m_stop = true;
        m_thread.join();
    }
    CannedServer(const CannedServer&) = delete;
    CannedServer& operator=(const CannedServer&) = delete;
    std::uint16_t port() const { return m_listener.port(); }
    /// The head of the first request that came, once it has.
    std::string firstRequest() const
    {
        std::lock_guard lock(m_mutex);
        return m_firstRequest;
    }

private:
    // Waits up to 50 ms for `fd` to be readable, so the stop flag is seen promptly.
    static bool readable(int fd)
    {
        pollfd p { fd, POLLIN, 0 };
        return ::poll(&p, 1, 50) == 1;
    }
    void serve()
    {
        while (!m_stop) {
            if (!readable(m_listener.fd()))
                continue;
            const int fd = ::accept4(m_listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            std::string pending;
            bool open = true;
            while (open && !m_stop) {
                if (!readable(fd))
                    continue;
                char buffer[4096];
                const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0)
                    break;
                pending.append(buffer, static_cast<std::size_t>(n));
                std::size_t end;
                while (open && (end = pending.find("\r\n\r\n")) != std::string::npos) {
                    {
                        std::lock_guard lock(m_mutex);
                        if (m_firstRequest.empty())
                            m_firstRequest = pending.substr(0, end + 4);
                    }
                    pending.erase(0, end + 4);
                    std::size_t sent = 0;
                    while (sent < m_response.size()) {
                        const ssize_t w = ::send(fd, m_response.data() + sent, m_response.size() - sent, MSG_NOSIGNAL);
                        if (w <= 0)
                            break;
                        sent += static_cast<std::size_t>(w);
                    }
                    open = !m_closeAfter && sent == m_response.size();
                }
            }
            ::close(fd);
        }
    }

    std::string m_response;
    bool m_closeAfter;
    Socket m_listener;
    std::atomic<bool> m_stop { false };
    mutable std::mutex m_mutex;
    std::string m_firstRequest;
    std::thread m_thread;
};

std::variant<cs::LoadOptions, std::string> parse(const QByteArrayList& args)
{
    std::vector<std::string> storage { "clusterscope-load" };
    for (const QByteArray& arg : args)
        storage.push_back(arg.toStdString());
    std::vector<const char*> argv;
    for (const std::string& s : storage)
        argv.push_back(s.c_str());
    return cs::parseLoadArgs(static_cast<int>(argv.size()), argv.data());
}

int exitCode(const std::optional<int>& status)
{
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::string example(const std::string& name)
{
    return std::filesystem::path(cs::test::dataFile("")).parent_path().parent_path().string() + "/examples/" + name;
}

// A built-in worker of its own on an ephemeral port; its port, or 0 when it did not start.
std::uint16_t startWorker(ChildProcess& worker)
{
    if (!worker.start())
        return 0;
    const auto line = worker.waitForLine("listening on", 5000ms);
    return line ? static_cast<std::uint16_t>(std::atoi(line->c_str() + line->rfind(':') + 1)) : 0;
}

} // namespace

class TestLoadGenerator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void parseAcceptsGoodFlags_data();
    void parseAcceptsGoodFlags();
    void parseRejectsBadFlags_data();
    void parseRejectsBadFlags();

    void countedRequests_data();
    void countedRequests();
    void rateLimitHoldsTheRate();
    void durationEndsTheLoadAndReportsProgress();
    void stopEndsTheLoadEarly();
    void responseShapes_data();
    void responseShapes();
    void refusedPortCountsErrors();
    void ipv6TargetIsWrittenInBrackets();
    void silentServerTimesOut();
    void invalidOptionsAreRefused();
    void commandLinePrintsSummary();
    void summaryCountsInTheRightNumber();
    void commandLineExitStatus();
    void fairnessCountsEveryWorkerOfTheCluster();
    void examplesAnsweringChunkedCountEveryResponse_data();
    void examplesAnsweringChunkedCountEveryResponse();
    void stalledWorkerShowsInTheCorrectedLatency();
    void noAllocationPerResponse();

private:
    cs::LoadOptions options(std::uint64_t requests) const;
    std::unique_ptr<ChildProcess> m_worker;
    std::uint16_t m_port = 0;
};

cs::LoadOptions TestLoadGenerator::options(std::uint64_t requests) const
{
    cs::LoadOptions o;
    o.port = m_port;
    o.requests = requests;
    o.connections = 4;
    o.timeoutMs = 3000;
    return o;
}

void TestLoadGenerator::initTestCase()
{
    m_worker = std::make_unique<ChildProcess>(cs::test::binDir() + "/clusterscope-worker",
                                              std::vector<std::string> { "--slot", "3", "--port", "0" });
    QVERIFY2(m_worker->start(), "could not start clusterscope-worker");
    const auto line = m_worker->waitForLine("listening on", 5000ms);
    QVERIFY2(line, ("worker did not report its port; stderr: " + m_worker->stderrText()).c_str());
    m_port = static_cast<std::uint16_t>(std::atoi(line->c_str() + line->rfind(':') + 1));
    QVERIFY(m_port != 0);
}

void TestLoadGenerator::cleanupTestCase()
{
    m_worker.reset(); // kills the worker
}

void TestLoadGenerator::parseAcceptsGoodFlags_data()
{
    QTest::addColumn<QByteArrayList>("args");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("connections");
    QTest::addColumn<double>("duration");
    QTest::addColumn<qulonglong>("requests");
    QTest::addColumn<double>("rate");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<bool>("json");
    QTest::addColumn<int>("workers");
    QTest::addColumn<QByteArray>("metricsUrl");

    QTest::newRow("defaults") << QByteArrayList {} << 8000 << 10 << 10.0 << 0ull << 0.0 << true << QByteArray("/") << false
                              << 0 << QByteArray();
    QTest::newRow("short flags") << QByteArrayList { "-c", "3", "-d", "2.5", "-n", "40" } << 8000 << 3 << 2.5 << 40ull
                                 << 0.0 << true << QByteArray("/") << false << 0 << QByteArray();
    QTest::newRow("long flags") << QByteArrayList { "--port", "9001", "--connections", "7", "--rate", "150",
                                                 "--new-connection", "--path", "/cpu?ms=2", "--json", "--workers", "4" }
                                << 9001 << 7 << 10.0 << 0ull << 150.0 << false << QByteArray("/cpu?ms=2") << true << 4
                                << QByteArray();
    QTest::newRow("equals form") << QByteArrayList { "--port=1234", "--requests=5", "--keep-alive", "--workers=2" } << 1234
                                 << 10 << 10.0 << 5ull << 0.0 << true << QByteArray("/") << false << 2 << QByteArray();
    QTest::newRow("last connection mode wins") << QByteArrayList { "--new-connection", "--keep-alive" } << 8000 << 10
                                               << 10.0 << 0ull << 0.0 << true << QByteArray("/") << false << 0
                                               << QByteArray();
    QTest::newRow("metrics url") << QByteArrayList { "--metrics-url", "http://127.0.0.1:9100/metrics" } << 8000 << 10
                                 << 10.0 << 0ull << 0.0 << true << QByteArray("/") << false << 0
                                 << QByteArray("http://127.0.0.1:9100/metrics");
}

void TestLoadGenerator::parseAcceptsGoodFlags()
{
    QFETCH(QByteArrayList, args);
    const auto result = parse(args);
    QVERIFY2(std::holds_alternative<cs::LoadOptions>(result),
             std::holds_alternative<std::string>(result) ? std::get<std::string>(result).c_str() : "");
    const auto& o = std::get<cs::LoadOptions>(result);
    QTEST(int(o.port), "port");
    QTEST(o.connections, "connections");
    QTEST(o.durationSeconds, "duration");
    QTEST(qulonglong(o.requests), "requests");
    QTEST(o.rate, "rate");
    QTEST(o.keepAlive, "keepAlive");
    QTEST(QByteArray::fromStdString(o.path), "path");
    QTEST(o.json, "json");
    QTEST(o.workers, "workers");
    QTEST(QByteArray::fromStdString(o.metricsUrl), "metricsUrl");
    QVERIFY(!o.help);
    QVERIFY(cs::validateLoadOptions(o).empty());
}

void TestLoadGenerator::parseRejectsBadFlags_data()
{
    QTest::addColumn<QByteArrayList>("args");
    QTest::addColumn<QByteArray>("mentions"); // the flag the sentence must name

    QTest::newRow("unknown flag") << QByteArrayList { "--frobnicate" } << QByteArray("--frobnicate");
    QTest::newRow("port zero") << QByteArrayList { "--port", "0" } << QByteArray("--port");
    QTest::newRow("port too big") << QByteArrayList { "--port", "70000" } << QByteArray("--port");
    QTest::newRow("port not a number") << QByteArrayList { "--port", "http" } << QByteArray("--port");
    QTest::newRow("no connections") << QByteArrayList { "-c", "0" } << QByteArray("-c");
    QTest::newRow("negative connections") << QByteArrayList { "--connections", "-4" } << QByteArray("--connections");
    QTest::newRow("zero duration") << QByteArrayList { "-d", "0" } << QByteArray("-d");
    QTest::newRow("duration with junk") << QByteArrayList { "--duration", "5s" } << QByteArray("--duration");
    QTest::newRow("negative requests") << QByteArrayList { "-n", "-1" } << QByteArray("-n");
    QTest::newRow("negative rate") << QByteArrayList { "--rate", "-10" } << QByteArray("--rate");
    QTest::newRow("rate not finite") << QByteArrayList { "--rate", "inf" } << QByteArray("--rate");
    QTest::newRow("path without slash") << QByteArrayList { "--path", "index.html" } << QByteArray("--path");
    QTest::newRow("path with space") << QByteArrayList { "--path", "/a b" } << QByteArray("--path");
    QTest::newRow("timeout zero") << QByteArrayList { "--timeout-ms", "0" } << QByteArray("--timeout-ms");
    QTest::newRow("missing value") << QByteArrayList { "--port" } << QByteArray("--port");
    QTest::newRow("value on a switch") << QByteArrayList { "--json=yes" } << QByteArray("--json");
    QTest::newRow("empty host") << QByteArrayList { "--host", "" } << QByteArray("--host");
    QTest::newRow("no workers") << QByteArrayList { "--workers", "0" } << QByteArray("--workers");
    QTest::newRow("workers not a number") << QByteArrayList { "--workers", "two" } << QByteArray("--workers");
    QTest::newRow("metrics url https") << QByteArrayList { "--metrics-url", "https://127.0.0.1:9100/metrics" }
                                       << QByteArray("--metrics-url");
    QTest::newRow("metrics url bad port") << QByteArrayList { "--metrics-url", "127.0.0.1:0" } << QByteArray("--metrics-url");
    QTest::newRow("two worker counts") << QByteArrayList { "--workers", "2", "--metrics-url", "127.0.0.1:9100" }
                                       << QByteArray("--workers and --metrics-url");
}

void TestLoadGenerator::parseRejectsBadFlags()
{
    QFETCH(QByteArrayList, args);
    QFETCH(QByteArray, mentions);
    const auto result = parse(args);
    QVERIFY(std::holds_alternative<std::string>(result));
    const std::string& sentence = std::get<std::string>(result);
    QVERIFY2(sentence.find(mentions.toStdString()) != std::string::npos, sentence.c_str());
    // One sentence for a user: capitalised, ends with a full stop, one line.
    QVERIFY2(!sentence.empty() && std::isupper(static_cast<unsigned char>(sentence.front())), sentence.c_str());
    QVERIFY2(sentence.back() == '.', sentence.c_str());
    QVERIFY(sentence.find('\n') == std::string::npos);
}

void TestLoadGenerator::countedRequests_data()
{
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<int>("connections");
    QTest::newRow("keep-alive") << true << 10;
    QTest::newRow("new connection per request") << false << 4;
}

void TestLoadGenerator::countedRequests()
{
    QFETCH(bool, keepAlive);
    QFETCH(int, connections);
    cs::LoadOptions o = options(200);
    o.keepAlive = keepAlive;
    o.connections = connections;

    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    QVERIFY(cs::test::waitFor([&] { return !generator.running(); }, 20s));
    const cs::LoadSummary s = generator.wait();

    QCOMPARE(s.completed, 200u);
    QCOMPARE(s.errors, 0u);
    QCOMPARE(s.non2xx, 0u);
    QVERIFY2(s.firstError.empty(), s.firstError.c_str());
    QCOMPARE(s.perWorker, (std::map<std::string, std::uint64_t> { { "3", 200 } }));
    // One worker, and no count given: the index is over the one that answered.
    QVERIFY(s.fairness);
    QCOMPARE(*s.fairness, 1.0);
    QCOMPARE(s.workers, 1);
    QCOMPARE(s.workersFrom, cs::WorkerCount::Answered);
    if (keepAlive)
        QVERIFY2(s.connectionsOpened <= std::uint64_t(connections), std::to_string(s.connectionsOpened).c_str());
    else
        QCOMPARE(s.connectionsOpened, 200u);
    QVERIFY(s.elapsedSeconds > 0);
    QVERIFY(s.requestsPerSecond > 0);
    QVERIFY(s.p50Ms > 0);
    QVERIFY(s.p50Ms <= s.p90Ms && s.p90Ms <= s.p99Ms && s.p99Ms <= s.maxMs);
    QVERIFY(s.maxMs < o.timeoutMs);
}

void TestLoadGenerator::rateLimitHoldsTheRate()
{
    cs::LoadOptions o = options(0);
    o.durationSeconds = 1;
    o.rate = 100;
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    const cs::LoadSummary s = generator.wait();
    QCOMPARE(s.errors, 0u);
    // Slots at 0, 10, ..., 990 ms fit in one second: 100, give or take a timer tick at the edges.
    QVERIFY2(s.completed >= 90 && s.completed <= 102, std::to_string(s.completed).c_str());
    QVERIFY(s.elapsedSeconds >= 0.99 && s.elapsedSeconds < 1.5);
}

void TestLoadGenerator::durationEndsTheLoadAndReportsProgress()
{
    cs::LoadOptions o = options(0);
    o.durationSeconds = 1;
    o.path = "/sleep?ms=5"; // keeps the request count modest
    std::vector<cs::LoadProgress> reports; // written on the load thread, read after wait()
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, [&](const cs::LoadProgress& p) { reports.push_back(p); }));
    QVERIFY(generator.running());
    const cs::LoadSummary s = generator.wait();
    QVERIFY(!generator.running());

    QVERIFY(s.elapsedSeconds >= 0.99 && s.elapsedSeconds < 1.5);
    QVERIFY(s.completed > 10);
    QCOMPARE(s.errors, 0u);
    // About every 200 ms, and once at the end with the whole count.
    QVERIFY2(reports.size() >= 4 && reports.size() <= 7, std::to_string(reports.size()).c_str());
    for (std::size_t i = 1; i < reports.size(); ++i) {
        QVERIFY(reports[i].elapsedSeconds >= reports[i - 1].elapsedSeconds);
        QVERIFY(reports[i].completed >= reports[i - 1].completed);
        QVERIFY(reports[i].fraction >= reports[i - 1].fraction);
    }
    QCOMPARE(reports.back().fraction, 1.0);
    QCOMPARE(reports.back().completed, s.completed);
    QVERIFY(reports[reports.size() - 2].requestsPerSecond > 0);
}

void TestLoadGenerator::stopEndsTheLoadEarly()
{
    cs::LoadOptions o = options(0);
    o.durationSeconds = 60;
    std::atomic<int> reports = 0;
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, [&](const cs::LoadProgress&) { ++reports; }));
    QVERIFY(!generator.start(o, {})); // one load at a time
    QVERIFY(cs::test::waitFor([&] { return reports >= 2; }, 5s));
    generator.stop();
    QVERIFY(cs::test::waitFor([&] { return !generator.running(); }, 5s));
    const cs::LoadSummary s = generator.wait();
    QVERIFY(s.elapsedSeconds < 10);
    QVERIFY(s.completed > 0);
    QCOMPARE(s.errors, 0u); // the connections closed by stop() are not errors

    // The same generator runs again after a wait().
    QVERIFY(generator.start(options(10), {}));
    QCOMPARE(generator.wait().completed, 10u);
}

void TestLoadGenerator::responseShapes_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<bool>("closeAfter");
    QTest::addColumn<int>("completed");
    QTest::addColumn<int>("non2xx");
    QTest::addColumn<int>("connections"); // opened for 5 requests
    QTest::addColumn<QByteArray>("worker"); // empty: no X-Worker
    QTest::addColumn<QByteArray>("error"); // expected in firstError; empty: no error

    QTest::newRow("content-length, keep-alive")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-worker:  7 \r\n\r\nhello") << false << 5 << 0 << 1
        << QByteArray("7") << QByteArray();
    QTest::newRow("connection: close")
        << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\nX-Worker: 2\r\n\r\nhi") << true
        << 5 << 0 << 5 << QByteArray("2") << QByteArray();
    QTest::newRow("HTTP/1.0 body until close")
        << QByteArray("HTTP/1.0 200 OK\r\nX-Worker: 9\r\n\r\nthe body runs until the server closes") << true << 5
        << 0 << 5 << QByteArray("9") << QByteArray();
    QTest::newRow("body larger than the buffer")
        << (QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n") + QByteArray(200000, 'x')) << false << 5
        << 0 << 1 << QByteArray() << QByteArray();
    QTest::newRow("204 without length")
        << QByteArray("HTTP/1.1 204 No Content\r\nX-Worker: 1\r\n\r\n") << false << 5 << 0 << 1 << QByteArray("1")
        << QByteArray();
    QTest::newRow("non-2xx is a response, not an error")
        << QByteArray("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n") << false << 5 << 5 << 1
        << QByteArray() << QByteArray();
    QTest::newRow("chunked, keep-alive")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Worker: 4\r\n\r\n5;ext=1\r\nhello\r\n"
                      "6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
        << false << 5 << 0 << 1 << QByteArray("4") << QByteArray();
    QTest::newRow("1xx before the response")
        << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Worker: 5\r\n\r\nhi")
        << false << 5 << 0 << 1 << QByteArray("5") << QByteArray();
    QTest::newRow("body over the limit is an error, not a crash")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 68719476736\r\n\r\n") << true << 0 << 0 << 5
        << QByteArray() << QByteArray("has a body larger than 64 MiB, the most that is read");
    QTest::newRow("chunked body over the limit")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000\r\n") << true << 0 << 0 << 5
        << QByteArray() << QByteArray("has a body larger than 64 MiB");
    QTest::newRow("cut short") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf") << true << 0 << 0
                               << 5 << QByteArray() << QByteArray("closed the connection before a full response");
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << true << 0 << 0 << 5 << QByteArray()
                              << QByteArray("invalid response");
    QTest::newRow("closed without an answer") << QByteArray() << true << 0 << 0 << 5 << QByteArray()
                                              << QByteArray("closed the connection before a full response");
}

void TestLoadGenerator::responseShapes()
{
    QFETCH(QByteArray, response);
    QFETCH(bool, closeAfter);
    QFETCH(int, completed);
    QFETCH(int, non2xx);
    QFETCH(int, connections);
    QFETCH(QByteArray, worker);
    QFETCH(QByteArray, error);

    CannedServer server(response.toStdString(), closeAfter);
    QVERIFY(server.port() != 0);
    cs::LoadOptions o = options(5);
    o.port = server.port();
    o.connections = 1;
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    const cs::LoadSummary s = generator.wait();

    QCOMPARE(s.completed, std::uint64_t(completed));
    QCOMPARE(s.errors, std::uint64_t(5 - completed));
    QCOMPARE(s.non2xx, std::uint64_t(non2xx));
    QCOMPARE(s.connectionsOpened, std::uint64_t(connections));
    if (worker.isEmpty())
        QVERIFY(s.perWorker.empty());
    else
        QCOMPARE(s.perWorker, (std::map<std::string, std::uint64_t> { { worker.toStdString(), 5 } }));
    if (error.isEmpty())
        QVERIFY2(s.firstError.empty(), s.firstError.c_str());
    else
        QVERIFY2(s.firstError.find(error.toStdString()) != std::string::npos, s.firstError.c_str());
}

void TestLoadGenerator::refusedPortCountsErrors()
{
    Socket bound(false); // holds the port so nobody else listens on it
    QVERIFY(bound.port() != 0);
    cs::LoadOptions o = options(20);
    o.port = bound.port();
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    const cs::LoadSummary s = generator.wait();
    QCOMPARE(s.completed, 0u);
    QCOMPARE(s.errors, 20u);
    QCOMPARE(s.connectionsOpened, 0u);
    QVERIFY2(QString::fromStdString(s.firstError).contains(QLatin1String("refused"), Qt::CaseInsensitive),
             s.firstError.c_str());
    QVERIFY(s.perWorker.empty());
}

void TestLoadGenerator::ipv6TargetIsWrittenInBrackets()
{
    // The Host header: "Host: ::1:PORT" is not a valid one.
    CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, AF_INET6);
    QVERIFY(server.port() != 0);
    const std::string where = "[::1]:" + std::to_string(server.port());
    cs::LoadOptions o = options(1);
    o.host = "::1";
    o.port = server.port();
    o.connections = 1;
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    QCOMPARE(generator.wait().completed, 1u);
    const std::string request = server.firstRequest();
    QVERIFY2(request.find("\r\nHost: " + where + "\r\n") != std::string::npos, request.c_str());

    // The error messages.
    Socket bound(false, AF_INET6);
    QVERIFY(bound.port() != 0);
    o.port = bound.port();
    QVERIFY(generator.start(o, {}));
    const std::string error = generator.wait().firstError;
    QVERIFY2(error.find("connect to [::1]:" + std::to_string(bound.port()) + " failed") != std::string::npos,
             error.c_str());
}

void TestLoadGenerator::silentServerTimesOut()
{
    Socket silent(true); // the kernel completes the handshake, nobody ever answers
    QVERIFY(silent.port() != 0);
    cs::LoadOptions o = options(2);
    o.port = silent.port();
    o.connections = 1;
    o.timeoutMs = 150;
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, {}));
    const cs::LoadSummary s = generator.wait();
    QCOMPARE(s.completed, 0u);
    QCOMPARE(s.errors, 2u);
    QVERIFY(s.connectionsOpened >= 1);
    QVERIFY2(s.firstError.find("timed out after 150 ms") != std::string::npos, s.firstError.c_str());
    QVERIFY(s.elapsedSeconds >= 0.29 && s.elapsedSeconds < 2);
}

void TestLoadGenerator::invalidOptionsAreRefused()
{
    cs::LoadOptions o = options(10);
    o.connections = 0;
    cs::LoadGenerator generator;
    QVERIFY(!generator.start(o, {}));
    QVERIFY(!generator.running());
    QVERIFY(!generator.wait().firstError.empty());
}

void TestLoadGenerator::commandLinePrintsSummary()
{
    const std::string port = std::to_string(m_port);
    ChildProcess text(cs::test::binDir() + "/clusterscope-load", { "--port", port, "-n", "100", "-c", "2" });
    QVERIFY(text.start());
    QCOMPARE(exitCode(text.waitExit(20s)), 0);
    const QString out = QString::fromStdString(text.stdoutText());
    QVERIFY2(out.contains(QLatin1String("100 completed, 0 errors")), qPrintable(out));
    QVERIFY2(out.contains(QRegularExpression(QStringLiteral("worker 3 +100 +100\\.0%"))), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("Jain's index 1.000 over the 1 worker that answered")), qPrintable(out));
    QVERIFY2(out.contains(QRegularExpression(QStringLiteral("p50 [0-9.]+ ms"))), qPrintable(out));

    ChildProcess json(cs::test::binDir() + "/clusterscope-load", { "--port", port, "-n", "50", "--json" });
    QVERIFY(json.start());
    QCOMPARE(exitCode(json.waitExit(20s)), 0);
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json.stdoutText()));
    QVERIFY2(doc.isObject(), json.stdoutText().c_str());
    QCOMPARE(doc[QLatin1String("completed")].toInt(), 50);
    QCOMPARE(doc[QLatin1String("errors")].toInt(), 0);
    QCOMPARE(doc[QLatin1String("perWorker")][QLatin1String("3")].toInt(), 50);
    QCOMPARE(doc[QLatin1String("fairness")].toDouble(), 1.0);
    QCOMPARE(doc[QLatin1String("workers")].toInt(), 1);
    QCOMPARE(doc[QLatin1String("workersFrom")].toString(), QStringLiteral("answered"));
}

void TestLoadGenerator::fairnessCountsEveryWorkerOfTheCluster()
{
    // A real headless cluster of two. One keep-alive connection stays with the worker it was
    // handed to, so that worker answers everything and the other gets nothing: Jain 0.5.
    ChildProcess master(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100",
                          "--metrics-port", "0" });
    QVERIFY(master.start());
    const std::uint16_t clusterPort = cs::test::jsonPort(master);
    QVERIFY(clusterPort != 0);
    QCOMPARE(cs::test::onlineWorkerPids(master, 2).size(), std::size_t(2));
    QRegularExpressionMatch metrics;
    QVERIFY(cs::test::waitFor(
        [&] {
            metrics = QRegularExpression(QStringLiteral("metrics at (http://127.0.0.1:[0-9]+/metrics)"))
                          .match(QString::fromStdString(master.stderrText()));
            return metrics.hasMatch();
        },
        10s));
    const std::string port = std::to_string(clusterPort);
    const std::string metricsUrl = metrics.captured(1).toStdString();

    auto load = [&](std::vector<std::string> extra, std::string* out) {
        std::vector<std::string> args { "--port", port, "-c", "1", "-n", "200" };
        args.insert(args.end(), extra.begin(), extra.end());
        ChildProcess run(cs::test::binDir() + "/clusterscope-load", args);
        if (!run.start())
            return -1;
        const int code = exitCode(run.waitExit(30s));
        *out = run.stdoutText() + run.stderrText();
        return code;
    };
    auto checkJson = [&](const std::string& text, const QString& from) {
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text));
        QVERIFY2(doc.isObject(), text.c_str());
        QCOMPARE(doc[QLatin1String("completed")].toInt(), 200);
        QCOMPARE(doc[QLatin1String("perWorker")].toObject().size(), 1); // one worker answered everything
        QCOMPARE(doc[QLatin1String("workers")].toInt(), 2);
        QCOMPARE(doc[QLatin1String("workersFrom")].toString(), from);
        QCOMPARE(doc[QLatin1String("fairness")].toDouble(), 0.5);
    };

    std::string out;
    QCOMPARE(load({ "--json", "--workers", "2" }, &out), 0);
    checkJson(out, QStringLiteral("given"));
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(load({ "--json", "--metrics-url", metricsUrl }, &out), 0);
    checkJson(out, QStringLiteral("metrics"));
    if (QTest::currentTestFailed())
        return;

    QCOMPARE(load({ "--workers", "2" }, &out), 0);
    QVERIFY2(out.find("Jain's index 0.500 over 2 workers") != std::string::npos, out.c_str());
    QVERIFY2(out.find("1 other worker got none") != std::string::npos, out.c_str());
    // Without a count it cannot know of the worker that got nothing, and says so plainly.
    QCOMPARE(load({}, &out), 0);
    QVERIFY2(out.find("Jain's index 1.000 over the 1 worker that answered") != std::string::npos, out.c_str());
    QVERIFY2(out.find("pass --workers N") != std::string::npos, out.c_str());

    // A metrics URL that does not answer: one clear line, no load, exit status 1.
    Socket refused(false);
    QCOMPARE(load({ "--metrics-url", "http://127.0.0.1:" + std::to_string(refused.port()) + "/metrics" }, &out), 1);
    QVERIFY2(out.find("Could not connect to the metrics at") != std::string::npos, out.c_str());
    QVERIFY2(out.find("--workers N") != std::string::npos, out.c_str());

    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestLoadGenerator::summaryCountsInTheRightNumber()
{
    cs::LoadSummary s;
    s.completed = 4;
    s.errors = 1;
    QVERIFY2(cs::formatSummary(s).find("4 completed, 1 error, 0 non-2xx\n") != std::string::npos,
             cs::formatSummary(s).c_str());
    s.errors = 2;
    QVERIFY(cs::formatSummary(s).find("4 completed, 2 errors, 0 non-2xx\n") != std::string::npos);
}

void TestLoadGenerator::commandLineExitStatus()
{
    ChildProcess badFlag(cs::test::binDir() + "/clusterscope-load", { "--connections", "none" });
    QVERIFY(badFlag.start());
    QCOMPARE(exitCode(badFlag.waitExit(10s)), 2);
    QVERIFY2(badFlag.stderrText().find("--connections") != std::string::npos, badFlag.stderrText().c_str());
    QVERIFY(badFlag.stdoutText().empty());

    Socket bound(false);
    ChildProcess unreachable(cs::test::binDir() + "/clusterscope-load",
                             { "--port", std::to_string(bound.port()), "-n", "5" });
    QVERIFY(unreachable.start());
    QCOMPARE(exitCode(unreachable.waitExit(10s)), 1);
    QVERIFY2(unreachable.stderrText().find("refused") != std::string::npos, unreachable.stderrText().c_str());
}

void TestLoadGenerator::examplesAnsweringChunkedCountEveryResponse_data()
{
    QTest::addColumn<QByteArray>("program");
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("minConnections");
    QTest::addColumn<int>("maxConnections");
    // 20 requests over 2 keep-alive connections; with close-every=3 each connection is closed
    // by the server after its 3rd response and opened again: 7 or 8 connections in all.
    QTest::newRow("node, chunked") << QByteArray("node") << QByteArray("node-server.js") << QByteArray("/chunked") << 1
                                   << 2;
    QTest::newRow("node, chunked, Connection: close every 3rd")
        << QByteArray("node") << QByteArray("node-server.js") << QByteArray("/chunked?close-every=3") << 7 << 8;
    QTest::newRow("python, chunked") << QByteArray("python3") << QByteArray("python-server.py")
                                     << QByteArray("/chunked") << 1 << 2;
    QTest::newRow("python, chunked, Connection: close every 3rd")
        << QByteArray("python3") << QByteArray("python-server.py") << QByteArray("/chunked?close-every=3") << 7 << 8;
}

void TestLoadGenerator::examplesAnsweringChunkedCountEveryResponse()
{
    QFETCH(QByteArray, program);
    QFETCH(QByteArray, script);
    QFETCH(QByteArray, path);
    QFETCH(int, minConnections);
    QFETCH(int, maxConnections);
    // The example as a one-worker cluster of the real master (shared: it takes the socket by
    // socket activation); the master's process group goes with `master` if a check fails.
    ChildProcess master(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "1", "--policy", "shared", "--json", "--interval",
                          "100", "--exec", program.toStdString(), example(script.toStdString()) });
    QVERIFY(master.start());
    const std::uint16_t port = cs::test::jsonPort(master);
    QVERIFY(port != 0);
    QVERIFY(cs::test::waitFor([&] { return cs::test::httpGet(port, "/chunked").status == 200; }, 15s));

    ChildProcess load(cs::test::binDir() + "/clusterscope-load",
                      { "--port", std::to_string(port), "-n", "20", "-c", "2", "--path", path.toStdString(), "--json" });
    QVERIFY(load.start());
    QCOMPARE(exitCode(load.waitExit(30s)), 0);
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(load.stdoutText()));
    QVERIFY2(doc.isObject(), (load.stdoutText() + load.stderrText()).c_str());
    QVERIFY2(doc[QLatin1String("firstError")].toString().isEmpty(), load.stdoutText().c_str());
    QCOMPARE(doc[QLatin1String("completed")].toInt(), 20);
    QCOMPARE(doc[QLatin1String("errors")].toInt(), 0);
    QCOMPARE(doc[QLatin1String("non2xx")].toInt(), 0);
    QCOMPARE(doc[QLatin1String("perWorker")][QLatin1String("1")].toInt(), 20);
    const int connections = doc[QLatin1String("connectionsOpened")].toInt();
    QVERIFY2(connections >= minConnections && connections <= maxConnections, std::to_string(connections).c_str());

    master.signal(SIGTERM);
    QVERIFY2(master.waitExit(15s), master.stderrText().c_str());
}

void TestLoadGenerator::stalledWorkerShowsInTheCorrectedLatency()
{
    ChildProcess worker(cs::test::binDir() + "/clusterscope-worker", { "--slot", "1", "--port", "0" });
    const std::uint16_t port = startWorker(worker);
    QVERIFY2(port != 0, worker.stderrText().c_str());
    // Whatever fails below, the worker is resumed before it is killed and reaped.
    struct Resume {
        int pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume { worker.pid() };

    // 200 req/s on one connection for 3 s; the worker is stopped for 1 s in the middle. The
    // requests due during the stall are sent late, and quickly, once it is over: timed from
    // their send they look fast; timed from their schedule about 200 of 600 wait up to 1 s.
    cs::LoadOptions o = options(0);
    o.port = port;
    o.connections = 1;
    o.rate = 200;
    o.durationSeconds = 3;
    std::atomic<double> elapsed { 0 };
    cs::LoadGenerator generator;
    QVERIFY(generator.start(o, [&](const cs::LoadProgress& p) { elapsed = p.elapsedSeconds; }));
    QVERIFY(cs::test::waitFor([&] { return elapsed >= 0.8; }, 10s));
    QCOMPARE(::kill(worker.pid(), SIGSTOP), 0);
    const double stoppedAt = elapsed;
    // The length of the stall is the experiment: 1 s by the load's own clock.
    QVERIFY(cs::test::waitFor([&] { return elapsed >= stoppedAt + 1.0; }, 10s));
    QCOMPARE(::kill(worker.pid(), SIGCONT), 0);
    const cs::LoadSummary s = generator.wait();

    const std::string figures = cs::formatSummary(s);
    QVERIFY2(s.errors == 0 && s.completed >= 550 && s.completed <= 605, figures.c_str());
    QVERIFY(s.fromSchedule);
    QVERIFY2(s.p99Ms >= 500, figures.c_str());
    QVERIFY2(s.maxMs >= 900, figures.c_str());
    // Only the one request caught by the stop waited from its send: p99 misses it.
    QVERIFY2(s.asSent.p99Ms < 100, figures.c_str());
    QVERIFY2(s.asSent.maxMs >= 900, figures.c_str());
    QVERIFY2(figures.find("(from the scheduled send)") != std::string::npos, figures.c_str());
}

void TestLoadGenerator::noAllocationPerResponse()
{
#ifndef CS_COUNT_ALLOCATIONS
    QSKIP("the allocation count interposes malloc, which ASan owns");
#else
    // Whole loads of 200 and of 5200 requests on 2 keep-alive connections: the 5000 extra
    // responses must cost no more allocations than a load costs anyway (connections,
    // timers, the thread). A parser or a string made per response would add thousands.
    auto allocationsFor = [&](std::uint64_t requests) -> std::uint64_t {
        cs::LoadOptions o = options(requests);
        o.connections = 2;
        cs::LoadGenerator generator;
        const std::uint64_t before = g_allocations.load();
        if (!generator.start(o, {}))
            return 0;
        const cs::LoadSummary s = generator.wait();
        const std::uint64_t used = g_allocations.load() - before;
        return s.completed == requests && s.errors == 0 ? used : 0;
    };
    allocationsFor(200); // warms Asio's per-thread recycling and the worker
    const std::uint64_t small = allocationsFor(200);
    const std::uint64_t large = allocationsFor(5200);
    QVERIFY2(small > 0 && large > 0, "a load failed");
    const std::string counts = std::to_string(small) + " allocations for 200 responses, " + std::to_string(large)
        + " for 5200";
    qInfo("%s", counts.c_str());
    QVERIFY2(large < small + 100, counts.c_str());
#endif
}

QTEST_APPLESS_MAIN(TestLoadGenerator)
#include "tst_loadgenerator.moc"
