#include "lab/runsummary.h"

#include <algorithm>
#include <vector>

#include <QList>
#include <QTest>

using namespace cs;

namespace {

Snapshot snapshot(double at, QList<std::uint64_t> requests, double masterCpu = 0, QList<double> cores = {})
{
    Snapshot s;
    s.clusterUptimeSeconds = at;
    s.masterCpuPercent = masterCpu;
    int slot = 1;
    for (std::uint64_t n : requests) {
        WorkerSample w;
        w.slot = slot++;
        w.requests = n;
        s.workers.push_back(w);
    }
    int index = 0;
    for (double busy : cores)
        s.cores.push_back({ index++, busy });
    return s;
}

Event makeEvent(EventKind kind, int slot = 1, ExitReason reason = ExitReason::None, int delayMs = 0)
{
    Event e;
    e.kind = kind;
    e.slot = slot;
    e.reason = reason;
    e.delayMs = delayMs;
    return e;
}

} // namespace

class TestRunSummary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fromSnapshots_data();
    void fromSnapshots();
    void loadSummaryWins();
    void noSnapshotsNoLoad();
    void events();
    void connections();
    void cores_data();
    void cores();
};

void TestRunSummary::fromSnapshots_data()
{
    QTest::addColumn<QList<std::uint64_t>>("first");
    QTest::addColumn<QList<std::uint64_t>>("last");
    QTest::addColumn<QList<double>>("shares");
    QTest::addColumn<double>("jain"); // -1: none
    QTest::addColumn<double>("rps");
    // The counts start from the first snapshot: what was served before the run is not the run's.
    QTest::newRow("even") << QList<std::uint64_t> { 100, 100 } << QList<std::uint64_t> { 300, 300 }
                          << QList<double> { 0.5, 0.5 } << 1.0 << 100.0;
    QTest::newRow("one takes all") << QList<std::uint64_t> { 0, 0 } << QList<std::uint64_t> { 400, 0 }
                                   << QList<double> { 1.0, 0.0 } << 0.5 << 100.0;
    QTest::newRow("3 to 1") << QList<std::uint64_t> { 10, 10 } << QList<std::uint64_t> { 310, 110 }
                            << QList<double> { 0.75, 0.25 } << 16.0 / 20.0 << 100.0;
    QTest::newRow("zero requests") << QList<std::uint64_t> { 5, 5 } << QList<std::uint64_t> { 5, 5 }
                                   << QList<double> { 0.0, 0.0 } << -1.0 << 0.0;
    // A slot that appeared during the run (scaled up) counts from 0.
    QTest::newRow("slot added") << QList<std::uint64_t> { 200 } << QList<std::uint64_t> { 400, 200 }
                                << QList<double> { 0.5, 0.5 } << 1.0 << 100.0;
}

void TestRunSummary::fromSnapshots()
{
    QFETCH(QList<std::uint64_t>, first);
    QFETCH(QList<std::uint64_t>, last);
    QFETCH(QList<double>, shares);
    QFETCH(double, jain);
    QFETCH(double, rps);
    const std::vector<Snapshot> snaps { snapshot(10, first, 0, { 0, 0 }), snapshot(12, {}, 40, { 50, 70 }),
                                        snapshot(14, last, 60, { 90, 30 }) };
    const lab::RunSummary s = lab::summarizeRun(snaps, {}, std::nullopt);
    QCOMPARE(s.seconds, 4.0);
    QCOMPARE(int(s.slots.size()), int(shares.size()));
    for (int i = 0; i < shares.size(); ++i) {
        QCOMPARE(s.slots[std::size_t(i)].slot, i + 1);
        QCOMPARE(s.slots[std::size_t(i)].share, shares[i]);
    }
    QCOMPARE(s.jain.has_value(), jain >= 0);
    if (jain >= 0)
        QCOMPARE(*s.jain, jain);
    QCOMPARE(s.requestsPerSecond, rps);
    QCOMPARE(s.loadMeasured, false);
    // Means over the samples after the baseline.
    QCOMPARE(s.masterCpuPercent, 50.0);
    QCOMPARE(int(s.coreBusyPercent.size()), 2);
    QCOMPARE(s.coreBusyPercent[0], 70.0);
    QCOMPARE(s.coreBusyPercent[1], 50.0);
}

void TestRunSummary::loadSummaryWins()
{
    const std::vector<Snapshot> snaps { snapshot(0, { 0, 0 }), snapshot(5, { 10, 10 }) };
    LoadSummary load;
    load.elapsedSeconds = 4;
    load.completed = 400;
    load.errors = 3;
    load.non2xx = 2;
    load.requestsPerSecond = 100;
    load.p50Ms = 1.5;
    load.p99Ms = 9;
    load.perWorker = { { "1", 300 }, { "2", 100 } };
    const lab::RunSummary s = lab::summarizeRun(snaps, {}, load);
    QVERIFY(s.loadMeasured);
    QCOMPARE(s.failed, std::uint64_t(5));
    QCOMPARE(s.requests, std::uint64_t(400));
    QCOMPARE(s.maxShare, 0.75);
    QCOMPARE(s.requestsPerSecond, 100.0);
    QCOMPARE(s.p50Ms, 1.5);
    QCOMPARE(s.p99Ms, 9.0);
    QCOMPARE(s.seconds, 4.0);
    // A worker of the cluster that got nothing counts in the index.
    load.perWorker = { { "1", 400 } };
    const lab::RunSummary one = lab::summarizeRun(snaps, {}, load);
    QCOMPARE(one.workers, 2);
    QCOMPARE(*one.jain, 0.5);
}

