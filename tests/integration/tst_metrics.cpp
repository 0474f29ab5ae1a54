// The Prometheus endpoint of a headless master: text a strict parser of the format accepts,
// values that move with load, an exact latency sum, and HTTP handled by Beast: malformed and
// slow clients refused or cut while scrapes go on.
#include "exposition.h"
#include "testsupport.h"

#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <csignal>
#include <memory>
#include <regex>
#include <sstream>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using cs::test::waitFor;

namespace {

std::uint16_t numberAfter(const std::string& text, const std::string& pattern)
{
    std::smatch match;
    if (!std::regex_search(text, match, std::regex(pattern)))
        return 0;
    return static_cast<std::uint16_t>(std::stoi(match[1]));
}

/// The value of one sample line (name with labels exactly as written), or -1.
double sampleValue(const std::string& text, const std::string& series)
{
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (line.rfind(series + " ", 0) == 0)
            return std::stod(line.substr(series.size() + 1));
    return -1;
}

/// Starts a headless master with a metrics endpoint; returns the metrics port, 0 on failure.
std::uint16_t startWithMetrics(ChildProcess& master)
{
    if (!master.start())
        return 0;
    std::uint16_t metricsPort = 0;
    waitFor([&] { return (metricsPort = numberAfter(master.stderrText(), "metrics at http://127.0.0.1:([0-9]+)/metrics")) != 0; },
            10s);
    return metricsPort;
}

/// The status code of a raw HTTP response, 0 if there is none.
int statusOf(const std::string& response)
{
    std::smatch match;
    if (!std::regex_search(response, match, std::regex("^HTTP/1\\.1 ([0-9]{3}) ")))
        return 0;
    return std::stoi(match[1]);
}

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scrapeReflectsLoadAndRestarts();
    void metricsPortInUseIsAClearError();
    void sumIsWhatTheWorkerMeasured();
    void badRequestsAreRefused_data();
    void badRequestsAreRefused();
    void headAnswersWithoutABody();
    void slowClientIsCutAtItsDeadline();
    void fleetFilesUseOnlyWhatTheEndpointServes();
    void cleanupTestCase();

private:
    // One master with one worker for the tests after the first two; the destructor kills it
    // (and its workers) also when a test fails.
    std::unique_ptr<ChildProcess> m_master;
    std::uint16_t m_metricsPort = 0;
    std::uint16_t m_port = 0;
};

void TestMetrics::initTestCase()
{
    m_master = std::make_unique<ChildProcess>(cs::test::binDir() + "/clusterscope",
                                              std::vector<std::string> { "--headless", "--port", "0", "--workers", "1",
                                                                         "--json", "--interval", "100", "--metrics-port", "0" });
    m_metricsPort = startWithMetrics(*m_master);
    QVERIFY(m_metricsPort != 0);
    m_port = cs::test::jsonPort(*m_master);
    QVERIFY(m_port != 0);
    QCOMPARE(cs::test::onlineWorkerPids(*m_master, 1).size(), std::size_t(1));
}

