#include "charts/latencychart.h"

#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <cmath>

#include <QChart>
#include <QImage>
#include <QLineSeries>
#include <QTest>

using namespace cs::ui;

class TestLatencyChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void scale_data()
    {
        QTest::addColumn<double>("lowMs");
        QTest::addColumn<double>("highMs");
        QTest::addColumn<bool>("micros");
        QTest::addColumn<double>("bottom");
        QTest::addColumn<double>("top");
        QTest::newRow("nothing measured") << 0.0 << 0.0 << false << 0.1 << 10.0;
        QTest::newRow("0.18 and 0.25 ms") << 0.18 << 0.25 << true << 100.0 << 1000.0;
        QTest::newRow("a few µs") << 0.002 << 0.005 << true << 1.0 << 10.0;
        QTest::newRow("under the resolution") << 0.0 << 0.003 << true << 1.0 << 10.0;
        QTest::newRow("on a decade") << 0.001 << 0.001 << true << 0.1 << 10.0;
        QTest::newRow("fast median, slow tail") << 0.18 << 20.0 << false << 0.1 << 100.0;
        QTest::newRow("cpu work") << 5.2 << 9.7 << false << 1.0 << 10.0;
        QTest::newRow("only a tail") << 0.0 << 3.0 << false << 1.0 << 10.0;
    }
    void scale()
    {
        QFETCH(double, lowMs);
        QFETCH(double, highMs);
        QFETCH(bool, micros);
        QFETCH(double, bottom);
        QFETCH(double, top);
        const LatencyScale scale = latencyScale(lowMs, highMs);
        QCOMPARE(scale.micros, micros);
        QCOMPARE(scale.perMs, micros ? 1000.0 : 1.0);
        QVERIFY2(std::abs(scale.bottom / bottom - 1) < 1e-9, qPrintable(QString::number(scale.bottom)));
        QVERIFY2(std::abs(scale.top / top - 1) < 1e-9, qPrintable(QString::number(scale.top)));
        // Every measured value lies strictly inside the axis.
        if (highMs > 0) {
            QVERIFY(highMs * scale.perMs < scale.top);
            QVERIFY(std::max(lowMs > 0 ? lowMs : highMs, kResolutionMs) * scale.perMs > scale.bottom);
        }
    }

    // The chart says what it measures: time inside the workers, not the client's round trip.
    void namesWhatItMeasures()
    {
        TimeSeriesModel model;
        LatencyChart chart(&model);
        QCOMPARE(chart.title(), QStringLiteral("Server time per request"));
        QVERIFY(chart.toolTip().contains(QStringLiteral("inside the workers")));
        QVERIFY(chart.toolTip().contains(QStringLiteral("round trip")));
        QVERIFY(chart.toolTip().contains(QStringLiteral("load panel")));
    }

    // Small values are not a flat line at zero, and a fast median stays apart from a slow
    // tail: each line stands clear of the plot's bottom and of the other. (On the old
    // linear 0 to 0.5 ms axis, or 0 to 15 ms under a 12 ms tail, the median lay 1 px off
    // the bottom.)
    void smallValuesAreReadable_data()
    {
        QTest::addColumn<double>("p50");
        QTest::addColumn<double>("p99");
        QTest::addColumn<QString>("unit");
        QTest::newRow("hello: a few µs") << 0.004 << 0.02 << QStringLiteral("µs (log scale)");
        QTest::newRow("0.18 and 0.25 ms") << 0.18 << 0.25 << QStringLiteral("µs (log scale)");
        QTest::newRow("fast median, slow tail") << 0.18 << 12.0 << QStringLiteral("ms (log scale)");
    }
    void smallValuesAreReadable()
    {
        QFETCH(double, p50);
        QFETCH(double, p99);
        QFETCH(QString, unit);
        TimeSeriesModel model;
        model.setSeriesNames({ QStringLiteral("p50"), QStringLiteral("p99") });
        for (int i = 0; i <= 20; ++i)
            model.append(i, { p50, p99 });
        LatencyChart chart(&model);
        chart.resize(260, 200); // about its size in a 1024-pixel window
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(20);
        QCOMPARE(chart.lineNames(), (QStringList { QStringLiteral("p50"), QStringLiteral("p99") }));
        QCOMPARE(chart.axisTitle(), unit);
        QTRY_VERIFY(chart.chart()->plotArea().height() > 80);
        const QRectF plot = chart.chart()->plotArea();
        auto yOf = [&](int line) {
            auto* series = qobject_cast<QLineSeries*>(chart.chart()->series().at(line));
            return chart.chart()->mapToPosition(series->at(10), series).y();
        };
        const double low = yOf(0), high = yOf(1);
        QVERIFY2(plot.bottom() - low >= 6,
                 qPrintable(QStringLiteral("p50 %1 px above the bottom of the plot").arg(plot.bottom() - low)));
        QVERIFY2(low - high >= 10, qPrintable(QStringLiteral("p50 and p99 %1 px apart").arg(low - high)));
        QVERIFY2(high - plot.top() >= 2, qPrintable(QStringLiteral("p99 %1 px under the top").arg(high - plot.top())));
    }

    // Intervals without requests are gaps, not points at zero.
    void idleIntervalsAreGaps()
    {
        TimeSeriesModel model;
        model.setSeriesNames({ QStringLiteral("p50"), QStringLiteral("p99") });
        const double nan = std::numeric_limits<double>::quiet_NaN();
        model.append(0, { 2.0, 4.0 });
        model.append(1, { nan, nan });
        model.append(2, { nan, nan });
        model.append(3, { 3.0, 5.0 });
        LatencyChart chart(&model);
        chart.refresh(3);
        QCOMPARE(chart.pointCount(), 4);
        QCOMPARE(chart.axisTitle(), QStringLiteral("ms (log scale)"));
    }

    // A median measured as 0 (served within the workers' 1 µs clock) is not drawn as a
    // precise 0.5 µs: it sits on the 1 µs line, and its legend entry says "< 1 µs".
    void underTheResolutionSaysSo()
    {
        TimeSeriesModel model;
        model.setSeriesNames({ QStringLiteral("p50"), QStringLiteral("p99") });
        for (int i = 0; i <= 5; ++i)
            model.append(i, { 0.0, 0.004 });
        LatencyChart chart(&model);
        chart.resize(260, 200);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(5);
        auto* p50 = qobject_cast<QLineSeries*>(chart.chart()->series().at(0));
        QCOMPARE(p50->count(), 6);
        QCOMPARE(p50->at(0).y(), 1.0); // in µs: on the 1 µs line
        QVERIFY(p50->isVisible());
        QCOMPARE(chart.axisTitle(), QStringLiteral("µs (log scale)"));
        QVERIFY(chart.axisMin() < 1.0); // the line stands clear of the plot's bottom
        QCOMPARE(chart.lineNames(), (QStringList { QStringLiteral("p50 < 1 µs"), QStringLiteral("p99") }));
        // Measured above the resolution again: the plain name comes back.
        model.clear();
        model.append(6, { 0.002, 0.004 });
        chart.refresh(6);
        QCOMPARE(chart.lineNames(), (QStringList { QStringLiteral("p50"), QStringLiteral("p99") }));
    }

    // A fast server's p50 and p99 are often the same whole microsecond: both lines must show,
    // not the p99 alone over a median a learner would then think missing.
    void equalPercentilesBothShow()
    {
        TimeSeriesModel model;
        model.setSeriesNames({ QStringLiteral("p50"), QStringLiteral("p99") });
        for (int i = 0; i <= 50; ++i)
            model.append(i, { 0.001, 0.001 });
        LatencyChart chart(&model);
        chart.resize(420, 260);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(50);
        const QImage image = chart.grab().toImage();
        const auto pixelsOf = [&](const QColor& color) {
            int n = 0;
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x) {
                    const QColor c = image.pixelColor(x, y);
                    n += std::abs(c.red() - color.red()) + std::abs(c.green() - color.green())
                            + std::abs(c.blue() - color.blue()) < 24;
                }
            return n;
        };
        const int median = pixelsOf(latencyColor(Percentile::P50));
        const int tail = pixelsOf(latencyColor(Percentile::P99));
        // 50 s of a 60 s view: lines some 250 pixels long (the median hidden under the p99 showed
        // 84 pixels, its legend swatch and edges; now over 600).
        qInfo("p50 %d px, p99 %d px", median, tail);
        QVERIFY2(median > 300 && tail > 150, qPrintable(QStringLiteral("p50 %1 px, p99 %2 px").arg(median).arg(tail)));
    }
};

QTEST_MAIN(TestLatencyChart)
#include "tst_latencychart.moc"
