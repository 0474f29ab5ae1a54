#include "charts/comparisonchart.h"
#include "models/comparisonmodel.h"
#include "models/runstore.h"

#include <cmath>

#include <QAbstractItemModelTester>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace cs;
using namespace cs::ui;

namespace {

LabRun makeRun(Policy policy, QList<std::uint64_t> perSlot, double rps, std::uint64_t errors, double masterCpu)
{
    LabRun run;
    run.cluster.policy = policy;
    run.cluster.workers = int(perSlot.size());
    run.load = LoadOptions {};
    run.load->connections = 4;
    Snapshot s;
    s.running = true;
    for (int i = 1; i <= perSlot.size(); ++i)
        s.workers.push_back(WorkerSample { .slot = i });
    s.cores = { { 0, 0 }, { 1, 0 } };
    run.snapshots.push_back(s);
    s.masterCpuPercent = masterCpu;
    s.cores = { { 0, 80 }, { 1, 40 } };
    run.snapshots.push_back(s);
    LoadSummary load;
    load.elapsedSeconds = 2;
    load.requestsPerSecond = rps;
    load.errors = errors;
    load.p50Ms = 0.5;
    load.p99Ms = 3.25;
    int slot = 1;
    for (std::uint64_t n : perSlot) {
        load.perWorker[std::to_string(slot++)] = n;
        load.completed += n;
    }
    run.loadSummary = load;
    run.summary = lab::summarizeRun(run.snapshots, run.events, run.loadSummary);
    return run;
}

} // namespace

class TestComparisonModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void figuresSideBySide_data();
    void figuresSideBySide();
    void chartsShowTheRuns();
    void fromRecordedRuns();
};

void TestComparisonModel::figuresSideBySide_data()
{
    QTest::addColumn<int>("figure");
    QTest::addColumn<int>("which");
    QTest::addColumn<double>("first");
    QTest::addColumn<double>("second");
    QTest::addColumn<QString>("secondText");
    using F = ComparisonModel::Figure;
    QTest::newRow("requests") << int(F::Requests) << 0 << 4000.0 << 3000.0 << QStringLiteral("%L1").arg(3000);
    QTest::newRow("throughput") << int(F::Throughput) << 0 << 2000.0 << 1500.0 << QStringLiteral("%L1").arg(1500);
    QTest::newRow("p99") << int(F::P99) << 0 << 3.25 << 3.25 << QStringLiteral("3.25");
    QTest::newRow("failed") << int(F::Failed) << 0 << 0.0 << 7.0 << QStringLiteral("7");
    QTest::newRow("jain") << int(F::Jain) << 0 << 1.0 << 0.5 << QStringLiteral("0.50");
    QTest::newRow("busiest share") << int(F::MaxShare) << 0 << 0.5 << 1.0 << QStringLiteral("100.0 %");
    QTest::newRow("master cpu") << int(F::MasterCpu) << 0 << 90.0 << 2.0 << QStringLiteral("2 %");
    QTest::newRow("worker 1") << int(F::WorkerShare) << 1 << 0.5 << 1.0 << QStringLiteral("100.0 %");
    QTest::newRow("worker 2") << int(F::WorkerShare) << 2 << 0.5 << 0.0 << QStringLiteral("0.0 %");
    QTest::newRow("core 0") << int(F::CoreLoad) << 0 << 80.0 << 80.0 << QStringLiteral("80 %");
}

void TestComparisonModel::figuresSideBySide()
{
    QFETCH(int, figure);
    QFETCH(int, which);
    QFETCH(double, first);
    QFETCH(double, second);
    QFETCH(QString, secondText);
    const LabRun a = makeRun(Policy::RoundRobin, { 2000, 2000 }, 2000, 0, 90);
    const LabRun b = makeRun(Policy::Shared, { 3000, 0 }, 1500, 7, 2);
    ComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRuns({ &a, &b });
    QCOMPARE(model.columnCount(), 2);
    const auto f = ComparisonModel::Figure(figure);
    QCOMPARE(model.value(f, 0, which), first);
    QCOMPARE(model.value(f, 1, which), second);
    const int row = model.rowOf(f, which);
    QCOMPARE(model.data(model.index(row, 1), Qt::UserRole).toDouble(), second);
    QCOMPARE(model.data(model.index(row, 1), Qt::DisplayRole).toString(), secondText);
    QVERIFY(model.headerData(0, Qt::Horizontal, Qt::DisplayRole).toString().startsWith(QStringLiteral("round-robin")));
}

