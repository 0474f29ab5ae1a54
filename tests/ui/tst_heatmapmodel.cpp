// Where each worker ran: the heat map model fed through ClusterModels::apply with made-up
// snapshots and with a real cluster's (pinned workers stay in one column under load; a worker
// moved between CPUs shows in two), and the chart that paints it.
#include "affinity/cpulist.h"
#include "charts/chartstyle.h"
#include "charts/heatmapchart.h"
#include "master/cluster.h"
#include "models/clustermodels.h"
#include "models/heatmapmodel.h"

#include "testsupport.h"

#include <atomic>
#include <thread>

#include <sched.h>

#include <QAbstractItemModelTester>
#include <QImage>
#include <QtTest>

using namespace std::chrono_literals;
using namespace cs;
using namespace cs::ui;

namespace {

WorkerSample worker(int slot, int core, double cpu = 50, std::vector<int> allowed = {})
{
    WorkerSample w;
    w.slot = slot;
    w.pid = 1000 + slot;
    w.state = WorkerState::Online;
    w.core = core;
    w.cpuPercent = cpu;
    w.allowedCpus = std::move(allowed);
    return w;
}

std::shared_ptr<const Snapshot> snapshot(std::uint64_t sequence, std::vector<WorkerSample> workers, int cores = 2)
{
    auto s = std::make_shared<Snapshot>();
    s->sequence = sequence;
    s->running = true;
    for (int i = 0; i < cores; ++i)
        s->cores.push_back({ i, 10 });
    s->workers = std::move(workers);
    return s;
}

/// Keeps `threads` clients asking for CPU work until destroyed, so the workers run.
class Load {
public:
    Load(std::uint16_t port, int threads)
    {
        for (int i = 0; i < threads; ++i)
            m_threads.emplace_back([this, port] {
                while (!m_stop)
                    cs::test::httpGet(port, "/cpu?ms=20");
            });
    }
    ~Load()
    {
        m_stop = true;
        for (auto& t : m_threads)
            t.join();
    }

private:
    std::atomic<bool> m_stop { false };
    std::vector<std::thread> m_threads;
};

cs::ClusterConfig clusterConfig(int workers)
{
    cs::ClusterConfig config;
    config.port = 0;
    config.workers = workers;
    config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    config.sampleIntervalMs = 100;
    config.gracefulTimeoutMs = 2000;
    return config;
}

/// Feeds the cluster's snapshots to the models until `done` holds or 30 s pass.
bool feedUntil(cs::Cluster& cluster, ClusterModels& models, const std::function<bool()>& done)
{
    return cs::test::waitFor(
        [&] {
            models.apply(cluster.snapshot());
            return done();
        },
        30s);
}

} // namespace

class TestHeatMapModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsSamplesPerSlotAndCore();
    void startsAfreshAndFollowsScaling();
    void chartPaintsTheShares();
    void pinnedWorkersStayInOneColumnUnderLoad();
    void aWorkerMovedBetweenCpusShowsInTwoColumns();
};

void TestHeatMapModel::countsSamplesPerSlotAndCore()
{
    ClusterModels models;
    HeatMapModel* model = models.heatMap();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    models.setRunning(true);
    QCOMPARE(model->overview(), QStringLiteral("Start a cluster to see where its workers run"));

    // Slot 1 unpinned, moving: core 0, 0, 1, 0 (and one idle sample, which says nothing).
    // Slot 2 pinned to CPU 1.
    const std::vector<int> pinned { 1 };
    models.apply(snapshot(1, { worker(1, 0, 0), worker(2, 1, 0, pinned) }));
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->columnCount(), 2);
    QCOMPARE(model->samples(1), 0); // idle: not counted
    QCOMPARE(model->overview(), QStringLiteral("No worker has used CPU yet: put load on the cluster"));
    QCOMPARE(model->summary(1), QStringLiteral("worker 1 has not used CPU yet"));
    models.apply(snapshot(2, { worker(1, 0), worker(2, 1, 80, pinned) }));
    models.apply(snapshot(2, { worker(1, 0), worker(2, 1, 80, pinned) })); // the same snapshot again
    models.apply(snapshot(3, { worker(1, 0), worker(2, 1, 80, pinned) }));
    models.apply(snapshot(4, { worker(1, 1), worker(2, 1, 80, pinned) }));
    models.apply(snapshot(5, { worker(1, 0), worker(2, 1, 80, pinned) }));
    QCOMPARE(model->samples(1), 4);
    QCOMPARE(model->count(1, 0), 3);
    QCOMPARE(model->count(1, 1), 1);
    QCOMPARE(model->share(1, 0), 0.75);
    QCOMPARE(model->coresUsed(1), 2);
    QCOMPARE(model->topCore(1), 0);
    QVERIFY(!model->pinned(1));
    QCOMPARE(model->summary(1), QStringLiteral("worker 1 ran on 2 cores (75 % on core 0)"));
    QCOMPARE(model->samples(2), 4);
    QCOMPARE(model->share(2, 1), 1.0);
    QCOMPARE(model->coresUsed(2), 1);
    QVERIFY(model->pinned(2));
    QCOMPARE(model->allowedCpus(2), QList<int> { 1 });
    QCOMPARE(model->summary(2), QStringLiteral("worker 2 ran on core 1 only (pinned)"));
    QCOMPARE(model->overview(), QStringLiteral("1 of 2 workers moved between cores"));

    // The table's roles.
    QCOMPARE(model->data(model->index(0, 0)).toString(), QStringLiteral("75 %"));
    QCOMPARE(model->data(model->index(1, 0)).toString(), QString()); // never there
    QCOMPARE(model->data(model->index(0, 1), HeatMapModel::ShareRole).toDouble(), 0.25);
    QCOMPARE(model->data(model->index(0, 1), HeatMapModel::CountRole).toInt(), 1);
    QVERIFY(model->data(model->index(0, 1), HeatMapModel::AllowedRole).toBool()); // unknown set: every core
    QVERIFY(!model->data(model->index(1, 0), HeatMapModel::AllowedRole).toBool()); // pinned elsewhere
    QVERIFY(model->data(model->index(1, 1), HeatMapModel::AllowedRole).toBool());
    QCOMPARE(model->data(model->index(0, 1), Qt::ToolTipRole).toString(),
             QStringLiteral("worker 1 ran on 2 cores (75 % on core 0); core 1: 1 of 4 samples with CPU use"));
    QCOMPARE(model->headerData(1, Qt::Vertical).toString(), QStringLiteral("#2"));
    QCOMPARE(model->headerData(1, Qt::Horizontal).toString(), QStringLiteral("cpu1"));

    // Every worker in one column: said so.
    ClusterModels calm;
    calm.setRunning(true);
    for (std::uint64_t i = 1; i <= 3; ++i)
        calm.apply(snapshot(i, { worker(1, 0, 30, { 0 }), worker(2, 1, 30, { 1 }) }));
    QCOMPARE(calm.heatMap()->overview(), QStringLiteral("2 workers stayed on one core each (pinned)"));
}