void TestRunSummary::noSnapshotsNoLoad()
{
    const lab::RunSummary s = lab::summarizeRun({}, {}, std::nullopt);
    QCOMPARE(s.requests, std::uint64_t(0));
    QVERIFY(!s.jain);
    QCOMPARE(s.requestsPerSecond, 0.0);
    QCOMPARE(s.masterCpuPercent, 0.0);
}

void TestRunSummary::events()
{
    const std::vector<Event> events {
        makeEvent(EventKind::Exit, 1, ExitReason::Crash), makeEvent(EventKind::Restart, 1, ExitReason::None, 0),
        makeEvent(EventKind::Fork), makeEvent(EventKind::Online),
        makeEvent(EventKind::Exit, 1, ExitReason::Crash), makeEvent(EventKind::Restart, 1, ExitReason::None, 100),
        makeEvent(EventKind::Exit, 1, ExitReason::Stopped), // asked for: not a crash
        makeEvent(EventKind::Failed), makeEvent(EventKind::Reset), makeEvent(EventKind::Fork), makeEvent(EventKind::Online),
    };
    const lab::RunSummary s = lab::summarizeRun({}, events, std::nullopt);
    QCOMPARE(s.crashes, 2);
    QCOMPARE(s.forks, 2);
    QCOMPARE(s.failedSlots, 1);
    QCOMPARE(s.resets, 1);
    QCOMPARE(s.onlineAfterReset, 1);
    QCOMPARE(s.backoffMs, (std::vector<int> { 0, 100 }));
}

void TestRunSummary::connections()
{
    // Counted from the baseline: 2 before the run, then 3 more on slot 1 and 1 on slot 2.
    Snapshot first = snapshot(0, { 0, 0 });
    first.workers[0].connectionsAccepted = 2;
    Snapshot last = snapshot(4, { 300, 100 });
    last.workers[0].connectionsAccepted = 5;
    last.workers[1].connectionsAccepted = 1;
    const std::vector<Snapshot> snaps { first, last };
    const lab::RunSummary s = lab::summarizeRun(snaps, {}, std::nullopt);
    QCOMPARE(s.connections, std::uint64_t(4));
    QCOMPARE(s.slots[0].connections, std::uint64_t(3));
    QCOMPARE(s.slots[1].connections, std::uint64_t(1));
    QCOMPARE(s.maxConnectionShare, 0.75);
}

void TestRunSummary::cores_data()
{
    // Per slot ("|" between slots), one character per sample after the baseline: a digit is
    // the core it was on while using 50 % CPU; "." a sample in which it was idle (0.5 %, on
    // core 0); "-" a busy sample whose core is unknown.
    QTest::addColumn<QString>("samples");
    QTest::addColumn<QString>("counts"); // per slot, the samples on each core
    QTest::addColumn<QList<int>>("coresSeen");
    QTest::newRow("pinned") << QStringLiteral("0000|1111") << QStringLiteral("4|0,4") << QList<int> { 1, 1 };
    QTest::newRow("migrating") << QStringLiteral("0011|1101") << QStringLiteral("2,2|1,3") << QList<int> { 2, 2 };
    QTest::newRow("idle samples left out") << QStringLiteral("0..1|1...") << QStringLiteral("1,1|0,1") << QList<int> { 2, 1 };
    QTest::newRow("never busy") << QStringLiteral("....|0000") << QStringLiteral("|4") << QList<int> { 0, 1 };
    QTest::newRow("core unknown") << QStringLiteral("--0-|--") << QStringLiteral("1|") << QList<int> { 1, 0 };
    QTest::newRow("four cores") << QStringLiteral("0123|3333") << QStringLiteral("1,1,1,1|0,0,0,4") << QList<int> { 4, 1 };
}

void TestRunSummary::cores()
{
    QFETCH(QString, samples);
    QFETCH(QString, counts);
    QFETCH(QList<int>, coresSeen);
    const QStringList perSlot = samples.split(QLatin1Char('|'));
    // The baseline: slot 1 busy on core 3, which is of the interval before the run.
    std::vector<Snapshot> snaps { snapshot(0, QList<std::uint64_t>(perSlot.size(), 0)) };
    snaps[0].workers[0].core = 3;
    snaps[0].workers[0].cpuPercent = 90;
    qsizetype longest = 0;
    for (const QString& slot : perSlot)
        longest = std::max(longest, slot.size());
    for (qsizetype i = 0; i < longest; ++i) {
        Snapshot snap = snapshot(double(i + 1), QList<std::uint64_t>(perSlot.size(), 0));
        for (qsizetype slot = 0; slot < perSlot.size(); ++slot) {
            WorkerSample& w = snap.workers[std::size_t(slot)];
            const QChar c = i < perSlot[slot].size() ? perSlot[slot][i] : QLatin1Char('.');
            w.core = c == QLatin1Char('-') ? -1 : c == QLatin1Char('.') ? 0 : c.digitValue();
            w.cpuPercent = c == QLatin1Char('.') ? 0.5 : 50;
        }
        snaps.push_back(snap);
    }
    const lab::RunSummary s = lab::summarizeRun(snaps, {}, std::nullopt);
    QCOMPARE(int(s.slots.size()), int(perSlot.size()));
    QStringList got;
    for (const lab::SlotFigures& f : s.slots) {
        QStringList n;
        for (int c : f.coreSamples)
            n << QString::number(c);
        got << n.join(QLatin1Char(','));
    }
    QCOMPARE(got.join(QLatin1Char('|')), counts);
    for (int i = 0; i < coresSeen.size(); ++i)
        QCOMPARE(s.slots[std::size_t(i)].coresSeen, coresSeen[i]);
}

QTEST_APPLESS_MAIN(TestRunSummary)
#include "tst_runsummary.moc"
