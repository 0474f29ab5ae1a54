// What clusterscope-load reports about fairness: over the cluster's workers when their
// count is known (a worker that got nothing counts as 0), and plainly over the workers
// that answered when it is not.
#include "load/loadsummary.h"

#include <limits>

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace cs;

namespace {

LoadSummary answeredBy(std::map<std::string, std::uint64_t> perWorker)
{
    LoadSummary s;
    s.elapsedSeconds = 1;
    for (const auto& [worker, count] : perWorker)
        s.completed += count;
    s.perWorker = std::move(perWorker);
    return s;
}

QJsonObject json(const LoadSummary& s)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(summaryJson(s))).object();
}

} // namespace

class TestLoadSummary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void setFairness_data();
    void setFairness();
    void oneWorkerTookAllOfTwo();
    void unknownCountSaysSoPlainly();
    void noWorkerNamedIsNull();
    void bothLatenciesUnderARate();
    void jsonEscapesStringsAndWritesNoNaN();
};

void TestLoadSummary::setFairness_data()
{
    QTest::addColumn<QList<int>>("counts"); // responses of the workers that answered
    QTest::addColumn<int>("known"); // the cluster's worker count, 0: not known
    QTest::addColumn<int>("source");
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("from");
    QTest::addColumn<double>("fairness"); // -1: none
    const int answered = int(WorkerCount::Answered), given = int(WorkerCount::Given), metrics = int(WorkerCount::Metrics);
    QTest::newRow("100/0 of 2, given") << QList<int> { 100 } << 2 << given << 2 << given << 0.5;
    QTest::newRow("100/0 of 2, from metrics") << QList<int> { 100 } << 2 << metrics << 2 << metrics << 0.5;
    QTest::newRow("100/0 of 2, not known") << QList<int> { 100 } << 0 << given << 1 << answered << 1.0;
    QTest::newRow("even split of 2") << QList<int> { 50, 50 } << 2 << given << 2 << given << 1.0;
    QTest::newRow("even split, not known") << QList<int> { 50, 50 } << 0 << answered << 2 << answered << 1.0;
    QTest::newRow("one of 4") << QList<int> { 9 } << 4 << given << 4 << given << 0.25;
    QTest::newRow("more answered than given") << QList<int> { 10, 10, 10 } << 2 << given << 3 << given << 1.0;
    QTest::newRow("nothing answered") << QList<int> {} << 2 << given << 2 << given << -1.0;
    QTest::newRow("nothing answered, not known") << QList<int> {} << 0 << answered << 0 << answered << -1.0;
}

void TestLoadSummary::setFairness()
{
    QFETCH(QList<int>, counts);
    QFETCH(int, known);
    QFETCH(int, source);
    std::map<std::string, std::uint64_t> perWorker;
    for (int i = 0; i < counts.size(); ++i)
        perWorker[std::to_string(i + 1)] = std::uint64_t(counts[i]);
    LoadSummary s = answeredBy(perWorker);
    cs::setFairness(s, known, WorkerCount(source));
    QTEST(s.workers, "workers");
    QTEST(int(s.workersFrom), "from");
    QFETCH(double, fairness);
    QCOMPARE(s.fairness.has_value(), fairness >= 0);
    if (s.fairness)
        QCOMPARE(*s.fairness, fairness);
}

void TestLoadSummary::oneWorkerTookAllOfTwo()
{
    // Issue 17: worker 1 served 335,717 requests, worker 2 none.
    LoadSummary s = answeredBy({ { "1", 335717 } });
    cs::setFairness(s, 2, WorkerCount::Given);
    const std::string text = formatSummary(s);
    QVERIFY2(text.find("Jain's index 0.500 over 2 workers") != std::string::npos, text.c_str());
    QVERIFY2(text.find("1 other worker got none") != std::string::npos, text.c_str());
    QVERIFY2(text.find("1.000") != std::string::npos, text.c_str()); // the scale is explained
    const QJsonObject o = json(s);
    QCOMPARE(o[QLatin1String("fairness")].toDouble(), 0.5);
    QCOMPARE(o[QLatin1String("workers")].toInt(), 2);
    QCOMPARE(o[QLatin1String("workersFrom")].toString(), QStringLiteral("given"));
    QCOMPARE(o[QLatin1String("perWorker")].toObject().size(), 1);

    // The same split with the count read from the cluster's metrics.
    cs::setFairness(s, 2, WorkerCount::Metrics);
    QCOMPARE(json(s)[QLatin1String("workersFrom")].toString(), QStringLiteral("metrics"));
}