void TestHeatMapModel::startsAfreshAndFollowsScaling()
{
    ClusterModels models;
    HeatMapModel* model = models.heatMap();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    models.setRunning(true);
    models.apply(snapshot(1, { worker(1, 0), worker(2, 1), worker(3, 0) }));
    models.apply(snapshot(2, { worker(1, 0), worker(2, 1), worker(3, 1) }));
    QCOMPARE(model->rowCount(), 3);
    QCOMPARE(model->samples(3), 2);
    // Scaled down to 2: slot 3's row goes; scaled up again, slot 3 starts from nothing.
    models.apply(snapshot(3, { worker(1, 0), worker(2, 1) }));
    QCOMPARE(model->rowCount(), 2);
    models.apply(snapshot(4, { worker(1, 0), worker(2, 1), worker(3, 1) }));
    QCOMPARE(model->samples(3), 1);
    QCOMPARE(model->count(3, 0), 0);
    // A respawn keeps the slot's counts (its pid changes, its row does not).
    auto respawned = worker(1, 0);
    respawned.pid = 4242;
    models.apply(snapshot(5, { respawned, worker(2, 1), worker(3, 1) }));
    QCOMPARE(model->samples(1), 5);
    // A new cluster: nothing of the last one; its first snapshot (sequence 1 again) counts.
    models.setRunning(false);
    models.setRunning(true);
    QCOMPARE(model->rowCount(), 0);
    QCOMPARE(model->columnCount(), 0);
    models.apply(snapshot(1, { worker(1, 1) }, 4));
    QCOMPARE(model->rowCount(), 1);
    QCOMPARE(model->columnCount(), 4);
    QCOMPARE(model->samples(1), 1);
    QCOMPARE(model->count(1, 1), 1);
}