// The shipped Grafana dashboard and Prometheus example (resources/fleet) name only metric
// families and labels this endpoint really serves, after a request, so no panel stays empty
// because of a misspelt name.
void TestMetrics::fleetFilesUseOnlyWhatTheEndpointServes()
{
    QCOMPARE(cs::test::httpGet(m_port, "/").status, 200);
    std::string body;
    QVERIFY(waitFor([&] {
        body = cs::test::httpGet(m_metricsPort, "/metrics").body;
        return body.find("clusterscope_worker_requests_total{slot=\"1\"} 1") != std::string::npos
            || body.find("clusterscope_worker_requests_total{slot=\"1\"} ") != std::string::npos;
    }, 10s));
    std::set<std::string> served;
    std::regex family("^# TYPE (clusterscope_[a-z_]+) ([a-z]+)$");
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, family)) {
            served.insert(m[1]);
            if (m[2] == "histogram")
                for (const char* suffix : { "_bucket", "_sum", "_count" })
                    served.insert(m[1].str() + suffix);
        }
    }
    QVERIFY(served.size() >= 10);

    const std::string root = std::string(std::getenv("CS_TEST_DATA")) + "/../../resources/fleet/";
    std::ifstream in(root + "grafana-dashboard.json");
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    boost::system::error_code ec;
    const boost::json::value dashboard = boost::json::parse(text, ec);
    QVERIFY2(!ec && dashboard.is_object(), (root + "grafana-dashboard.json is not JSON").c_str());
    int expressions = 0;
    for (const auto& panel : dashboard.at("panels").as_array())
        for (const auto& target : panel.at("targets").as_array()) {
            const std::string expr(target.at("expr").as_string());
            ++expressions;
            std::regex metric("clusterscope_[a-z_]+");
            for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric); it != std::sregex_iterator(); ++it)
                QVERIFY2(served.count(it->str()), (it->str() + " in \"" + expr + "\" is not served").c_str());
            // Labels it groups or filters by exist on the endpoint's series (instance is Prometheus' own).
            for (const char* label : { "slot", "core" })
                if (expr.find(std::string("by (instance, ") + label) != std::string::npos)
                    QVERIFY2(body.find(std::string(label) + "=\"") != std::string::npos, label);
        }
    QVERIFY(expressions >= 10);
    std::ifstream yml(root + "prometheus.yml");
    const std::string config((std::istreambuf_iterator<char>(yml)), {});
    QVERIFY(config.find("metrics_path: /metrics") != std::string::npos);
    QVERIFY(config.find("job_name: clusterscope") != std::string::npos);
}

void TestMetrics::cleanupTestCase()
{
    if (!m_master)
        return;
    m_master->signal(SIGTERM);
    const auto status = m_master->waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestMetrics::scrapeReflectsLoadAndRestarts()
{
    ChildProcess master(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100",
                          "--metrics-port", "0" });
    const std::uint16_t metricsPort = startWithMetrics(master);
    QVERIFY(metricsPort != 0);
    const auto port = cs::test::jsonPort(master);
    QVERIFY(port != 0);

    auto scrape = [&] { return cs::test::httpGet(metricsPort, "/metrics"); };
    auto first = scrape();
    QCOMPARE(first.status, 200);
    QVERIFY(first.headers["content-type"].find("version=0.0.4") != std::string::npos);
    // The whole text read by a strict parser of the format (grammar, HELP and TYPE, histograms
    // whole). A value not known yet (fairness before the first request) is NaN, as Prometheus
    // spells it.
    const auto parsed = cs::test::parseExposition(first.body);
    QVERIFY2(parsed.error.empty(), (parsed.error + "\n" + first.body).c_str());
    std::size_t samples = 0;
    for (const auto& family : parsed.families)
        samples += family.samples.size();
    QVERIFY(samples > 20);
    QVERIFY(first.body.find("# TYPE clusterscope_worker_requests_total counter") != std::string::npos);
    // No request yet: no fairness to speak of, and not a perfect 1 either.
    QVERIFY2(std::isnan(sampleValue(first.body, "clusterscope_request_fairness_ratio")), first.body.c_str());
    QVERIFY(first.body.find("\nclusterscope_request_fairness_ratio NaN\n") != std::string::npos);
    QVERIFY(std::isnan(sampleValue(first.body, "clusterscope_connection_fairness_ratio")));
    QCOMPARE(sampleValue(first.body, "clusterscope_workers"), 2.0);
    QVERIFY(first.body.find("# TYPE clusterscope_worker_request_duration_seconds histogram") != std::string::npos);
    QVERIFY(waitFor([&] { return sampleValue(scrape().body, "clusterscope_worker_up{slot=\"2\"}") == 1; }, 10s));

    for (int i = 0; i < 40; ++i)
        QCOMPARE(cs::test::httpGet(port, "/").status, 200);
    QVERIFY(waitFor(
        [&] {
            const auto body = scrape().body;
            return sampleValue(body, "clusterscope_worker_requests_total{slot=\"1\"}")
                    + sampleValue(body, "clusterscope_worker_requests_total{slot=\"2\"}")
                == 40
                && sampleValue(body, "clusterscope_worker_request_duration_seconds_count{slot=\"1\"}") == 20
                && sampleValue(body, "clusterscope_worker_request_duration_seconds_bucket{slot=\"1\",le=\"+Inf\"}") == 20
                && sampleValue(body, "clusterscope_worker_connections_handed_off_total{slot=\"2\"}") == 20;
        },
        10s));
    QCOMPARE(sampleValue(scrape().body, "clusterscope_request_fairness_ratio"), 1.0);
    const auto loaded = scrape().body;
    const auto parsedLoaded = cs::test::parseExposition(loaded);
    QVERIFY2(parsedLoaded.error.empty(), (parsedLoaded.error + "\n" + loaded).c_str());

    // A killed worker shows up as a restart; its requests stay counted.
    const auto json = master.stdoutText();
    const int pid = numberAfter(json.substr(json.rfind("\"slot\":1,")), "\"pid\":([0-9]+)");
    QVERIFY(pid > 0);
    ::kill(pid, SIGKILL);
    QVERIFY(waitFor(
        [&] {
            const auto body = scrape().body;
            return sampleValue(body, "clusterscope_worker_restarts_total{slot=\"1\"}") == 1
                && sampleValue(body, "clusterscope_worker_requests_total{slot=\"1\"}") == 20;
        },
        10s));
    QCOMPARE(cs::test::httpGet(metricsPort, "/other").status, 404);
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestMetrics::metricsPortInUseIsAClearError()
{
    ChildProcess first(cs::test::binDir() + "/clusterscope",
                       { "--headless", "--port", "0", "--workers", "1", "--metrics-port", "0" });
    const std::uint16_t metricsPort = startWithMetrics(first);
    QVERIFY(metricsPort != 0);
    ChildProcess second(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "1", "--metrics-port", std::to_string(metricsPort) });
    QVERIFY(second.start());
    const auto status = second.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 2);
    QVERIFY2(second.stderrText().find("is already in use; choose another port (--metrics-port).") != std::string::npos,
             second.stderrText().c_str());
    QVERIFY(cs::test::childrenOf(second.pid()).empty());
}

