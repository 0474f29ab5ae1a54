// SnapshotBuilder's fairness: Jain's index over every slot of the cluster, a slot that
// served nothing counting as 0, and no index at all before the first request. And the
// latency histograms' exact sums, carried across a respawn and into the interval window.
#include "master/snapshotbuilder.h"

#include <algorithm>

#include <QList>
#include <QTest>

using namespace cs;

namespace {

/// One online slot per entry, its current process having served that many requests;
/// a negative entry is a slot with no process at all (stopped, backing off).
Snapshot build(const QList<int>& requests, bool requestMetrics = true)
{
    SnapshotBuilder builder(100, 4096);
    ClusterReading cluster;
    cluster.elapsedSeconds = 1;
    cluster.requestMetrics = requestMetrics;
    std::vector<SlotReading> slots;
    std::vector<ProcessReading> processes;
    for (int i = 0; i < requests.size(); ++i) {
        const int slot = i + 1;
        slots.push_back({ slot, requests[i] < 0 ? WorkerState::Stopped : WorkerState::Online, 0 });
        if (requests[i] < 0)
            continue;
        ProcessReading process;
        process.process = std::uint64_t(slot);
        process.slot = slot;
        process.current = true;
        process.pid = 1000 + slot;
        process.telemetry.requests = std::uint64_t(requests[i]);
        process.telemetry.connectionsAccepted = std::uint32_t(requests[i] > 0 ? 1 : 0);
        processes.push_back(process);
    }
    return builder.build(cluster, slots, processes);
}

} // namespace

class TestSnapshotBuilder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fairnessOverEverySlot_data();
    void fairnessOverEverySlot();
    void noFairnessForProgramsWithoutRequestCounts();
    void latencySumSurvivesRespawns();
    void eachSlotSumsItsOwnProcessesInAnyOrder();
};

// The builder finds a slot's processes by a search over them sorted by slot (not a scan of
// every process per slot): each slot must still get exactly its own, also two at once (the
// old and the new process during a rolling restart), whatever order they come in.
void TestSnapshotBuilder::eachSlotSumsItsOwnProcessesInAnyOrder()
{
    constexpr int kSlots = 300;
    SnapshotBuilder builder(100, 4096);
    ClusterReading cluster;
    cluster.elapsedSeconds = 1;
    std::vector<SlotReading> slots;
    std::vector<ProcessReading> processes;
    for (int slot = 1; slot <= kSlots; ++slot) {
        if (slot % 7 != 0) // every seventh slot has no process (backing off)
            slots.push_back({ slot, WorkerState::Online, 0 });
        else
            slots.push_back({ slot, WorkerState::BackingOff, 1 });
        const int count = slot % 7 == 0 ? 0 : slot % 5 == 0 ? 2 : 1;
        for (int k = 0; k < count; ++k) {
            ProcessReading r;
            r.process = std::uint64_t(slot * 10 + k);
            r.slot = slot;
            r.current = k == count - 1;
            r.pid = 100000 + slot * 10 + k;
            r.telemetry.requests = std::uint64_t(slot * 1000 + k);
            r.telemetry.openConnections = std::uint32_t(k + 1);
            processes.push_back(r);
        }
    }
    // Reversed and interleaved: by process id descending, then every other one moved back.
    std::reverse(processes.begin(), processes.end());
    std::stable_partition(processes.begin(), processes.end(), [](const ProcessReading& r) { return r.pid % 2 == 0; });
    const auto snapshot = builder.build(cluster, slots, processes);
    QCOMPARE(int(snapshot.workers.size()), kSlots);
    for (const auto& w : snapshot.workers) {
        const int count = w.slot % 7 == 0 ? 0 : w.slot % 5 == 0 ? 2 : 1;
        std::uint64_t requests = 0;
        std::uint32_t open = 0;
        for (int k = 0; k < count; ++k) {
            requests += std::uint64_t(w.slot * 1000 + k);
            open += std::uint32_t(k + 1);
        }
        QCOMPARE(w.requests, requests);
        QCOMPARE(w.openConnections, open);
        QCOMPARE(w.pid, count ? 100000 + w.slot * 10 + count - 1 : 0);
    }
}

