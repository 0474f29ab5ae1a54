#include "models/timeseriesmodel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QAbstractItemModelTester>
#include <QTest>

using namespace cs::ui;

namespace {

constexpr double kInterval = 0.5; // the master's default sample interval

QStringList slotNames(int count)
{
    QStringList names;
    for (int slot = 1; slot <= count; ++slot)
        names.append(QStringLiteral("#%1").arg(slot));
    return names;
}

/// Times in column 0, row after row.
QList<double> times(const TimeSeriesModel& model)
{
    QList<double> out;
    for (int row = 0; row < model.rowCount(); ++row)
        out.append(model.index(row, 0).data().toDouble());
    return out;
}

} // namespace

class TestTimeSeriesModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recentSamplesAreKeptAsTheyCame()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSeriesNames({ QStringLiteral("a") });
        for (int i = 0; i < 400; ++i) // 200 s: well inside the full-resolution span
            model.append(i * kInterval, { double(i) });
        QCOMPARE(model.rowCount(), 400);
        QCOMPARE(model.bucketCount(), 0);
        const QList<QPointF> points = model.points(0);
        QCOMPARE(points.size(), 400);
        QCOMPARE(points.front(), QPointF(0, 0));
        QCOMPARE(points.back(), QPointF(399 * kInterval, 399));
        QCOMPARE(model.latestTime(), 399 * kInterval);
        QCOMPARE(model.firstTime(), 0.0);
    }

    // An hour at 16 workers: the last 10 minutes at every sample, the 50 before in 10 s
    // buckets; a one-sample spike (and a dip) in the old part survives as the bucket's
    // maximum (minimum), times increase down the rows, and the whole takes little memory.
    void anHourIsDownsampledAndKeepsItsSpikes()
    {
        // (The model tester checks the folding in the shorter runs below; over 7,200 samples
        // it would take minutes.)
        TimeSeriesModel model;
        model.setSeriesNames(slotNames(16));
        const int samples = int(3600 / kInterval);
        std::vector<double> values(16);
        for (int i = 0; i < samples; ++i) {
            const double t = i * kInterval;
            for (int s = 0; s < 16; ++s)
                values[std::size_t(s)] = 100 + s + (i % 7);
            if (i == 200) { // t = 100 s
                values[2] = 50000; // a spike on #3
                values[5] = 0; // a dip on #6
            }
            model.append(t, values);
        }
        const double last = (samples - 1) * kInterval;
        QCOMPARE(model.latestTime(), last);
        QCOMPARE(model.firstTime(), 0.0);
        // Bounded: the full-resolution span plus one bucket per 10 s before it.
        const int full = int(TimeSeriesModel::kFullSeconds / kInterval) + 1;
        const int buckets = int((last - TimeSeriesModel::kFullSeconds) / TimeSeriesModel::kBucketSeconds) + 1;
        QVERIFY2(model.bucketCount() <= buckets, qPrintable(QString::number(model.bucketCount())));
        QVERIFY2(model.rowCount() <= full + buckets, qPrintable(QString::number(model.rowCount())));
        QVERIFY(model.rowCount() < samples / 4);
        const QList<double> t = times(model);
        QVERIFY(std::is_sorted(t.begin(), t.end()));
        QVERIFY(std::adjacent_find(t.begin(), t.end()) == t.end()); // strictly increasing
        // The spike: in the bucket's maximum, in maxValue over its range, and drawn.
        QCOMPARE(model.maxValue(95, 105), 50000.0);
        QCOMPARE(model.maxValue(200, 300), 100 + 15 + 6.0);
        int spikeRow = -1;
        for (int row = 0; row < model.bucketCount(); ++row)
            if (model.index(row, 3).data(TimeSeriesModel::MaximumRole).toDouble() == 50000)
                spikeRow = row;
        QVERIFY(spikeRow >= 0);
        QVERIFY(std::abs(model.index(spikeRow, 0).data().toDouble() - 105) < 10); // the bucket 100..110
        QVERIFY(model.index(spikeRow, 3).data().toDouble() < 50000); // the mean is not the spike
        QVERIFY(model.index(spikeRow, 3).data(TimeSeriesModel::SampleCountRole).toInt() > 1);
        QCOMPARE(model.index(spikeRow, 6).data(TimeSeriesModel::MinimumRole).toDouble(), 0.0);
        // Drawn over the whole hour in 300 pixel columns: at most a point a column (and one
        // beyond each edge), each column's maximum, so the spike among them.
        const QList<QPointF> whole = model.points(2, 0, last, 300);
        QVERIFY2(whole.size() <= 302, qPrintable(QString::number(whole.size())));
        QVERIFY(std::any_of(whole.begin(), whole.end(), [](const QPointF& p) { return p.y() == 50000; }));
        QVERIFY(std::is_sorted(whole.begin(), whole.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); }));
        // Also zoomed in on the old part, where a bucket is wider than a column.
        const QList<QPointF> old = model.points(2, 90, 120, 300);
        QVERIFY(std::any_of(old.begin(), old.end(), [](const QPointF& p) { return p.y() == 50000; }));
        // The last minute, live: every sample, plus one before the left edge.
        const QList<QPointF> minute = model.points(0, last - 60, last, 300);
        QCOMPARE(minute.size(), int(60 / kInterval) + 2);
        const std::size_t bytes = model.memoryBytes();
        qInfo("one hour, 16 series, %d rows (%d buckets): %zu bytes", model.rowCount(), model.bucketCount(), bytes);
        QVERIFY(bytes < 2 * 1024 * 1024);
    }

    // However long it runs, the buckets merge (their width doubles) so the rows stay bounded,
    // and the first spike is still there.
    void bucketsMergeSoRowsStayBounded()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResolution(10, 1, 16);
        model.setSeriesNames({ QStringLiteral("x") });
        model.append(0, { 999 });
        for (int i = 1; i < 20000; ++i)
            model.append(i * kInterval, { double(i % 10) });
        QVERIFY2(model.bucketCount() <= 16, qPrintable(QString::number(model.bucketCount())));
        QVERIFY(model.rowCount() <= 16 + 21);
        QVERIFY(model.bucketSeconds() >= 512); // 10,000 s in at most 16 buckets
        QCOMPARE(model.maxValue(), 999.0);
        QCOMPARE(model.index(0, 1).data(TimeSeriesModel::MaximumRole).toDouble(), 999.0);
        const QList<double> t = times(model);
        QVERIFY(std::is_sorted(t.begin(), t.end()));
    }

    void seriesGrowAndShrinkWithHistory()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResolution(5, 2, 100);
        model.setSeriesNames({ QStringLiteral("#1") });
        for (int i = 0; i < 20; ++i)
            model.append(i, { 5 });
        QVERIFY(model.bucketCount() > 0);
        // Scaled up: the new slot's line starts now, in both tiers later on.
        model.setSeriesNames({ QStringLiteral("#1"), QStringLiteral("#2") });
        QCOMPARE(model.columnCount(), 3);
        QVERIFY(model.points(1).isEmpty());
        for (int i = 20; i < 40; ++i)
            model.append(i, { 6, i == 21 ? 70.0 : 7.0 });
        QCOMPARE(model.points(1).front().x(), 20.5); // its first bucket, 20 and 21
        QCOMPARE(model.maxValue(19, 23), 70.0); // #2's spike, folded into a bucket by now
        QVERIFY(!model.index(0, 2).data().isValid()); // #2 did not exist in the first bucket
        QCOMPARE(model.points(0).front(), QPointF(0.5, 5)); // the first bucket: 0 and 1
        // Scaled down: #2 goes with its history; scaled up again, a fresh line.
        model.setSeriesNames({ QStringLiteral("#1") });
        QCOMPARE(model.columnCount(), 2);
        QCOMPARE(model.maxValue(), 6.0);
        model.setSeriesNames({ QStringLiteral("#1"), QStringLiteral("#2") });
        QVERIFY(model.points(1).isEmpty());
        model.append(40, { 1, 2 });
        QCOMPARE(model.points(1), QList<QPointF> { QPointF(40, 2) });
        QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("#2"));
    }

    void gapsAreSkipped()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSeriesNames({ QStringLiteral("#1"), QStringLiteral("#2") });
        const double nan = std::numeric_limits<double>::quiet_NaN();
        model.append(1, { 6, 7 });
        model.append(2, { nan, 9 });
        QCOMPARE(model.points(0).size(), 1);
        QCOMPARE(model.points(1).size(), 2);
        QVERIFY(!model.index(1, 1).data().isValid()); // NaN reads as no value
        QCOMPARE(model.maxValue(), 9.0);
    }

    void timeGoingBackStartsOver()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setResolution(3, 1, 4);
        model.setSeriesNames({ QStringLiteral("x") });
        for (int i = 0; i < 100; ++i)
            model.append(10 + i, { 1 });
        model.append(0.5, { 2 }); // a new run
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.bucketCount(), 0);
        QCOMPARE(model.points(0).front(), QPointF(0.5, 2));
    }
};

QTEST_MAIN(TestTimeSeriesModel)
#include "tst_timeseriesmodel.moc"