void TestMetrics::sumIsWhatTheWorkerMeasured()
{
    // Each /sleep?ms=66 is answered by a timer of 66 ms, so the worker measures at least 66 ms
    // for it, and at most the client's round trip around it. An estimate from bucket midpoints
    // would put 73.7 ms for each (the bucket is 65.5-81.9 ms): far above the round trips.
    // (A timer, not /cpu: on a busy machine a CPU burn's wall time wanders over buckets.)
    const auto before = cs::test::parseExposition(cs::test::httpGet(m_metricsPort, "/metrics").body);
    QVERIFY2(before.error.empty(), before.error.c_str());
    const std::map<std::string, std::string> slot1 { { "slot", "1" } };
    const auto* countBefore = before.sample("clusterscope_worker_request_duration_seconds_count", slot1);
    const auto* sumBefore = before.sample("clusterscope_worker_request_duration_seconds_sum", slot1);
    QVERIFY(countBefore && sumBefore);

    constexpr int kRequests = 10;
    constexpr double kSeconds = 0.066;
    double roundTrips = 0;
    for (int i = 0; i < kRequests; ++i) {
        const auto start = std::chrono::steady_clock::now();
        QCOMPARE(cs::test::httpGet(m_port, "/sleep?ms=66").status, 200);
        roundTrips += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    cs::test::Exposition after;
    QVERIFY(waitFor(
        [&] {
            after = cs::test::parseExposition(cs::test::httpGet(m_metricsPort, "/metrics").body);
            const auto* count = after.sample("clusterscope_worker_request_duration_seconds_count", slot1);
            return after.error.empty() && count && count->value == countBefore->value + kRequests;
        },
        10s));
    const auto* sumAfter = after.sample("clusterscope_worker_request_duration_seconds_sum", slot1);
    QVERIFY(sumAfter);
    const double sum = sumAfter->value - sumBefore->value;
    const QByteArray figures = QByteArray::number(sum, 'f', 9) + " s measured, " + QByteArray::number(roundTrips, 'f', 9)
        + " s of round trips";
    qInfo("%s", figures.constData());
    QVERIFY2(sum >= kRequests * kSeconds, figures.constData());
    QVERIFY2(sum <= roundTrips, figures.constData());
}

void TestMetrics::badRequestsAreRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::newRow("not HTTP") << QByteArray("hello there\r\n\r\n") << 400;
    QTest::newRow("header without colon") << QByteArray("GET /metrics HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n") << 400;
    QTest::newRow("bad version") << QByteArray("GET /metrics HTTP/9\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("GET with a body") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                                     << 400;
    QTest::newRow("bad content length") << QByteArray("GET /metrics HTTP/1.1\r\nContent-Length: x\r\n\r\n") << 400;
    QTest::newRow("POST with a form") << QByteArray("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=b")
                                      << 405;
    QTest::newRow("DELETE") << QByteArray("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n") << 405;
    QTest::newRow("other path") << QByteArray("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n") << 404;
    QTest::newRow("header over 8 KiB") << "GET /metrics HTTP/1.1\r\nX-Big: " + QByteArray(20000, 'a') + "\r\n\r\n" << 431;
    QTest::newRow("query is served") << QByteArray("GET /metrics?x=1 HTTP/1.0\r\n\r\n") << 200;
}

void TestMetrics::badRequestsAreRefused()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    const auto response = cs::test::rawExchange(m_metricsPort, request.toStdString());
    QVERIFY2(statusOf(response) == status, response.substr(0, 200).c_str());
    QVERIFY(response.find("Connection: close\r\n") != std::string::npos);
    if (status == 405)
        QVERIFY(response.find("Allow: GET, HEAD\r\n") != std::string::npos);
    if (status != 200) // one sentence saying what is served
        QVERIFY2(std::regex_search(response, std::regex("\r\n\r\n[A-Z][^\n]*\\.\n$")), response.c_str());
    // The endpoint lives on.
    QCOMPARE(cs::test::httpGet(m_metricsPort, "/metrics").status, 200);
}

