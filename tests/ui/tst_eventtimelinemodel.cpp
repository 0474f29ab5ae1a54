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

Event makeEvent(EventKind kind, double time, int slot)
{
    Event e;
    e.kind = kind;
    e.time = time;
    e.slot = slot;
    e.pid = 200 + slot;
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
        QTest::newRow("reset") << int(EventKind::Reset) << int(ExitReason::None) << true << int(Category::Reset);
        QTest::newRow("could not start") << int(EventKind::SpawnFailed) << int(ExitReason::None) << true
                                         << int(Category::SpawnFailed);
        QTest::newRow("fork") << int(EventKind::Fork) << int(ExitReason::None) << false << 0;
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

    // Every marker since the start, up to the capacity (the oldest go first); a chart asks
    // for the ones in its range.
    void keepsEverythingUpToTheCapacity()
    {
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCapacity(3);
        model.addEvents({ exitEvent(1, 1, ExitReason::KilledByUser, 9), respawn(1.1, 1), exitEvent(2, 2, ExitReason::Clean) });
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.count(Category::KilledByUser), 1);
        QCOMPARE(model.count(Category::Respawn), 1);
        QCOMPARE(model.points(Category::KilledByUser).front(), QPointF(1, 1));
        model.addEvents({ exitEvent(3000, 2, ExitReason::Crash, 6) });
        QCOMPARE(model.rowCount(), 3); // an hour later, the first ones are still there
        QCOMPARE(model.points(Category::Respawn, 0, 60), QList<QPointF> { QPointF(1.1, 1) });
        QVERIFY(model.points(Category::Respawn, 60, 4000).isEmpty());
        QCOMPARE(model.points(Category::Crash, 2990, 3010), QList<QPointF> { QPointF(3000, 2) });
        model.addEvents({ respawn(3000.2, 2) });
        QCOMPARE(model.rowCount(), 3); // over the capacity: the oldest went
        QCOMPARE(model.count(Category::KilledByUser), 0);
        QCOMPARE(model.count(Category::Respawn), 2);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.count(Category::Respawn), 0);
    }

    // A reset starts the slot's process without a Restart event (nothing crashed): the
    // timeline shows the reset and, from the Fork that follows it, the process coming back.
    void showsTheRestartAfterAReset()
    {
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addEvents({ exitEvent(1, 1, ExitReason::Crash, 6), makeEvent(EventKind::Failed, 1, 1) });
        QCOMPARE(model.count(Category::Respawn), 0);
        model.addEvents({ makeEvent(EventKind::Reset, 5, 1) });
        QCOMPARE(model.count(Category::Reset), 1);
        model.addEvents({ makeEvent(EventKind::Fork, 5.01, 1), makeEvent(EventKind::Online, 5.2, 1) });
        QCOMPARE(model.count(Category::Respawn), 1);
        QCOMPARE(model.points(Category::Reset), QList<QPointF> { QPointF(5, 1) });
        QCOMPARE(model.points(Category::Respawn), QList<QPointF> { QPointF(5.01, 1) });
        // Forks of a start, a scale-up or an announced respawn add nothing of their own.
        model.addEvents({ makeEvent(EventKind::Fork, 6, 2), respawn(7, 1), makeEvent(EventKind::Fork, 7, 1) });
        QCOMPARE(model.count(Category::Respawn), 2);
        // A reset whose process could not be started: its own SpawnFailed and Restart speak
        // for it, and the Fork of the retry is not counted twice.
        model.addEvents({ makeEvent(EventKind::Reset, 8, 2), makeEvent(EventKind::SpawnFailed, 8, 2), respawn(8, 2),
                          makeEvent(EventKind::Fork, 8.1, 2) });
        QCOMPARE(model.count(Category::Respawn), 3);
        QCOMPARE(model.count(Category::SpawnFailed), 1);
        // A new run forgets a reset still waiting for its fork.
        model.addEvents({ makeEvent(EventKind::Reset, 9, 3) });
        model.clear();
        model.addEvents({ makeEvent(EventKind::Fork, 0.1, 3) });
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestEventTimelineModel)
#include "tst_eventtimelinemodel.moc"
