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
        RestartTimelineChart chart(&model);
        chart.setSlotCount(2);
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
};

QTEST_MAIN(TestRestartTimelineChart)
#include "tst_restarttimelinechart.moc"
