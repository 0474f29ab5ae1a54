#include "metrics/histogram.h"

#include <cstdint>
#include <limits>

#include <QList>
#include <QTest>

using cs::DurationSum;
using cs::LatencyHistogram;

class TestHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bounds_data();
    void bounds();
    void bucketFor_data();
    void bucketFor();
    void quantile_data();
    void quantile();
    void recordAndClear();
    void setCountsComputesTotal();
    void addMergesCounts();
    void addDeltaWindowsCumulativeCounters();
    void addDeltaTakesRestartedCountersWhole();
    void sumIsExact();
    void durationSumCarriesAndBorrows_data();
    void durationSumCarriesAndBorrows();
    void durationSumDoesNotWrap();
};

namespace {

LatencyHistogram withCounts(const LatencyHistogram::Counts& counts, DurationSum sum = {})
{
    LatencyHistogram histogram;
    histogram.setCounts(counts, sum);
    return histogram;
}

} // namespace

void TestHistogram::bounds_data()
{
    QTest::addColumn<int>("bucket");
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i)
        QTest::addRow("bucket %d", i) << i;
}

void TestHistogram::bounds()
{
    QFETCH(int, bucket);
    const std::uint64_t lower = LatencyHistogram::lowerBound(bucket);
    const std::uint64_t upper = LatencyHistogram::upperBound(bucket);
    QVERIFY(lower <= upper);
    QCOMPARE(LatencyHistogram::bucketFor(lower), bucket);
    QCOMPARE(LatencyHistogram::bucketFor(upper), bucket);
    if (bucket > 0) {
        // Contiguous and monotonic: no value falls between two buckets.
        QCOMPARE(lower, LatencyHistogram::upperBound(bucket - 1) + 1);
        QCOMPARE(LatencyHistogram::bucketFor(lower - 1), bucket - 1);
    } else {
        QCOMPARE(lower, std::uint64_t { 0 });
    }
    if (bucket >= 4) {
        // The promise of the layout: a bucket is at most 25% of its lower bound wide.
        QVERIFY(bucket == LatencyHistogram::kBuckets - 1 || (upper - lower + 1) * 4 <= lower);
    } else {
        QCOMPARE(lower, upper);
    }
}

void TestHistogram::bucketFor_data()
{
    QTest::addColumn<quint64>("micros");
    QTest::addColumn<int>("bucket");
    QTest::newRow("0") << quint64(0) << 0;
    QTest::newRow("3") << quint64(3) << 3;
    QTest::newRow("4") << quint64(4) << 4;
    QTest::newRow("7") << quint64(7) << 7;
    QTest::newRow("8") << quint64(8) << 8;
    QTest::newRow("9") << quint64(9) << 8;
    QTest::newRow("10") << quint64(10) << 9;
    QTest::newRow("15") << quint64(15) << 11;
    QTest::newRow("16") << quint64(16) << 12;
    QTest::newRow("1000") << quint64(1000) << 35; // octave 9, sub-bucket 3
    QTest::newRow("1024") << quint64(1024) << 36;
    QTest::newRow("2^25") << (quint64(1) << 25) << 96;
    QTest::newRow("2^26 - 1") << ((quint64(1) << 26) - 1) << 99;
    QTest::newRow("2^26 overflows into the last") << (quint64(1) << 26) << 99;
    QTest::newRow("max") << std::numeric_limits<quint64>::max() << 99;
}

void TestHistogram::bucketFor()
{
    QFETCH(quint64, micros);
    QFETCH(int, bucket);
    QCOMPARE(LatencyHistogram::bucketFor(micros), bucket);
}