void TestHeatMapModel::chartPaintsTheShares()
{
    ClusterModels models;
    models.setRunning(true);
    HeatMapChart chart(models.heatMap());
    chart.resize(420, 260);
    QVERIFY(chart.minimumSizeHint().width() <= 210); // three across at 1024 pixels, as the other charts
    for (std::uint64_t i = 1; i <= 4; ++i)
        models.apply(snapshot(i, { worker(1, i == 4 ? 1 : 0), worker(2, 1, 60, { 1 }) }));
    QCOMPARE(chart.overviewText(), QStringLiteral("1 of 2 workers moved between cores"));
    const QImage image = chart.grab().toImage();
    // Each cell in its place, tinted by its share: full for slot 2 on core 1, none on core 0.
    const QRect full = chart.cellRect(2, 1);
    const QRect none = chart.cellRect(2, 0);
    const QRect most = chart.cellRect(1, 0);
    QVERIFY(!full.isEmpty() && !none.isEmpty());
    QVERIFY(full.width() >= 40 && full.height() >= 15);
    QCOMPARE(full.top(), most.bottom() + 1); // rows one under the other
    QCOMPARE(none.right() + 1, full.left()); // columns side by side
    QVERIFY(QRect(QPoint(0, 0), chart.size()).contains(full));
    // Inside the cell, clear of its outline and of its centred text.
    const auto pixel = [&](const QRect& cell) { return image.pixelColor(cell.left() + 6, cell.top() + 5); };
    QCOMPARE(pixel(full), heatColor(chart.palette(), 1.0));
    QCOMPARE(pixel(most), heatColor(chart.palette(), 0.75));
    QVERIFY(pixel(full) != pixel(most));
    // Not allowed there: hatched, so some of its pixels are not the empty cell's colour.
    bool hatched = false;
    for (int x = none.left() + 2; x < none.right() - 1; ++x)
        for (int y = none.top() + 2; y < none.bottom() - 1; ++y)
            hatched = hatched || image.pixelColor(x, y) != heatColor(chart.palette(), 0.0);
    QVERIFY(hatched);
    QCOMPARE(pixel(chart.cellRect(1, 1)), heatColor(chart.palette(), 0.25));
    // The cell's tooltip tells its worker's story; the row label its summary.
    QCOMPARE(chart.toolTipAt(full.center()),
             QStringLiteral("worker 2 ran on core 1 only (pinned); core 1: 4 of 4 samples with CPU use"));
    QCOMPARE(chart.toolTipAt(QPoint(12, most.center().y())), QStringLiteral("worker 1 ran on 2 cores (75 % on core 0)"));
    // Small, as at 1024x700 in three columns: still every cell.
    chart.resize(HeatMapChart::kMinimumSize);
    QVERIFY(chart.cellRect(2, 1).width() >= 20);
    QVERIFY(QRect(QPoint(0, 0), chart.size()).contains(chart.cellRect(2, 1)));
}

void TestHeatMapModel::pinnedWorkersStayInOneColumnUnderLoad()
{
    const auto allowed = cs::allowedCpus();
    QVERIFY2(allowed.size() >= 2, "this test needs at least 2 CPUs");
    auto config = clusterConfig(2);
    config.pin = true;
    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    ClusterModels models;
    models.setRunning(true);
    HeatMapModel* model = models.heatMap();
    QVERIFY(cs::test::waitFor([&] { return cluster.snapshot()->port != 0; }, 10s));
    const Load load(cluster.snapshot()->port, 4);
    constexpr int kSamples = 10;
    QVERIFY2(feedUntil(cluster, models, [&] { return model->samples(1) >= kSamples && model->samples(2) >= kSamples; }),
             qPrintable(QStringLiteral("samples: %1, %2").arg(model->samples(1)).arg(model->samples(2))));
    for (int slot = 1; slot <= 2; ++slot) {
        const int core = allowed[std::size_t(slot - 1)];
        QVERIFY2(model->pinned(slot), qPrintable(model->summary(slot)));
        QCOMPARE(model->allowedCpus(slot), QList<int> { core });
        QCOMPARE(model->share(slot, core), 1.0);
        QCOMPARE(model->coresUsed(slot), 1);
        QCOMPARE(model->summary(slot), QStringLiteral("worker %1 ran on core %2 only (pinned)").arg(slot).arg(core));
    }
    QCOMPARE(model->overview(), QStringLiteral("2 workers stayed on one core each (pinned)"));
}

// The kernel moving a worker is not on call, so the test moves one itself, as the scheduler
// would: the heat map must show it in both columns, from /proc alone.
void TestHeatMapModel::aWorkerMovedBetweenCpusShowsInTwoColumns()
{
    const auto allowed = cs::allowedCpus();
    QVERIFY2(allowed.size() >= 2, "this test needs at least 2 CPUs");
    cs::Cluster cluster;
    const auto started = cluster.start(clusterConfig(1));
    QVERIFY2(started.ok, started.error.c_str());
    ClusterModels models;
    models.setRunning(true);
    HeatMapModel* model = models.heatMap();
    QVERIFY(cs::test::waitFor([&] { return cluster.snapshot()->port != 0 && !cluster.snapshot()->workers.empty()
                                           && cluster.snapshot()->workers[0].pid > 0; },
                              10s));
    const int pid = cluster.snapshot()->workers[0].pid;
    const Load load(cluster.snapshot()->port, 2);
    const auto moveTo = [pid](int cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return ::sched_setaffinity(pid, sizeof(set), &set) == 0;
    };
    const int first = allowed[0], second = allowed[1];
    QVERIFY(moveTo(first));
    QVERIFY2(feedUntil(cluster, models, [&] { return model->count(1, first) >= 3; }), qPrintable(model->summary(1)));
    QVERIFY(moveTo(second));
    QVERIFY2(feedUntil(cluster, models, [&] { return model->count(1, second) >= 3; }), qPrintable(model->summary(1)));
    QVERIFY(model->coresUsed(1) >= 2);
    QVERIFY2(model->summary(1).startsWith(QStringLiteral("worker 1 ran on 2 cores (")), qPrintable(model->summary(1)));
    QCOMPARE(model->overview(), QStringLiteral("1 of 1 worker moved between cores"));
}

QTEST_MAIN(TestHeatMapModel)
#include "tst_heatmapmodel.moc"