void TestComparisonModel::chartsShowTheRuns()
{
    const LabRun a = makeRun(Policy::RoundRobin, { 2000, 2000 }, 2000, 0, 90);
    const LabRun b = makeRun(Policy::Shared, { 3000, 0 }, 1500, 7, 2);
    ComparisonModel model;
    ComparisonChart shares(&model, ComparisonChart::Kind::Shares);
    model.setRuns({ &a, &b });
    auto* bars = qobject_cast<QBarSeries*>(shares.chart()->series().value(0));
    QVERIFY(bars);
    QCOMPARE(bars->count(), 2); // one set per worker
    QCOMPARE(bars->barSets().at(0)->at(0), 50.0);
    QCOMPARE(bars->barSets().at(0)->at(1), 100.0);
    QCOMPARE(bars->barSets().at(1)->at(1), 0.0);
}

namespace {

// The fixture's own lines, read here with Qt's JSON (not the code under test): the load
// summary's object, and the means over the snapshots after the first (the baseline).
struct FixtureFigures {
    QJsonObject load;
    double masterCpu = 0;
    QList<double> cores;
};

FixtureFigures readFixture(const QString& path)
{
    FixtureFigures f;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return f;
    int snapshots = 0;
    QList<double> coreSums;
    for (const QByteArray& line : file.readAll().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QStringLiteral("type")).toString() == QStringLiteral("load-summary"))
            f.load = o.value(QStringLiteral("summary")).toObject();
        if (o.value(QStringLiteral("type")).toString() != QStringLiteral("snapshot"))
            continue;
        if (snapshots++ == 0)
            continue;
        const QJsonObject snap = o.value(QStringLiteral("snapshot")).toObject();
        f.masterCpu += snap.value(QStringLiteral("master")).toObject().value(QStringLiteral("cpu")).toDouble();
        const QJsonArray cores = snap.value(QStringLiteral("cores")).toArray();
        for (int i = 0; i < cores.size(); ++i) {
            if (coreSums.size() <= i)
                coreSums.append(0);
            coreSums[i] += cores[i].toDouble();
        }
    }
    f.masterCpu /= std::max(1, snapshots - 1);
    for (double sum : coreSums)
        f.cores.append(sum / std::max(1, snapshots - 1));
    return f;
}

} // namespace

// Two runs the window recorded (4 keep-alive connections to 2 workers, round-robin then
// shared), read back from their files as the runs list reads them.
void TestComparisonModel::fromRecordedRuns()
{
    const QString dir = QFINDTESTDATA("../data/lab");
    QVERIFY(!dir.isEmpty());
    RunStore store(dir);
    QCOMPARE(store.lastProblem(), QString());
    QCOMPARE(store.rowCount(), 2);
    ComparisonModel model;
    model.setRuns({ &store.runs()[0], &store.runs()[1] });
    QCOMPARE(model.headerData(0, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("round-robin"));
    QCOMPARE(model.headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("shared"));
    using F = ComparisonModel::Figure;
    const FixtureFigures figures[] { readFixture(dir + QStringLiteral("/round-robin-4-keepalive.jsonl")),
                                     readFixture(dir + QStringLiteral("/shared-4-keepalive.jsonl")) };
    for (int column = 0; column < 2; ++column) {
        const FixtureFigures& f = figures[column];
        const QJsonObject perWorker = f.load.value(QStringLiteral("perWorker")).toObject();
        const double completed = f.load.value(QStringLiteral("completed")).toDouble();
        QVERIFY(completed > 0);
        QCOMPARE(model.value(F::Requests, column), completed);
        QCOMPARE(model.value(F::Throughput, column), f.load.value(QStringLiteral("requestsPerSecond")).toDouble());
        QCOMPARE(model.value(F::P99, column), f.load.value(QStringLiteral("latencyMs")).toObject().value(QStringLiteral("p99")).toDouble());
        QCOMPARE(model.value(F::Failed, column), f.load.value(QStringLiteral("errors")).toDouble());
        // Jain's index over both workers, from the counts per worker.
        const double a = perWorker.value(QStringLiteral("1")).toDouble(), b = perWorker.value(QStringLiteral("2")).toDouble();
        QCOMPARE(model.value(F::WorkerShare, column, 1), a / completed);
        QCOMPARE(model.value(F::WorkerShare, column, 2), b / completed);
        QCOMPARE(model.value(F::Jain, column), (a + b) * (a + b) / (2 * (a * a + b * b)));
        QCOMPARE(model.value(F::MasterCpu, column), f.masterCpu);
        QCOMPARE(model.maxCores(), int(f.cores.size()));
        for (int core = 0; core < f.cores.size(); ++core)
            QCOMPARE(model.value(F::CoreLoad, column, core), f.cores[core]);
    }
    // What the fixture shows: under shared one worker took every request.
    QCOMPARE(model.value(F::MaxShare, 1), 1.0);
    QCOMPARE(model.value(F::Jain, 1), 0.5);
}

QTEST_MAIN(TestComparisonModel)
#include "tst_comparisonmodel.moc"