void TestSnapshotBuilder::latencySumSurvivesRespawns()
{
    SnapshotBuilder builder(100, 4096);
    ClusterReading cluster;
    cluster.elapsedSeconds = 1;
    const std::vector<SlotReading> slots { { 1, WorkerState::Online, 0 } };
    auto reading = [](std::uint64_t process, std::uint64_t count, DurationSum sum) {
        ProcessReading r;
        r.process = process;
        r.slot = 1;
        r.current = true;
        r.pid = int(1000 + process);
        r.telemetry.requests = count;
        r.telemetry.latency[LatencyHistogram::bucketFor(1000)] = count;
        r.telemetry.latencySum = sum;
        return r;
    };
    // The first process: 3 requests in 2.9 s, then 5 in 4.000000007 s.
    builder.build(cluster, slots, { reading(1, 3, { 2, 900'000'000 }) });
    auto snapshot = builder.build(cluster, slots, { reading(1, 5, { 4, 7 }) });
    QVERIFY(snapshot.workers[0].latencyTotal.sum() == (DurationSum { 4, 7 }));
    QVERIFY(snapshot.latency.sum() == (DurationSum { 1, 100'000'007 })); // the window: 2 requests, 1.1 s
    QCOMPARE(snapshot.latency.total(), quint64(2));

    // It ends; its respawn counts from zero and has served 1 request in 0.5 s.
    ipc::Telemetry last = reading(1, 5, { 4, 7 }).telemetry;
    builder.processEnded(1, 1, last, 0);
    snapshot = builder.build(cluster, slots, { reading(2, 1, { 0, 500'000'000 }) });
    QVERIFY(snapshot.workers[0].latencyTotal.sum() == (DurationSum { 4, 500'000'007 }));
    QCOMPARE(snapshot.workers[0].latencyTotal.total(), quint64(6));
    QVERIFY(snapshot.latency.sum() == (DurationSum { 0, 500'000'000 }));
}

void TestSnapshotBuilder::fairnessOverEverySlot_data()
{
    QTest::addColumn<QList<int>>("requests");
    QTest::addColumn<bool>("defined");
    QTest::addColumn<double>("expected");
    QTest::newRow("no slots") << QList<int> {} << false << 0.0;
    QTest::newRow("no request yet") << QList<int> { 0, 0 } << false << 0.0;
    QTest::newRow("even split") << QList<int> { 50, 50 } << true << 1.0;
    QTest::newRow("100/0 of 2") << QList<int> { 100, 0 } << true << 0.5;
    QTest::newRow("one of 4 takes all") << QList<int> { 0, 0, 7, 0 } << true << 0.25;
    QTest::newRow("a slot with no process counts") << QList<int> { 100, -1 } << true << 0.5;
}

void TestSnapshotBuilder::fairnessOverEverySlot()
{
    QFETCH(QList<int>, requests);
    QFETCH(bool, defined);
    QFETCH(double, expected);
    const Snapshot snapshot = build(requests);
    QCOMPARE(snapshot.workers.size(), std::size_t(requests.size()));
    QCOMPARE(snapshot.fairness.has_value(), defined);
    if (defined)
        QCOMPARE(*snapshot.fairness, expected);
    // One connection per slot that served anything: the same shape over connections.
    QCOMPARE(snapshot.connectionFairness.has_value(), defined);
    if (defined)
        QCOMPARE(*snapshot.connectionFairness, expected);
}

void TestSnapshotBuilder::noFairnessForProgramsWithoutRequestCounts()
{
    // A program of the user's reports no requests: unknown, not zero and not "fair".
    const Snapshot snapshot = build({ 0, 0 }, false);
    QVERIFY(!snapshot.fairness);
}

QTEST_APPLESS_MAIN(TestSnapshotBuilder)
#include "tst_snapshotbuilder.moc"
