// The headless --json line: JSON that a real parser (Boost.JSON) reads, whatever the numbers and
// strings of the snapshot hold.
#include "cli/report.h"

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <QtTest>

class TestReport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void snapshotLineParses_data();
    void snapshotLineParses();
    void stringsAreEscaped();
};

namespace {

boost::json::value parsed(const std::string& line)
{
    boost::json::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec)
        qWarning("not JSON (%s): %s", ec.message().c_str(), line.c_str());
    return value;
}

} // namespace

void TestReport::snapshotLineParses_data()
{
    QTest::addColumn<double>("number");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN();
    QTest::newRow("+inf") << std::numeric_limits<double>::infinity();
    QTest::newRow("-inf") << -std::numeric_limits<double>::infinity();
    QTest::newRow("huge") << std::numeric_limits<double>::max();
    QTest::newRow("ordinary") << 12.5;
}

// Every double of a snapshot set to `number`: a NaN or an infinity (a rate over a zero interval, a
// percentage of nothing) is written as null, which JSON has; a finite one as itself.
void TestReport::snapshotLineParses()
{
    QFETCH(double, number);
    cs::Snapshot snapshot;
    snapshot.bindAddress = "127.0.0.1";
    snapshot.port = 8123;
    snapshot.clusterUptimeSeconds = number;
    snapshot.masterCpuPercent = number;
    snapshot.totalRequestsPerSecond = number;
    snapshot.fairness = number;
    snapshot.connectionFairness = number;
    snapshot.latencyP50Ms = number;
    snapshot.latencyP99Ms = number;
    snapshot.cores = { { 0, number }, { 1, 50 } };
    cs::WorkerSample worker;
    worker.slot = 1;
    worker.pid = 4242;
    worker.uptimeSeconds = number;
    worker.requestsPerSecond = number;
    worker.cpuPercent = number;
    worker.latencyP50Ms = number;
    worker.latencyP99Ms = number;
    snapshot.workers = { worker };

    const auto line = cs::snapshotJson(snapshot);
    QVERIFY(line.find('\n') == std::string::npos);
    const auto json = parsed(line);
    QVERIFY2(json.is_object(), line.c_str());
    const auto& top = json.as_object();
    const auto& first = top.at("workers").as_array().at(0).as_object();
    QCOMPARE(top.at("port").to_number<int>(), 8123);
    QCOMPARE(first.at("pid").to_number<int>(), 4242);
    QCOMPARE(top.at("cores").as_array().at(1).to_number<double>(), 50.0);
    const std::vector<const boost::json::value*> numbers {
        &top.at("uptime"), &top.at("master").as_object().at("cpu"), &top.at("totalRps"), &top.at("fairness"),
        &top.at("connectionFairness"), &top.at("p50Ms"), &top.at("p99Ms"), &top.at("cores").as_array().at(0),
        &first.at("uptime"), &first.at("rps"), &first.at("cpu"), &first.at("p50Ms"), &first.at("p99Ms"),
    };
    for (const auto* value : numbers) {
        if (!std::isfinite(number)) {
            QVERIFY2(value->is_null(), line.c_str());
        } else {
            QVERIFY2(value->is_number(), line.c_str());
            // Written with a few decimals: the same number to that precision.
            QVERIFY2(std::abs(value->to_number<double>() - number) <= std::max(0.05, std::abs(number) * 1e-15),
                     line.c_str());
        }
    }
}

// Strings (the bind address, the names) with every character JSON must escape, and UTF-8.
void TestReport::stringsAreEscaped()
{
    std::string awkward = "a\"b\\c/d\te\nf\rg\x7f h\xc3\xa9 \xf0\x9f\x98\x80";
    for (char c = 1; c < 0x20; ++c)
        awkward.push_back(c);
    cs::Snapshot snapshot;
    snapshot.bindAddress = awkward;
    snapshot.workers.resize(1);
    const auto line = cs::snapshotJson(snapshot);
    QVERIFY(line.find('\n') == std::string::npos);
    for (char c = 1; c < 0x20; ++c)
        QVERIFY2(line.find(c) == std::string::npos, "a raw control character in the line");
    const auto json = parsed(line);
    QVERIFY2(json.is_object(), line.c_str());
    QCOMPARE(std::string(json.as_object().at("bind").as_string()), awkward);
    QCOMPARE(std::string(json.as_object().at("policy").as_string()), std::string("round-robin"));
    QCOMPARE(std::string(json.as_object().at("workers").as_array().at(0).as_object().at("state").as_string()),
             std::string(cs::stateName(snapshot.workers[0].state)));
}

QTEST_APPLESS_MAIN(TestReport)
#include "tst_report.moc"
