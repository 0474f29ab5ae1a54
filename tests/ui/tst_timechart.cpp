// The line charts' legend: named entries while they fit, none rather than a row of unnamed
// swatches cut off at the edge (16 workers in a 1024-pixel window).
#include "charts/workerratechart.h"

#include "models/timeseriesmodel.h"

#include <QChart>
#include <QLegend>
#include <QTest>

using namespace cs::ui;

class TestTimeChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void legendOnlyWhileItFits()
    {
        TimeSeriesModel model;
        auto names = [](int count) {
            QStringList list;
            for (int slot = 1; slot <= count; ++slot)
                list.append(QStringLiteral("#%1").arg(slot));
            return list;
        };
        model.setSeriesNames(names(2));
        model.append(1, { 10.0, 20.0 });
        WorkerRateChart chart(&model);
        chart.resize(260, 200);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(1);
        QVERIFY(chart.chart()->legend()->isVisible());

        model.setSeriesNames(names(16));
        model.append(2, std::vector<double>(16, 5.0));
        chart.refresh(2);
        QCOMPARE(chart.lineNames().size(), 16);
        QVERIFY(!chart.chart()->legend()->isVisible());
        // Wide enough for all sixteen: named again.
        chart.resize(1400, 200);
        QTRY_VERIFY(chart.chart()->legend()->isVisible());
        // Back to two workers in the narrow chart.
        chart.resize(260, 200);
        model.setSeriesNames(names(2));
        chart.refresh(3);
        QVERIFY(chart.chart()->legend()->isVisible());
    }
};

QTEST_MAIN(TestTimeChart)
#include "tst_timechart.moc"
