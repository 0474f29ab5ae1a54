#include "models/logmodel.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace cs;
using namespace cs::ui;

namespace {

Event logLine(double time, int slot, const std::string& text)
{
    Event e;
    e.kind = EventKind::Log;
    e.time = time;
    e.slot = slot;
    e.message = text;
    return e;
}

} // namespace

class TestLogModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keepsTheNewestLinesWithinCapacity_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("batches");
        QTest::addColumn<int>("perBatch");
        QTest::newRow("under") << 10 << 2 << 3;
        QTest::newRow("exactly") << 10 << 2 << 5;
        QTest::newRow("over in many batches") << 10 << 7 << 3;
        QTest::newRow("one batch larger than capacity") << 10 << 1 << 25;
    }
    void keepsTheNewestLinesWithinCapacity()
    {
        QFETCH(int, capacity);
        QFETCH(int, batches);
        QFETCH(int, perBatch);
        LogModel model(capacity);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        int n = 0;
        for (int b = 0; b < batches; ++b) {
            QList<Event> events;
            for (int i = 0; i < perBatch; ++i, ++n)
                events.append(logLine(n, 1, "line " + std::to_string(n)));
            model.addEvents(events);
        }
        const int expected = std::min(capacity, n);
        QCOMPARE(model.rowCount(), expected);
        QCOMPARE(model.index(expected - 1, LogModel::Message).data().toString(), QStringLiteral("line %1").arg(n - 1));
        QCOMPARE(model.index(0, LogModel::Message).data().toString(), QStringLiteral("line %1").arg(n - expected));
    }

    void describesEvents_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("reason");
        QTest::addColumn<int>("signal");
        QTest::addColumn<QString>("contains");
        QTest::newRow("killed") << int(EventKind::Exit) << int(ExitReason::KilledByUser) << 9 << QStringLiteral("signal 9");
        QTest::newRow("exit code") << int(EventKind::Exit) << int(ExitReason::ExitCode) << 0 << QStringLiteral("code 3");
        QTest::newRow("restart") << int(EventKind::Restart) << int(ExitReason::None) << 0 << QStringLiteral("250 ms");
    }
    void describesEvents()
    {
        QFETCH(int, kind);
        QFETCH(int, reason);
        QFETCH(int, signal);
        QFETCH(QString, contains);
        LogModel model;
        Event e;
        e.kind = EventKind(kind);
        e.reason = ExitReason(reason);
        e.signal = signal;
        e.exitCode = 3;
        e.delayMs = 250;
        e.slot = 2;
        e.pid = 42;
        e.time = 61.5;
        model.addEvents({ e });
        QVERIFY2(model.index(0, LogModel::Message).data().toString().contains(contains),
                 qPrintable(model.index(0, LogModel::Message).data().toString()));
        QCOMPARE(model.index(0, LogModel::Slot).data().toString(), QStringLiteral("#2"));
        QCOMPARE(model.index(0, LogModel::Time).data().toString(), QStringLiteral("01:01.5"));
    }

    void scaledSaysWorkerOrWorkers()
    {
        LogModel model;
        Event e;
        e.kind = EventKind::Scaled;
        e.workers = 1;
        model.addEvents({ e });
        e.workers = 2;
        model.addEvents({ e });
        QCOMPARE(model.index(0, LogModel::Message).data().toString(), QStringLiteral("scaled to 1 worker"));
        QCOMPARE(model.index(1, LogModel::Message).data().toString(), QStringLiteral("scaled to 2 workers"));
    }

    void filterProxyFindsLines()
    {
        LogModel model;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setFilterKeyColumn(-1);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addEvents({ logLine(1, 1, "listening"), logLine(2, 2, "Crash ahead"), logLine(3, 0, "note") });
        model.addNote(4, QStringLiteral("load finished"));
        proxy.setFilterFixedString(QStringLiteral("crash"));
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setFilterFixedString(QStringLiteral("master"));
        QCOMPARE(proxy.rowCount(), 2); // slot 0 lines and the window's own note
        proxy.setFilterFixedString(QString());
        QCOMPARE(proxy.rowCount(), 4);
        model.clear();
        QCOMPARE(proxy.rowCount(), 0);
    }
};

QTEST_MAIN(TestLogModel)
#include "tst_logmodel.moc"