void TestMetrics::headAnswersWithoutABody()
{
    const auto get = cs::test::httpGet(m_metricsPort, "/metrics");
    QCOMPARE(get.status, 200);
    const auto head = cs::test::rawExchange(m_metricsPort, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(head), 200);
    QVERIFY2(head.ends_with("\r\n\r\n"), head.c_str()); // nothing after the head
    QVERIFY(std::regex_search(head, std::regex("Content-Length: [1-9][0-9]+\r\n")));
}

void TestMetrics::slowClientIsCutAtItsDeadline()
{
    // A slowloris client: a request head trickled a byte every 200 ms, forever. Beast's read
    // has a deadline for the whole request (5 s), not per byte, so the endpoint hangs up at 5 s;
    // meanwhile a normal scrape is answered at once.
    const int fd = cs::test::connectLoopback(m_metricsPort);
    QVERIFY(fd >= 0);
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    const auto start = std::chrono::steady_clock::now();
    const std::string head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    QCOMPARE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), ssize_t(head.size()));
    const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    bool scraped = false;
    double scrapeSeconds = -1;
    double cutAt = -1;
    while (elapsed() < 10) {
        pollfd p { fd, POLLIN, 0 };
        if (::poll(&p, 1, 200) > 0) { // the server closed (EOF or reset): nothing else comes on this socket
            char byte;
            QVERIFY(::recv(fd, &byte, 1, 0) <= 0);
            cutAt = elapsed();
            break;
        }
        if (::send(fd, "X", 1, MSG_NOSIGNAL) != 1) {
            cutAt = elapsed();
            break;
        }
        if (!scraped && elapsed() > 1) {
            const auto scrapeStart = std::chrono::steady_clock::now();
            QCOMPARE(cs::test::httpGet(m_metricsPort, "/metrics").status, 200);
            scrapeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - scrapeStart).count();
            scraped = true;
        }
    }
    qInfo("slow client cut after %.3f s; a scrape meanwhile took %.3f s", cutAt, scrapeSeconds);
    QVERIFY(scraped);
    QVERIFY2(scrapeSeconds < 1, QByteArray::number(scrapeSeconds).constData());
    QVERIFY2(cutAt >= 4.8 && cutAt < 7, QByteArray::number(cutAt).constData());
}

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
