// The window's one picture of the cluster: what the table, charts, banner, status bar and
// controls read comes from the snapshots and events applied here, and nothing stale
// survives a stop or a new cluster.
#include "models/clustermodels.h"

#include "models/eventtimelinemodel.h"
#include "models/logmodel.h"
#include "models/sharemodel.h"
#include "models/timeseriesmodel.h"
#include "models/workertablemodel.h"

#include <cmath>

#include <QSignalSpy>
#include <QtTest>

using namespace cs;
using namespace cs::ui;

namespace {

WorkerSample worker(int slot, WorkerState state, std::uint64_t requests = 0, double rate = 0)
{
    WorkerSample w;
    w.slot = slot;
    w.pid = state == WorkerState::Online ? 1000 + slot : 0;
    w.state = state;
    w.requests = requests;
    w.requestsPerSecond = rate;
    return w;
}

std::shared_ptr<const Snapshot> snapshot(double time, std::vector<WorkerSample> workers)
{
    auto s = std::make_shared<Snapshot>();
    s->running = true;
    s->clusterUptimeSeconds = time;
    s->bindAddress = "127.0.0.1";
    s->port = 41234;
    s->policy = Policy::Shared;
    s->workers = std::move(workers);
    s->cores = { CoreSample { 0, 40 }, CoreSample { 1, 60 } };
    for (const WorkerSample& w : s->workers) {
        s->totalRequests += w.requests;
        s->totalRequestsPerSecond += w.requestsPerSecond;
    }
    return s;
}

Event makeEvent(EventKind kind, double time, int slot)
{
    Event e;
    e.kind = kind;
    e.time = time;
    e.slot = slot;
    return e;
}

} // namespace

class TestClusterModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The banner's failed slots are the snapshot's Failed slots now: they go when the slot is
    // reset, and when the cluster stops (a stopped cluster has nothing to reset), also if a
    // last snapshot of the old cluster arrives after the stop.
    void failedSlotsFollowTheSnapshot()
    {
        ClusterModels models;
        QSignalSpy failed(&models, &ClusterModels::failedSlotsChanged);
        models.setRunning(true);
        models.apply(snapshot(1, { worker(1, WorkerState::Online), worker(2, WorkerState::Failed) }));
        QCOMPARE(models.failedSlots(), QList<int> { 2 });
        QCOMPARE(failed.size(), 1);
        models.apply(snapshot(2, { worker(1, WorkerState::Online), worker(2, WorkerState::Failed) }));
        QCOMPARE(failed.size(), 1); // no news, no signal
        models.apply(snapshot(3, { worker(1, WorkerState::Online), worker(2, WorkerState::Online) }));
        QVERIFY(models.failedSlots().isEmpty());
        QCOMPARE(failed.size(), 2);

        models.apply(snapshot(4, { worker(1, WorkerState::Failed), worker(2, WorkerState::Failed) }));
        QCOMPARE(models.failedSlots(), (QList<int> { 1, 2 }));
        QCOMPARE(models.actions().phase, ClusterPhase::AllFailed);
        QVERIFY(!models.actions().runLoad);
        models.setRunning(false);
        QVERIFY(models.failedSlots().isEmpty());
        models.apply(snapshot(5, { worker(1, WorkerState::Failed), worker(2, WorkerState::Failed) }));
        QVERIFY(models.failedSlots().isEmpty());
        QCOMPARE(models.actions().phase, ClusterPhase::Stopped);
        QVERIFY(models.actions().start);
        QVERIFY(!models.actions().stop);
    }

    // Every control's state comes from the one map, and changes are signalled once.
    void actionsFollowTheState()
    {
        ClusterModels models;
        QSignalSpy actions(&models, &ClusterModels::actionsChanged);
        QCOMPARE(models.actions().phase, ClusterPhase::Stopped);
        models.setRunning(true);
        QCOMPARE(models.actions().phase, ClusterPhase::Starting);
        QVERIFY(!models.actions().runLoad);
        models.apply(snapshot(1, { worker(1, WorkerState::Online) }));
        QCOMPARE(models.actions().phase, ClusterPhase::Serving);
        QVERIFY(models.actions().runLoad);
        QVERIFY(!models.actions().removeWorker); // never below one worker
        const qsizetype before = actions.size();
        models.apply(snapshot(2, { worker(1, WorkerState::Online) }));
        QCOMPARE(actions.size(), before);
        models.apply(snapshot(3, { worker(1, WorkerState::Online), worker(2, WorkerState::Online) }));
        QVERIFY(models.actions().removeWorker);
        QCOMPARE(actions.size(), before + 1);
    }

    // Series i is slot i + 1 whatever slots the snapshot lists; a slot without a process is a
    // gap in its line. Latency: no request is a gap, a measured 0 stays 0 (under 1 µs).
    void seriesAreBuiltFromTheSnapshot()
    {
        ClusterModels models;
        models.setRunning(true);
        auto s = snapshot(1, { worker(1, WorkerState::Online, 10, 100), worker(3, WorkerState::Online, 5, 50) });
        models.apply(s);
        QCOMPARE(models.rateSeries()->seriesCount(), 3);
        QCOMPARE(models.rateSeries()->seriesName(1), QStringLiteral("#2"));
        QCOMPARE(models.rateSeries()->points(0).back().y(), 100.0);
        QVERIFY(models.rateSeries()->points(1).isEmpty()); // a gap: no point
        QCOMPARE(models.rateSeries()->points(2).back().y(), 50.0);
        QCOMPARE(models.coreSeries()->seriesName(1), QStringLiteral("cpu1"));
        QCOMPARE(models.coreSeries()->points(1).back().y(), 60.0);
        QCOMPARE(models.slotCount(), 3);
        QCOMPARE(models.timeline()->slotCount(), 3);
        QVERIFY(models.latencySeries()->points(0).isEmpty());

        auto measured = std::make_shared<Snapshot>(*s);
        measured->clusterUptimeSeconds = 2;
        measured->latency.record(0);
        measured->latencyP50Ms = 0;
        measured->latencyP99Ms = 0.004;
        models.apply(std::shared_ptr<const Snapshot>(measured));
        QCOMPARE(models.latencySeries()->points(0).back().y(), 0.0);
        QCOMPARE(models.latencySeries()->points(1).back().y(), 0.004);
    }

    // The status bar's words: nothing live before a snapshot, the snapshot's numbers after,
    // fairness "–" until a request, and back to "not running" after the stop.
    void statusSaysWhatTheSnapshotSays()
    {
        ClusterModels models;
        QCOMPARE(models.status().workers, QStringLiteral("no workers"));
        QVERIFY(models.status().address.isEmpty());
        models.setRunning(true);
        models.apply(snapshot(65, { worker(1, WorkerState::Online), worker(2, WorkerState::Starting) }));
        QCOMPARE(models.status().workers, QStringLiteral("1/2 online"));
        QCOMPARE(models.status().policy, QStringLiteral("shared"));
        QCOMPARE(models.status().address, QStringLiteral("127.0.0.1:41234"));
        QVERIFY2(models.status().fairness.contains(QStringLiteral("–")), qPrintable(models.status().fairness));
        models.apply(snapshot(66, { worker(1, WorkerState::Online, 100, 100), worker(2, WorkerState::Online, 0, 0) }));
        QVERIFY2(models.status().fairness.startsWith(QStringLiteral("fairness 0.50")), qPrintable(models.status().fairness));
        QCOMPARE(models.status().rate, QStringLiteral("100 req/s"));
        QSignalSpy status(&models, &ClusterModels::statusChanged);
        models.setRunning(false);
        QCOMPARE(status.size(), 1);
        QCOMPARE(models.status().uptime, QStringLiteral("not running"));
        QVERIFY(models.status().policy.isEmpty());
    }

    // A new cluster starts from nothing: no lines, markers, counts or slots of the last one.
    void aNewClusterStartsAfresh()
    {
        ClusterModels models;
        models.setRunning(true);
        models.apply(snapshot(1, { worker(1, WorkerState::Online, 10), worker(2, WorkerState::Online, 10),
                                   worker(3, WorkerState::Online, 10) }));
        models.apply(QList<Event> { makeEvent(EventKind::Exit, 1, 2), makeEvent(EventKind::Restart, 1, 2) });
        QVERIFY(models.timeline()->rowCount() > 0);
        models.setRunning(false);
        models.setRunning(true);
        QVERIFY(models.snapshot() == nullptr);
        QCOMPARE(models.rateSeries()->seriesCount(), 0);
        QCOMPARE(models.latencySeries()->points(0).size(), 0);
        QCOMPARE(models.timeline()->rowCount(), 0);
        QCOMPARE(models.slotCount(), 0);
        QVERIFY(!models.share()->requestFairness());
    }

    // Events reach the log and the timeline; a Scaled event tells the launcher the new count.
    void eventsReachTheLogTheTimelineAndTheLauncher()
    {
        ClusterModels models;
        QSignalSpy scaled(&models, &ClusterModels::workerCountScaled);
        models.setRunning(true);
        Event s = makeEvent(EventKind::Scaled, 2, 0);
        s.workers = 3;
        s.message = "scaled to 3 workers";
        models.apply(QList<Event> { makeEvent(EventKind::Exit, 1, 1), s });
        QCOMPARE(scaled.size(), 1);
        QCOMPARE(scaled.front().front().toInt(), 3);
        QVERIFY(models.log()->rowCount() >= 1);
    }

    // A program of the user's own counts no requests: said once when it changes.
    void requestMetricsKnownIsSignalledOnChange()
    {
        ClusterModels models;
        QSignalSpy known(&models, &ClusterModels::requestMetricsKnownChanged);
        models.setRunning(true);
        auto s = std::make_shared<Snapshot>(*snapshot(1, { worker(1, WorkerState::Online) }));
        s->requestMetrics = false;
        models.apply(std::shared_ptr<const Snapshot>(s));
        models.apply(std::shared_ptr<const Snapshot>(s));
        QCOMPARE(known.size(), 1);
        QVERIFY(!models.requestMetricsKnown());
        QCOMPARE(models.status().rate, QStringLiteral("– req/s"));
    }
};

QTEST_MAIN(TestClusterModels)
#include "tst_clustermodels.moc"
