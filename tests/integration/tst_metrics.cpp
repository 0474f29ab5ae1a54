// The Prometheus endpoint of a headless master: well-formed text, values that move with load.
#include "testsupport.h"

#include <cmath>
#include <csignal>
#include <regex>
#include <sstream>

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

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void scrapeReflectsLoadAndRestarts();
    void metricsPortInUseIsAClearError();
};

void TestMetrics::scrapeReflectsLoadAndRestarts()
{
    ChildProcess master(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100",
                          "--metrics-port", "0" });
    QVERIFY(master.start());
    std::uint16_t metricsPort = 0;
    QVERIFY(waitFor(
        [&] { return (metricsPort = numberAfter(master.stderrText(), "metrics at http://127.0.0.1:([0-9]+)/metrics")) != 0; },
        10s));
    const auto port = cs::test::jsonPort(master);
    QVERIFY(port != 0);

    auto scrape = [&] { return cs::test::httpGet(metricsPort, "/metrics"); };
    auto first = scrape();
    QCOMPARE(first.status, 200);
    QVERIFY(first.headers["content-type"].find("version=0.0.4") != std::string::npos);
    // Every line is a comment or `name{labels} value`, every family has HELP and TYPE.
    // A value not known yet (fairness before the first request) is NaN, as Prometheus spells it.
    const std::regex sampleLine(R"(^[a-z_:][a-z0-9_:]*(\{([a-z_]+="[^"]*",?)+\})? (-?[0-9.e+\-]+(e[+\-]?[0-9]+)?|NaN)$)");
    std::istringstream lines(first.body);
    std::string text;
    int samples = 0;
    while (std::getline(lines, text)) {
        if (text.rfind("# HELP ", 0) == 0 || text.rfind("# TYPE ", 0) == 0)
            continue;
        QVERIFY2(std::regex_match(text, sampleLine), text.c_str());
        ++samples;
    }
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
    QVERIFY(first.start());
    std::uint16_t metricsPort = 0;
    QVERIFY(waitFor(
        [&] { return (metricsPort = numberAfter(first.stderrText(), "metrics at http://127.0.0.1:([0-9]+)/metrics")) != 0; },
        10s));
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

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