void TestHistogram::quantile_data()
{
    // Values are recorded `count` times each: pairs of (value, count).
    QTest::addColumn<QList<quint64>>("values");
    QTest::addColumn<QList<quint64>>("counts");
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("expected");

    QTest::newRow("empty") << QList<quint64> {} << QList<quint64> {} << 0.5 << 0.0;
    QTest::newRow("one exact value") << QList<quint64> { 3 } << QList<quint64> { 1 } << 0.99 << 3.0;
    // 1000 lands in [896, 1023].
    QTest::newRow("one value, midpoint") << QList<quint64> { 1000 } << QList<quint64> { 1 } << 0.5 << 959.5;
    QTest::newRow("all equal") << QList<quint64> { 5 } << QList<quint64> { 40 } << 0.5 << 5.0;
    // 50 at 2 and 50 at 100 (bucket [96, 111]): the median is the 50th value.
    QTest::newRow("bimodal median") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << 0.5 << 2.0;
    QTest::newRow("bimodal just above median") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << 0.51
                                               << 103.5;
    QTest::newRow("q=0 is the smallest") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << 0.0 << 2.0;
    QTest::newRow("q=1 is the largest") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << 1.0 << 103.5;
    QTest::newRow("q above 1 clamps") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << 7.0 << 103.5;
    QTest::newRow("q below 0 clamps") << QList<quint64> { 2, 100 } << QList<quint64> { 50, 50 } << -1.0 << 2.0;
    // 99 fast requests and one slow one: p99 stays fast, p99.9 sees the outlier.
    QTest::newRow("tail p99") << QList<quint64> { 1, 10000 } << QList<quint64> { 99, 1 } << 0.99 << 1.0;
    // 10000 lands in [8192, 10239].
    QTest::newRow("tail p999") << QList<quint64> { 1, 10000 } << QList<quint64> { 99, 1 } << 0.999 << 9215.5;
    QTest::newRow("uniform 1..4 p75") << QList<quint64> { 0, 1, 2, 3 } << QList<quint64> { 1, 1, 1, 1 } << 0.75
                                      << 2.0;
}

void TestHistogram::quantile()
{
    QFETCH(QList<quint64>, values);
    QFETCH(QList<quint64>, counts);
    QFETCH(double, q);
    QFETCH(double, expected);
    LatencyHistogram histogram;
    for (qsizetype i = 0; i < values.size(); ++i) {
        for (quint64 n = 0; n < counts[i]; ++n)
            histogram.record(values[i]);
    }
    QCOMPARE(histogram.quantileMicros(q), expected);
}

void TestHistogram::recordAndClear()
{
    LatencyHistogram histogram;
    histogram.record(10);
    histogram.record(10);
    histogram.record(5000);
    QCOMPARE(histogram.total(), quint64(3));
    QCOMPARE(histogram.counts()[LatencyHistogram::bucketFor(10)], quint64(2));
    QCOMPARE(histogram.counts()[LatencyHistogram::bucketFor(5000)], quint64(1));
    histogram.clear();
    QCOMPARE(histogram.total(), quint64(0));
    for (auto c : histogram.counts())
        QCOMPARE(c, quint64(0));
    QCOMPARE(histogram.quantileMicros(0.5), 0.0);
}

void TestHistogram::setCountsComputesTotal()
{
    LatencyHistogram::Counts counts {};
    counts[2] = 7;
    counts[50] = 3;
    LatencyHistogram histogram;
    histogram.record(1);
    histogram.setCounts(counts, DurationSum { 3, 5 });
    QCOMPARE(histogram.total(), quint64(10));
    QVERIFY(histogram.sum() == (DurationSum { 3, 5 }));
    QCOMPARE(histogram.counts()[1], quint64(0));
    QCOMPARE(histogram.quantileMicros(0.7), 2.0);
}

void TestHistogram::addMergesCounts()
{
    LatencyHistogram a;
    LatencyHistogram b;
    a.record(1);
    b.record(1);
    b.record(3);
    a.add(b);
    QCOMPARE(a.total(), quint64(3));
    QCOMPARE(a.counts()[1], quint64(2));
    QCOMPARE(a.counts()[3], quint64(1));
    QCOMPARE(b.total(), quint64(2));
}

void TestHistogram::addDeltaWindowsCumulativeCounters()
{
    LatencyHistogram::Counts before {};
    LatencyHistogram::Counts now {};
    before[1] = 10;
    now[1] = 15;
    before[40] = 2;
    now[40] = 2;
    now[60] = 4;
    LatencyHistogram window;
    window.addDelta(withCounts(now, { 7, 100 }), withCounts(before, { 5, 999'999'000 }));
    QCOMPARE(window.total(), quint64(9));
    QVERIFY(window.sum() == (DurationSum { 1, 1100 }));
    QCOMPARE(window.counts()[1], quint64(5));
    QCOMPARE(window.counts()[40], quint64(0));
    QCOMPARE(window.counts()[60], quint64(4));
}

