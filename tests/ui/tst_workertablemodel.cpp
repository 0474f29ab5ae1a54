#include "models/workertablemodel.h"
#include "widgets/workertableview.h"

#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

Q_DECLARE_METATYPE(std::vector<int>)

using namespace cs;
using namespace cs::ui;

namespace {

std::shared_ptr<const Snapshot> snapshotWith(std::vector<WorkerSample> workers)
{
    auto s = std::make_shared<Snapshot>();
    s->running = true;
    s->workers = std::move(workers);
    return s;
}

WorkerSample worker(int slot, double rate, std::uint64_t requests, WorkerState state = WorkerState::Online)
{
    WorkerSample w;
    w.slot = slot;
    w.pid = 1000 + slot;
    w.state = state;
    w.requestsPerSecond = rate;
    w.requests = requests;
    w.rssBytes = std::uint64_t(slot) * 1024 * 1024 * 3;
    w.cpuPercent = slot * 10.0;
    return w;
}

} // namespace

class TestWorkerTableModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rowsFollowTheSnapshot()
    {
        WorkerTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(WorkerTableModel::ColumnCount));

        model.setSnapshot(snapshotWith({ worker(1, 10, 100), worker(2, 20, 200) }));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(1, WorkerTableModel::Slot).data().toString(), QStringLiteral("#2"));
        QCOMPARE(model.index(1, WorkerTableModel::Pid).data().toString(), QStringLiteral("1002"));
        QCOMPARE(model.index(0, WorkerTableModel::State).data().toString(), QStringLiteral("online"));

        // Scale up: a row is inserted, the others only change.
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setSnapshot(snapshotWith({ worker(1, 11, 110), worker(2, 21, 210), worker(3, 5, 5) }));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.index(0, WorkerTableModel::Requests).data().toString(), QStringLiteral("110"));

        // Scale down removes the last row.
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.setSnapshot(snapshotWith({ worker(1, 11, 120), worker(2, 21, 220) }));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(reset.count(), 0);

        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void tooltipCountsInTheRightNumber()
    {
        WorkerTableModel model;
        WorkerSample one = worker(1, 0, 1);
        one.connectionsAccepted = 1;
        WorkerSample two = worker(2, 0, 2);
        two.connectionsAccepted = 2;
        model.setSnapshot(snapshotWith({ one, two }));
        const QString first = model.index(0, WorkerTableModel::Requests).data(Qt::ToolTipRole).toString();
        QVERIFY2(first.contains(QLatin1String(": online, 1 request served since the cluster started, 1 connection accepted")),
                 qPrintable(first));
        const QString second = model.index(1, WorkerTableModel::Requests).data(Qt::ToolTipRole).toString();
        QVERIFY2(second.contains(QLatin1String("2 requests served since the cluster started, 2 connections accepted")),
                 qPrintable(second));
    }

    void stateIsShownAndColoured_data()
    {
        QTest::addColumn<int>("state");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("coloured");
        QTest::newRow("online") << int(WorkerState::Online) << QStringLiteral("online") << true;
        QTest::newRow("failed") << int(WorkerState::Failed) << QStringLiteral("failed") << true;
        QTest::newRow("backing-off") << int(WorkerState::BackingOff) << QString::fromLatin1(stateName(WorkerState::BackingOff)) << true;
        QTest::newRow("stopped") << int(WorkerState::Stopped) << QString::fromLatin1(stateName(WorkerState::Stopped)) << false;
    }
    void stateIsShownAndColoured()
    {
        QFETCH(int, state);
        QFETCH(QString, text);
        QFETCH(bool, coloured);
        WorkerTableModel model;
        model.setSnapshot(snapshotWith({ worker(1, 0, 0, WorkerState(state)) }));
        const QModelIndex index = model.index(0, WorkerTableModel::State);
        QCOMPARE(index.data().toString(), text);
        QCOMPARE(index.data(Qt::ForegroundRole).isValid(), coloured);
        QCOMPARE(index.data(WorkerTableModel::StateRole).toInt(), state);
    }

    void sortsNumericallyThroughTheProxy_data()
    {
        QTest::addColumn<int>("column");
        QTest::newRow("req/s") << int(WorkerTableModel::RequestsPerSecond);
        QTest::newRow("requests") << int(WorkerTableModel::Requests);
        QTest::newRow("rss") << int(WorkerTableModel::Rss);
    }
    void sortsNumericallyThroughTheProxy()
    {
        QFETCH(int, column);
        WorkerTableModel model;
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(WorkerTableModel::SortRole);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // As text "9" > "10" > "100"; as numbers the order is 9 < 10 < 100.
        WorkerSample a = worker(1, 100, 100);
        WorkerSample b = worker(2, 9, 9);
        WorkerSample c = worker(3, 10, 10);
        a.rssBytes = 100ull << 20;
        b.rssBytes = 9ull << 20;
        c.rssBytes = 10ull << 20;
        model.setSnapshot(snapshotWith({ a, b, c }));
        proxy.sort(column, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, 0).data(WorkerTableModel::SlotRole).toInt(), 2);
        QCOMPARE(proxy.index(1, 0).data(WorkerTableModel::SlotRole).toInt(), 3);
        QCOMPARE(proxy.index(2, 0).data(WorkerTableModel::SlotRole).toInt(), 1);
    }

    // The Core column says when a worker is held: "1 (pinned)", "3 (of 2-3)", else the core alone.
    void coreShowsThePinning_data()
    {
        QTest::addColumn<std::vector<int>>("allowed");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("tip");
        QTest::newRow("unknown") << std::vector<int> {} << QStringLiteral("1") << QString();
        QTest::newRow("every cpu") << std::vector<int> { 0, 1, 2, 3 } << QStringLiteral("1")
                                   << QStringLiteral("Worker slot 1 last ran on core 1; it may run on every CPU (0-3)");
        QTest::newRow("pinned") << std::vector<int> { 1 } << QStringLiteral("1 (pinned)")
                                << QStringLiteral("Worker slot 1 last ran on core 1; it is pinned to CPU 1");
        QTest::newRow("a set") << std::vector<int> { 1, 2 } << QStringLiteral("1 (of 1-2)")
                               << QStringLiteral("Worker slot 1 last ran on core 1; it may run on CPUs 1-2 only");
    }
    void coreShowsThePinning()
    {
        QFETCH(std::vector<int>, allowed);
        QFETCH(QString, text);
        QFETCH(QString, tip);
        auto s = std::make_shared<Snapshot>();
        s->running = true;
        s->cores = { { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 } };
        WorkerSample w = worker(1, 0, 0);
        w.core = 1;
        w.allowedCpus = allowed;
        s->workers = { w };
        WorkerTableModel model;
        model.setSnapshot(s);
        const QModelIndex core = model.index(0, WorkerTableModel::Core);
        QCOMPARE(core.data().toString(), text);
        if (!tip.isEmpty())
            QCOMPARE(core.data(Qt::ToolTipRole).toString(), tip);
    }

    // A busy worker's figures show whole, not elided: a worker answering 250,000 keep-alive
    // requests a second read "129…" in a column sized for five digits.
    void everyColumnHoldsABusyWorkersFigures()
    {
        WorkerSample w = worker(88, 250000, 123456789);
        w.state = WorkerState::BackingOff;
        w.uptimeSeconds = 3599;
        w.restarts = 99;
        w.openConnections = 9999;
        w.cpuPercent = 100;
        w.rssBytes = 999ull << 20;
        w.core = 99;
        auto s = snapshotWith({ w });
        WorkerTableModel model;
        model.setSnapshot(s);
        WorkerTableView view(&model);
        view.resize(1600, 400);
        for (int c = 0; c < WorkerTableModel::ColumnCount - 1; ++c) { // the last one stretches
            const QString text = model.index(0, c).data().toString();
            QVERIFY2(!text.isEmpty(), qPrintable(QStringLiteral("column %1 is empty").arg(c)));
            const int needed = view.fontMetrics().horizontalAdvance(text) + 8;
            QVERIFY2(view.columnWidth(c) >= needed,
                     qPrintable(QStringLiteral("column %1 (%2) is %3 px wide for \"%4\", which needs %5")
                                    .arg(c).arg(model.headerData(c, Qt::Horizontal).toString())
                                    .arg(view.columnWidth(c)).arg(text).arg(needed)));
        }
    }

    void formatsForPeople_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("seconds") << 12.34 << QStringLiteral("12.3 s");
        QTest::newRow("minutes") << 125.0 << QStringLiteral("2 m 05 s");
        QTest::newRow("hours") << 3720.0 << QStringLiteral("1 h 02 m");
    }
    void formatsForPeople()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(formatDuration(seconds), text);
        QCOMPARE(formatBytes(3ull << 20), QStringLiteral("3.0 MiB"));
    }
};

QTEST_MAIN(TestWorkerTableModel)
#include "tst_workertablemodel.moc"
