#include "charts/restarttimelinechart.h"

#include <QChart>
#include <QLineF>
#include <QTest>

using namespace cs;
using namespace cs::ui;
using Category = EventTimelineModel::Category;

namespace {

Event makeEvent(EventKind kind, double time, int slot, ExitReason reason = ExitReason::None)
{
    Event e;
    e.kind = kind;
    e.time = time;
    e.slot = slot;
    e.pid = 100 + slot;
    e.reason = reason;
    e.signal = reason == ExitReason::Crash ? 6 : 0;
    return e;
}

} // namespace

class TestRestartTimelineChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The crash that makes a slot fail and the "slot failed" star happen at one instant:
    // both markers must show, not the star drawn over the fifth crash dot.
    void failedStarLeavesTheLastCrashVisible()
    {
        EventTimelineModel model;
        QList<Event> events;
        for (int i = 1; i <= 5; ++i) {
            events.append(makeEvent(EventKind::Exit, 2.0 * i, 1, ExitReason::Crash));
            if (i < 5)
                events.append(makeEvent(EventKind::Restart, 2.0 * i, 1));
        }
        events.append(makeEvent(EventKind::Failed, 10, 1));
        model.addEvents(events);
        model.setSlotCount(2);
        RestartTimelineChart chart(&model);
        chart.resize(480, 260);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(20);
        QTRY_VERIFY(chart.chart()->plotArea().height() > 100);
        QCOMPARE(chart.markerCount(Category::Crash), 5);
        QCOMPARE(chart.markerCount(Category::Failed), 1);
        const QPointF crash = chart.markerPosition(Category::Crash, 4);
        const QPointF star = chart.markerPosition(Category::Failed, 0);
        QCOMPARE(crash.x(), star.x()); // the same instant
        const double apart = QLineF(crash, star).length();
        const double needed = (chart.markerSize(Category::Crash) + chart.markerSize(Category::Failed)) / 2;
        QVERIFY2(apart >= needed, qPrintable(QStringLiteral("%1 px apart, the markers need %2").arg(apart).arg(needed)));
        // Both still inside the slot's row (slot 1 of 2: the lower half of the plot).
        const QRectF plot = chart.chart()->plotArea();
        for (const QPointF& p : { crash, star })
            QVERIFY(p.y() > plot.center().y() && p.y() < plot.bottom());
    }

    // The legend names the kinds on the chart, not all eight that could be.
    void legendListsWhatIsShown()
    {
        EventTimelineModel model;
        RestartTimelineChart chart(&model);
        chart.resize(480, 260);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(1);
        QVERIFY(chart.legendNames().isEmpty());
        model.addEvents({ makeEvent(EventKind::Exit, 1, 1, ExitReason::Crash), makeEvent(EventKind::Restart, 1, 1) });
        chart.refresh(2);
        QCOMPARE(chart.legendNames(), (QStringList { EventTimelineModel::categoryName(Category::Crash),
                                                     EventTimelineModel::categoryName(Category::Respawn) }));
        model.addEvents({ makeEvent(EventKind::Reset, 3, 1), makeEvent(EventKind::Fork, 3, 1) });
        chart.refresh(4);
        QVERIFY(chart.legendNames().contains(EventTimelineModel::categoryName(Category::Reset)));
        QCOMPARE(chart.markerCount(Category::Respawn), 2);
        model.clear();
        chart.refresh(5);
        QVERIFY(chart.legendNames().isEmpty());
    }

    // 64 slots on a laptop-sized chart: every slot a label would print them over each other.
    // Every n-th slot is named on its own row, the names fit the plot's height, and the
    // markers shrink to the rows; back at 2 slots, both are named again.
    void manySlotsDoNotCrowdTheAxis()
    {
        EventTimelineModel model;
        model.setSlotCount(64);
        model.addEvents({ makeEvent(EventKind::Exit, 1, 40, ExitReason::Crash), makeEvent(EventKind::Restart, 1, 40) });
        RestartTimelineChart chart(&model);
        chart.resize(480, 260);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(2);
        QTRY_VERIFY(chart.chart()->plotArea().height() > 100);
        const double plotHeight = chart.chart()->plotArea().height();
        QTRY_VERIFY(chart.slotLabels().size() < 64);
        const QStringList labels = chart.slotLabels();
        QVERIFY2(labels.size() >= 2, qPrintable(labels.join(u' ')));
        QCOMPARE(labels.front(), QStringLiteral("#1"));
        const double spacing = plotHeight / 64 * (labels.at(1).mid(1).toInt() - 1);
        QVERIFY2(spacing >= chart.fontMetrics().height(),
                 qPrintable(QStringLiteral("labels %1 px apart, a line of text is %2 px").arg(spacing).arg(chart.fontMetrics().height())));
        QVERIFY2(chart.markerSize(Category::Crash) < 14.0,
                 qPrintable(QStringLiteral("a %1 px marker on %2 px rows").arg(chart.markerSize(Category::Crash)).arg(plotHeight / 64)));
        // The crash of slot 40 is drawn inside slot 40's row.
        const QPointF crash = chart.markerPosition(Category::Crash, 0);
        const QRectF plot = chart.chart()->plotArea();
        const double rowTop = plot.bottom() - plot.height() * (40.5 - 0.5) / 64;
        QVERIFY2(crash.y() >= rowTop && crash.y() <= rowTop + plot.height() / 64,
                 qPrintable(QStringLiteral("crash at y %1, row %2..%3").arg(crash.y()).arg(rowTop).arg(rowTop + plot.height() / 64)));

        model.setSlotCount(2);
        chart.refresh(3);
        QCOMPARE(chart.slotLabels(), (QStringList { QStringLiteral("#1"), QStringLiteral("#2") }));
        QCOMPARE(chart.markerSize(Category::Crash), 14.0);
    }
};

QTEST_MAIN(TestRestartTimelineChart)
#include "tst_restarttimelinechart.moc"
