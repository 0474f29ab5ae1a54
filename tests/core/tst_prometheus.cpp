// formatPrometheus read back by a strict parser of the text format, and that parser's strictness.
#include "export/prometheus.h"

#include "exposition.h"

#include <cmath>

#include <QTest>

using cs::test::parseExposition;

namespace {

cs::Snapshot snapshotWithLatencies()
{
    cs::Snapshot snapshot;
    snapshot.running = true;
    for (int slot = 1; slot <= 2; ++slot) {
        cs::WorkerSample worker;
        worker.slot = slot;
        worker.state = cs::WorkerState::Online;
        snapshot.workers.push_back(worker);
    }
    // Slot 1: 20 ms three times and a few µs; their buckets' midpoints sum to 55.3 ms, not 60.008.
    for (int i = 0; i < 3; ++i)
        snapshot.workers[0].latencyTotal.recordNanos(20'000'000);
    snapshot.workers[0].latencyTotal.recordNanos(8'123);
    snapshot.workers[0].requests = 4;
    snapshot.cores.push_back({ 0, 50 });
    return snapshot;
}

// A small valid exposition; each bad row below changes one thing in it.
const char* const kValid = "# HELP a_total Things.\n"
                           "# TYPE a_total counter\n"
                           "a_total{slot=\"1\"} 3\n"
                           "a_total{slot=\"2\",} 4 1700000000000\n"
                           "# HELP h Durations.\n"
                           "# TYPE h histogram\n"
                           "h_bucket{le=\"0.1\"} 1\n"
                           "h_bucket{le=\"+Inf\"} 2\n"
                           "h_sum 0.25\n"
                           "h_count 2\n"
                           "# HELP g A \\\\ gauge\\n.\n"
                           "# TYPE g gauge\n"
                           "g{path=\"a\\\"b\\\\c\\n\"} NaN\n";

QByteArray replaced(const char* from, const char* to)
{
    QByteArray text(kValid);
    return text.replace(from, to);
}

} // namespace

class TestPrometheus : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void snapshotIsValidExposition();
    void sumIsExact();
    void parserAcceptsTheFormat();
    void parserRejects_data();
    void parserRejects();
};

void TestPrometheus::snapshotIsValidExposition()
{
    const auto text = cs::formatPrometheus(snapshotWithLatencies());
    const auto parsed = parseExposition(text);
    QVERIFY2(parsed.error.empty(), (parsed.error + "\n" + text).c_str());
    const auto* histogram = parsed.family("clusterscope_worker_request_duration_seconds");
    QVERIFY(histogram);
    QCOMPARE(histogram->type, std::string("histogram"));
    QCOMPARE(parsed.sample("clusterscope_worker_request_duration_seconds_count", { { "slot", "1" } })->value, 4.0);
    QCOMPARE(parsed.sample("clusterscope_worker_request_duration_seconds_bucket", { { "slot", "1" }, { "le", "0.01" } })->value,
             1.0);
    QCOMPARE(parsed.sample("clusterscope_worker_request_duration_seconds_bucket", { { "slot", "1" }, { "le", "0.025" } })->value,
             4.0);
    QCOMPARE(parsed.sample("clusterscope_worker_request_duration_seconds_count", { { "slot", "2" } })->value, 0.0);
    QVERIFY(std::isnan(parsed.sample("clusterscope_request_fairness_ratio")->value));
    QCOMPARE(parsed.sample("clusterscope_core_busy_ratio", { { "core", "0" } })->value, 0.5);
}

