#include "models/eventtimelinemodel.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace cs;
using namespace cs::ui;
using Category = EventTimelineModel::Category;

namespace {

Event exitEvent(double time, int slot, ExitReason reason, int signal = 0)
{
    Event e;
    e.kind = EventKind::Exit;
    e.time = time;
    e.slot = slot;
    e.pid = 100 + slot;
    e.reason = reason;
    e.signal = signal;
    return e;
}

Event respawn(double time, int slot)
{
    Event e;
    e.kind = EventKind::Restart;
    e.time = time;
    e.slot = slot;
    return e;
}

} // namespace

class TestEventTimelineModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void categorizes_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("reason");
        QTest::addColumn<bool>("shown");
        QTest::addColumn<int>("category");
        QTest::newRow("crash") << int(EventKind::Exit) << int(ExitReason::Crash) << true << int(Category::Crash);
        QTest::newRow("exit code") << int(EventKind::Exit) << int(ExitReason::ExitCode) << true << int(Category::ExitCode);
        QTest::newRow("killed") << int(EventKind::Exit) << int(ExitReason::KilledByUser) << true << int(Category::KilledByUser);
        QTest::newRow("timeout") << int(EventKind::Exit) << int(ExitReason::Timeout) << true << int(Category::Timeout);
        QTest::newRow("memory") << int(EventKind::Exit) << int(ExitReason::MemoryLimit) << true << int(Category::Timeout);
        QTest::newRow("clean") << int(EventKind::Exit) << int(ExitReason::Clean) << false << 0;
        QTest::newRow("drained") << int(EventKind::Exit) << int(ExitReason::Stopped) << false << 0;
        QTest::newRow("respawn") << int(EventKind::Restart) << int(ExitReason::None) << true << int(Category::Respawn);
        QTest::newRow("failed") << int(EventKind::Failed) << int(ExitReason::None) << true << int(Category::Failed);
        QTest::newRow("online") << int(EventKind::Online) << int(ExitReason::None) << false << 0;
    }
    void categorizes()
    {
        QFETCH(int, kind);
        QFETCH(int, reason);
        QFETCH(bool, shown);
        QFETCH(int, category);
        Event e;
        e.kind = EventKind(kind);
        e.reason = ExitReason(reason);
        Category got = Category::Crash;
        QCOMPARE(EventTimelineModel::categorize(e, &got), shown);
        if (shown)
            QCOMPARE(int(got), category);
    }

    void keepsTheLastWindow()
    {
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addEvents({ exitEvent(1, 1, ExitReason::KilledByUser, 9), respawn(1.1, 1), exitEvent(2, 2, ExitReason::Clean) });
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.count(Category::KilledByUser), 1);
        QCOMPARE(model.count(Category::Respawn), 1);
        QCOMPARE(model.points(Category::KilledByUser).front(), QPointF(1, 1));
        model.addEvents({ exitEvent(30, 2, ExitReason::Crash, 6), respawn(30.2, 2) });
        QCOMPARE(model.rowCount(), 4);
        model.slideTo(61.05); // the markers at 1.0 slid out, 1.1 is still in
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.count(Category::KilledByUser), 0);
        QCOMPARE(model.count(Category::Respawn), 2);
        model.slideTo(200);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.count(Category::Crash), 0);
        model.addEvents({ respawn(201, 1) });
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.count(Category::Respawn), 0);
    }
};

QTEST_MAIN(TestEventTimelineModel)
#include "tst_eventtimelinemodel.moc"