void TestLoadSummary::unknownCountSaysSoPlainly()
{
    LoadSummary s = answeredBy({ { "1", 335717 } });
    cs::setFairness(s, 0, WorkerCount::Given);
    const std::string text = formatSummary(s);
    QVERIFY2(text.find("Jain's index 1.000 over the 1 worker that answered") != std::string::npos, text.c_str());
    QVERIFY2(text.find("--workers N") != std::string::npos, text.c_str());
    QVERIFY2(text.find("got none") == std::string::npos, text.c_str());
    const QJsonObject o = json(s);
    QCOMPARE(o[QLatin1String("fairness")].toDouble(), 1.0);
    QCOMPARE(o[QLatin1String("workers")].toInt(), 1);
    QCOMPARE(o[QLatin1String("workersFrom")].toString(), QStringLiteral("answered"));

    LoadSummary two = answeredBy({ { "1", 10 }, { "2", 30 } });
    cs::setFairness(two, 0, WorkerCount::Answered);
    const std::string plural = formatSummary(two);
    QVERIFY2(plural.find("over the 2 workers that answered") != std::string::npos, plural.c_str());
}

void TestLoadSummary::noWorkerNamedIsNull()
{
    // Responses without X-Worker (a server of someone else's): no index, JSON null.
    LoadSummary s;
    s.completed = 10;
    cs::setFairness(s, 2, WorkerCount::Given);
    QVERIFY(!s.fairness);
    const QJsonObject o = json(s);
    QVERIFY2(o[QLatin1String("fairness")].isNull(), summaryJson(s).c_str());
    QCOMPARE(o[QLatin1String("workers")].toInt(), 2);
    const std::string text = formatSummary(s);
    QVERIFY2(text.find("no response carried an X-Worker header") != std::string::npos, text.c_str());
    QVERIFY2(text.find("Jain") == std::string::npos, text.c_str());
}

void TestLoadSummary::bothLatenciesUnderARate()
{
    // Under --rate: the figure from the scheduled send first, the as-sent one beside it.
    LoadSummary s = answeredBy({ { "1", 600 } });
    s.p50Ms = 0.1;
    s.p90Ms = 0.2;
    s.p99Ms = 980;
    s.maxMs = 1001;
    s.asSent = { 0.05, 0.1, 0.4, 1000.5 };
    s.fromSchedule = true;
    std::string text = formatSummary(s);
    QVERIFY2(text.find("Latency      p50 0.100 ms   p90 0.200 ms   p99 980.000 ms   max 1001.000 ms   "
                       "(from the scheduled send)\n")
                 != std::string::npos,
             text.c_str());
    QVERIFY2(text.find("As sent      p50 0.050 ms   p90 0.100 ms   p99 0.400 ms   max 1000.500 ms   "
                       "(from the actual send; hides stalls)\n")
                 != std::string::npos,
             text.c_str());
    QJsonObject o = json(s);
    QCOMPARE(o[QLatin1String("latencyMs")][QLatin1String("p99")].toDouble(), 980.0);
    QCOMPARE(o[QLatin1String("latencyMs")][QLatin1String("max")].toDouble(), 1001.0);
    QCOMPARE(o[QLatin1String("latencyAsSentMs")][QLatin1String("p99")].toDouble(), 0.4);
    QCOMPARE(o[QLatin1String("latencyAsSentMs")][QLatin1String("p50")].toDouble(), 0.05);
    QCOMPARE(o[QLatin1String("latencyFrom")].toString(), QStringLiteral("scheduled send"));

    // Without a rate there is nothing to correct: one line, and the JSON says so.
    s.fromSchedule = false;
    text = formatSummary(s);
    QVERIFY2(text.find("As sent") == std::string::npos && text.find("scheduled") == std::string::npos, text.c_str());
    QCOMPARE(json(s)[QLatin1String("latencyFrom")].toString(), QStringLiteral("actual send"));
}

void TestLoadSummary::jsonEscapesStringsAndWritesNoNaN()
{
    const std::string error = "reading from \"x\"\\y:\tcut\nshort \x01 caf\xc3\xa9";
    const std::string worker = "w\t\"1\"";
    LoadSummary s = answeredBy({ { worker, 3 } });
    s.firstError = error;
    s.requestsPerSecond = std::numeric_limits<double>::quiet_NaN();
    s.p99Ms = std::numeric_limits<double>::infinity();
    s.fairness = std::numeric_limits<double>::quiet_NaN();
    const std::string text = summaryJson(s);
    for (unsigned char c : text)
        QVERIFY2(c >= 0x20, text.c_str()); // control characters are escaped
    const QRegularExpression notANumber(QStringLiteral("nan|inf"), QRegularExpression::CaseInsensitiveOption);
    QVERIFY2(!QString::fromStdString(text).contains(notANumber), text.c_str());
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &parseError);
    QVERIFY2(parseError.error == QJsonParseError::NoError, text.c_str());
    QCOMPARE(doc[QLatin1String("firstError")].toString().toStdString(), error);
    QCOMPARE(doc[QLatin1String("perWorker")][QString::fromStdString(worker)].toInt(), 3);
    QVERIFY(doc[QLatin1String("requestsPerSecond")].isNull());
    QVERIFY(doc[QLatin1String("latencyMs")][QLatin1String("p99")].isNull());
    QVERIFY(doc[QLatin1String("fairness")].isNull());
}

QTEST_APPLESS_MAIN(TestLoadSummary)
#include "tst_loadsummary.moc"