void TestPrometheus::sumIsExact()
{
    // Written as the exact decimal of what was recorded, to the nanosecond.
    const auto parsed = parseExposition(cs::formatPrometheus(snapshotWithLatencies()));
    QVERIFY2(parsed.error.empty(), parsed.error.c_str());
    const auto* sum = parsed.sample("clusterscope_worker_request_duration_seconds_sum", { { "slot", "1" } });
    QVERIFY(sum);
    QCOMPARE(sum->text, std::string("0.060008123"));
    QCOMPARE(parsed.sample("clusterscope_worker_request_duration_seconds_sum", { { "slot", "2" } })->text,
             std::string("0.000000000"));

    // Far past what a double of seconds or 64 bits of nanoseconds would hold exactly.
    auto snapshot = snapshotWithLatencies();
    snapshot.workers[1].latencyTotal.setCounts({ 5 }, { 40'000'000'000, 123'456'789 });
    const auto big = parseExposition(cs::formatPrometheus(snapshot));
    QCOMPARE(big.sample("clusterscope_worker_request_duration_seconds_sum", { { "slot", "2" } })->text,
             std::string("40000000000.123456789"));
}

void TestPrometheus::parserAcceptsTheFormat()
{
    const auto parsed = parseExposition(kValid);
    QVERIFY2(parsed.error.empty(), parsed.error.c_str());
    QCOMPARE(parsed.families.size(), std::size_t(3));
    QCOMPARE(parsed.sample("a_total", { { "slot", "2" } })->value, 4.0);
    QCOMPARE(parsed.sample("g", { { "path", "a\"b\\c\n" } })->text, std::string("NaN"));
    QCOMPARE(parsed.family("g")->help, std::string("A \\\\ gauge\\n."));
}

void TestPrometheus::parserRejects_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("why");
    QTest::newRow("no final newline") << QByteArray(kValid).chopped(1) << QByteArray("newline");
    QTest::newRow("carriage return") << replaced("a_total{slot=\"1\"} 3\n", "a_total{slot=\"1\"} 3\r\n") << QByteArray("carriage");
    QTest::newRow("bad metric name") << replaced("g{path", "9g{path") << QByteArray("metric name");
    QTest::newRow("bad label name") << replaced("slot=\"1\"", "1slot=\"1\"") << QByteArray("label name");
    QTest::newRow("reserved label name") << replaced("slot=\"1\"", "__slot=\"1\"") << QByteArray("label name");
    QTest::newRow("unquoted label value") << replaced("slot=\"1\"", "slot=1") << QByteArray("quoted");
    QTest::newRow("unclosed label value") << replaced("{slot=\"1\"} 3", "{slot=\"1} 3") << QByteArray("");
    QTest::newRow("bad label escape") << replaced("a\\\"b", "a\\tb") << QByteArray("escape");
    QTest::newRow("labels without comma") << replaced("{slot=\"2\",}", "{slot=\"2\" x=\"1\"}") << QByteArray("comma");
    QTest::newRow("label twice") << replaced("{slot=\"2\",}", "{slot=\"2\",slot=\"3\"}") << QByteArray("twice");
    QTest::newRow("value not a float") << replaced("h_sum 0.25", "h_sum 0,25") << QByteArray("float");
    QTest::newRow("nan spelled wrong") << replaced("} NaN", "} nan") << QByteArray("float");
    QTest::newRow("no value") << replaced("h_sum 0.25", "h_sum") << QByteArray("value");
    QTest::newRow("bad timestamp") << replaced("4 1700000000000", "4 soon") << QByteArray("timestamp");
    QTest::newRow("three fields") << replaced("4 1700000000000", "4 1700000000000 1") << QByteArray("value");
    QTest::newRow("unknown type") << replaced("TYPE g gauge", "TYPE g meter") << QByteArray("type");
    QTest::newRow("type twice") << replaced("# TYPE g gauge\n", "# TYPE g gauge\n# TYPE g gauge\n") << QByteArray("second TYPE");
    QTest::newRow("help twice") << replaced("# HELP g", "# HELP g x\n# HELP g") << QByteArray("second HELP");
    QTest::newRow("no help") << replaced("# HELP g A \\\\ gauge\\n.\n", "") << QByteArray("no HELP");
    QTest::newRow("bad help escape") << replaced("A \\\\ gauge", "A \\t gauge") << QByteArray("escape");
    QTest::newRow("type after samples") << QByteArray(kValid) + "# TYPE g gauge\n" << QByteArray("after its samples");
    QTest::newRow("family split in two") << QByteArray(kValid) + "a_total{slot=\"3\"} 1\n" << QByteArray("twice");
    QTest::newRow("series twice") << replaced("h_sum 0.25\n", "h_sum 0.25\nh_sum 0.25\n") << QByteArray("twice");
    QTest::newRow("counter without _total") << replaced("a_total", "a") << QByteArray("_total");
    QTest::newRow("_total on a gauge") << replaced("g{", "g_total{").replace("HELP g ", "HELP g_total ").replace("TYPE g ", "TYPE g_total ")
                                       << QByteArray("_total");
    QTest::newRow("negative counter") << replaced("a_total{slot=\"1\"} 3", "a_total{slot=\"1\"} -3") << QByteArray("counts");
    QTest::newRow("NaN bucket") << replaced("h_bucket{le=\"0.1\"} 1", "h_bucket{le=\"0.1\"} NaN") << QByteArray("counts");
    QTest::newRow("bucket without le") << replaced("h_bucket{le=\"0.1\"}", "h_bucket") << QByteArray("no le");
    QTest::newRow("le not a number") << replaced("le=\"0.1\"", "le=\"small\"") << QByteArray("bound");
    QTest::newRow("le descending") << replaced("le=\"0.1\"", "le=\"+Inf\"").replace("le=\"+Inf\"} 2", "le=\"0.1\"} 2")
                                   << QByteArray("ascending");
    QTest::newRow("bucket counts falling") << replaced("le=\"0.1\"} 1", "le=\"0.1\"} 3") << QByteArray("less");
    QTest::newRow("no +Inf bucket") << replaced("h_bucket{le=\"+Inf\"} 2\n", "") << QByteArray("+Inf");
    QTest::newRow("count differs from +Inf") << replaced("h_count 2", "h_count 3") << QByteArray("_count");
    QTest::newRow("no _sum") << replaced("h_sum 0.25\n", "") << QByteArray("_sum");
}

void TestPrometheus::parserRejects()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, why);
    const auto parsed = parseExposition(text.toStdString());
    QVERIFY2(!parsed.error.empty(), text.constData());
    QVERIFY2(parsed.error.find(why.toStdString()) != std::string::npos, parsed.error.c_str());
}

QTEST_APPLESS_MAIN(TestPrometheus)
#include "tst_prometheus.moc"
