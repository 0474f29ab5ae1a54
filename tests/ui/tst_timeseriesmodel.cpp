#include "models/timeseriesmodel.h"

#include <cmath>
#include <limits>

#include <QAbstractItemModelTester>
#include <QTest>

using namespace cs::ui;

class TestTimeSeriesModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void slidesOverTheWindow_data()
    {
        QTest::addColumn<double>("window");
        QTest::addColumn<int>("samples");
        QTest::addColumn<double>("step");
        QTest::newRow("fits") << 60.0 << 10 << 0.5;
        QTest::newRow("slides") << 60.0 << 400 << 0.5;
        QTest::newRow("short window") << 5.0 << 100 << 1.0;
    }
    void slidesOverTheWindow()
    {
        QFETCH(double, window);
        QFETCH(int, samples);
        QFETCH(double, step);
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setWindowSeconds(window);
        model.setSeriesNames({ QStringLiteral("a") });
        for (int i = 0; i < samples; ++i)
            model.append(i * step, { double(i) });
        const double last = (samples - 1) * step;
        const QList<QPointF> points = model.points(0);
        QVERIFY(!points.isEmpty());
        QCOMPARE(points.back().x(), last);
        // Everything but one leading sample lies inside the window; nothing older is kept.
        QVERIFY(points.size() <= int(window / step) + 2);
        QVERIFY(points.size() < 2 || points[1].x() >= last - window);
        QCOMPARE(model.latestTime(), last);
    }

    void seriesGrowAndGapsAreSkipped()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSeriesNames({ QStringLiteral("#1") });
        model.append(0, { 5 });
        model.setSeriesNames({ QStringLiteral("#1"), QStringLiteral("#2") });
        QCOMPARE(model.columnCount(), 3);
        model.append(1, { 6, 7 });
        model.append(2, { std::numeric_limits<double>::quiet_NaN(), 9 });
        QCOMPARE(model.points(0).size(), 2);
        QCOMPARE(model.points(1).size(), 2);
        QCOMPARE(model.points(1).front(), QPointF(1, 7));
        QCOMPARE(model.maxValue(), 9.0);
        QVERIFY(!model.index(2, 1).data().isValid()); // NaN reads as no value
        QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("#2"));
        // The series follow the slots: a scaled-down slot's column goes with its samples,
        // and a slot scaled up again starts a fresh line.
        model.setSeriesNames({ QStringLiteral("#1") });
        QCOMPARE(model.seriesCount(), 1);
        QCOMPARE(model.columnCount(), 2);
        QCOMPARE(model.points(0).size(), 2);
        model.setSeriesNames({ QStringLiteral("#1"), QStringLiteral("#2") });
        QVERIFY(model.points(1).isEmpty());
        model.append(3, { 1, 2 });
        QCOMPARE(model.points(1), QList<QPointF> { QPointF(3, 2) });
    }

    void timeGoingBackStartsOver()
    {
        TimeSeriesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSeriesNames({ QStringLiteral("x") });
        for (int i = 0; i < 10; ++i)
            model.append(10 + i, { 1 });
        model.append(0.5, { 2 }); // a new run
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.points(0).front(), QPointF(0.5, 2));
    }
};

QTEST_MAIN(TestTimeSeriesModel)
#include "tst_timeseriesmodel.moc"
