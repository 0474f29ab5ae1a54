// The fleet pairing, proven with the real thing: Debian's prometheus, configured from the
// shipped resources/fleet/prometheus.yml, scrapes a headless master under load; its HTTP
// query API then sees every slot's request rate above zero and a slot's restarts counter
// rise after that worker is killed. Its own ctest label (prometheus).
#include "testsupport.h"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>

#include <csignal>
#include <cctype>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using cs::test::waitFor;

namespace {

std::string findPrometheus()
{
    for (const char* candidate : { "/usr/bin/prometheus", "/usr/local/bin/prometheus" })
        if (::access(candidate, X_OK) == 0)
            return candidate;
    return {};
}

std::uint16_t portAfter(const std::string& text, const std::string& pattern)
{
    std::smatch match;
    if (!std::regex_search(text, match, std::regex(pattern)))
        return 0;
    return static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::string urlEncode(const std::string& text)
{
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

/// An instant query through Prometheus' HTTP API: value by the `slot` label; empty when the
/// query failed or has no result yet.
std::map<std::string, double> query(std::uint16_t port, const std::string& expression)
{
    std::map<std::string, double> values;
    const auto response = cs::test::httpGet(port, "/api/v1/query?query=" + urlEncode(expression), 3s);
    if (response.status != 200)
        return values;
    boost::system::error_code ec;
    const auto document = boost::json::parse(response.body, ec);
    if (ec || !document.is_object())
        return values;
    const auto* data = document.as_object().if_contains("data");
    if (!data || !data->is_object() || !data->as_object().if_contains("result"))
        return values;
    for (const auto& series : data->as_object().at("result").as_array()) {
        const auto& metric = series.at("metric").as_object();
        const std::string slot = metric.if_contains("slot") ? std::string(metric.at("slot").as_string()) : "";
        const auto& value = series.at("value").as_array(); // [time, "value"]
        values[slot] = std::strtod(std::string(value.at(1).as_string()).c_str(), nullptr);
    }
    return values;
}

} // namespace

class TestPrometheusServer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void prometheusSeesRatesAndRestarts();
};

void TestPrometheusServer::prometheusSeesRatesAndRestarts()
{
    const std::string prometheus = findPrometheus();
    QVERIFY2(!prometheus.empty(), "prometheus is not installed: installer/bootstrap.sh test installs it");

    ChildProcess master(cs::test::binDir() + "/clusterscope",
                        { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "200",
                          "--metrics-port", "0" });
    QVERIFY(master.start());
    std::uint16_t metricsPort = 0;
    QVERIFY(waitFor([&] {
        return (metricsPort = portAfter(master.stderrText(), "metrics at http://127.0.0.1:([0-9]+)/metrics")) != 0;
    }, 10s));
    const std::uint16_t port = cs::test::jsonPort(master);
    QVERIFY(port != 0);
    const auto pids = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(pids.size(), std::size_t(2));

    // The shipped scrape configuration, pointed at this master and scraping every second.
    std::ifstream shipped(std::string(std::getenv("CS_TEST_DATA")) + "/../../resources/fleet/prometheus.yml");
    QVERIFY(shipped.good());
    std::string config((std::istreambuf_iterator<char>(shipped)), {});
    QVERIFY(config.find("\"127.0.0.1:9464\"") != std::string::npos);
    QVERIFY(config.find("scrape_interval: 5s") != std::string::npos);
    config = std::regex_replace(config, std::regex("\"127\\.0\\.0\\.1:9464\""), "\"127.0.0.1:" + std::to_string(metricsPort) + "\"");
    config = std::regex_replace(config, std::regex("scrape_interval: 5s"), "scrape_interval: 1s");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string root = dir.path().toStdString();
    std::ofstream(root + "/prometheus.yml") << config;

    ChildProcess server(prometheus, { "--config.file=" + root + "/prometheus.yml", "--storage.tsdb.path=" + root + "/data",
                                      "--web.listen-address=127.0.0.1:0", "--log.level=info" });
    QVERIFY(server.start());
    std::uint16_t apiPort = 0;
    QVERIFY2(waitFor([&] {
        return (apiPort = portAfter(server.stderrText(), "msg=\"Listening on\" address=127\\.0\\.0\\.1:([0-9]+)")) != 0;
    }, 30s), server.stderrText().c_str());

    ChildProcess load(cs::test::binDir() + "/clusterscope-load",
                      { "--port", std::to_string(port), "-c", "4", "--rate", "400", "-d", "60", "--keep-alive" });
    QVERIFY(load.start());

    // Both slots serve, and Prometheus' rate() over its own scrapes says so.
    std::map<std::string, double> rates;
    QVERIFY2(waitFor([&] {
        rates = query(apiPort, "sum by (slot) (rate(clusterscope_worker_requests_total[5s]))");
        return rates.size() == 2 && rates["1"] > 0 && rates["2"] > 0;
    }, 40s), ("rates by slot: " + std::to_string(rates.size()) + " series").c_str());

    // A killed worker is respawned, and Prometheus sees that slot's restarts counter rise.
    auto restarts = query(apiPort, "clusterscope_worker_restarts_total");
    QCOMPARE(restarts.size(), std::size_t(2));
    const double before = restarts["1"];
    int slotOnePid = 0;
    {
        const std::string line = cs::test::lastJsonLine(master);
        const auto snapshot = boost::json::parse(line);
        for (const auto& worker : snapshot.at("workers").as_array())
            if (worker.at("slot").to_number<int>() == 1)
                slotOnePid = worker.at("pid").to_number<int>();
    }
    QVERIFY(slotOnePid > 0);
    QCOMPARE(::kill(slotOnePid, SIGKILL), 0);
    QVERIFY2(waitFor([&] {
        restarts = query(apiPort, "clusterscope_worker_restarts_total");
        return restarts["1"] > before;
    }, 30s), ("restarts of slot 1 stayed at " + std::to_string(restarts["1"])).c_str());
    QCOMPARE(restarts["2"], 0.0);

    load.signal(SIGTERM);
    QVERIFY(load.waitExit(10s));
    server.signal(SIGTERM);
    QVERIFY(server.waitExit(20s));
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

QTEST_GUILESS_MAIN(TestPrometheusServer)
#include "tst_prometheusserver.moc"