void TestHistogram::addDeltaTakesRestartedCountersWhole()
{
    // A respawned worker counts from zero: its new counters must not wrap around.
    LatencyHistogram::Counts before {};
    LatencyHistogram::Counts now {};
    before[1] = 1000;
    before[10] = 5;
    now[1] = 3;
    now[10] = 6;
    LatencyHistogram window;
    window.addDelta(withCounts(now, { 0, 900 }), withCounts(before, { 4, 0 }));
    QCOMPARE(window.total(), quint64(9));
    QVERIFY(window.sum() == (DurationSum { 0, 900 }));
    QCOMPARE(window.counts()[1], quint64(3));
    QCOMPARE(window.counts()[10], quint64(6));
}

void TestHistogram::sumIsExact()
{
    // The sum is what was recorded, not an estimate from the buckets: 1001 ns, 1999 ns and
    // 2.5 s land in buckets 1, 1 and the 2-2.6 s bucket, whose midpoints say nothing of it.
    LatencyHistogram histogram;
    histogram.recordNanos(1001);
    histogram.recordNanos(1999);
    histogram.recordNanos(2'500'000'123);
    histogram.record(7); // microseconds
    QCOMPARE(histogram.total(), quint64(4));
    QCOMPARE(histogram.counts()[1], quint64(2));
    QCOMPARE(histogram.counts()[LatencyHistogram::bucketFor(2'500'000)], quint64(1));
    QCOMPARE(histogram.counts()[7], quint64(1));
    QCOMPARE(histogram.sum().seconds, quint64(2));
    QCOMPARE(histogram.sum().nanos, 500'000'123u + 3000u + 7000u);
    QCOMPARE(histogram.sum().inSeconds(), 2.500010123);

    LatencyHistogram merged;
    merged.recordNanos(999'999'999);
    merged.add(histogram);
    QVERIFY(merged.sum() == (DurationSum { 3, 500'010'122 }));
    merged.clear();
    QVERIFY(merged.sum() == DurationSum {});
}

void TestHistogram::durationSumCarriesAndBorrows_data()
{
    QTest::addColumn<quint64>("laterSeconds");
    QTest::addColumn<quint32>("laterNanos");
    QTest::addColumn<quint64>("earlierSeconds");
    QTest::addColumn<quint32>("earlierNanos");
    QTest::addColumn<quint64>("seconds");
    QTest::addColumn<quint32>("nanos");
    QTest::newRow("no borrow") << quint64(5) << 700u << quint64(2) << 300u << quint64(3) << 400u;
    QTest::newRow("borrow") << quint64(5) << 100u << quint64(2) << 999'999'999u << quint64(2) << 101u;
    QTest::newRow("equal") << quint64(5) << 100u << quint64(5) << 100u << quint64(0) << 0u;
    QTest::newRow("earlier is larger: nothing") << quint64(1) << 0u << quint64(2) << 0u << quint64(0) << 0u;
}

void TestHistogram::durationSumCarriesAndBorrows()
{
    QFETCH(quint64, laterSeconds);
    QFETCH(quint32, laterNanos);
    QFETCH(quint64, earlierSeconds);
    QFETCH(quint32, earlierNanos);
    QFETCH(quint64, seconds);
    QFETCH(quint32, nanos);
    const DurationSum later { laterSeconds, laterNanos };
    const DurationSum earlier { earlierSeconds, earlierNanos };
    const auto delta = later.since(earlier);
    QCOMPARE(delta.seconds, seconds);
    QCOMPARE(delta.nanos, nanos);
    if (earlier <= later) { // and adding the delta back gives the later sum
        DurationSum back = earlier;
        back.add(delta);
        QVERIFY(back == later);
    }
}

void TestHistogram::durationSumDoesNotWrap()
{
    // Ten million requests of 30 minutes each: 1.8e19 ns, past what 64 bits of nanoseconds hold.
    DurationSum sum;
    for (int i = 0; i < 10'000'000; ++i)
        sum.add(std::uint64_t { 1'800'000'000'000 } + 1);
    QCOMPARE(sum.seconds, quint64(18'000'000'000));
    QCOMPARE(sum.nanos, 10'000'000u);
    sum.add(std::numeric_limits<std::uint64_t>::max());
    QCOMPARE(sum.seconds, quint64(18'000'000'000) + 18'446'744'073ull);
    QCOMPARE(sum.nanos, 10'000'000u + 709'551'615u);
}

QTEST_APPLESS_MAIN(TestHistogram)
#include "tst_histogram.moc"
