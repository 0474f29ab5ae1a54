#include "lab/lesson.h"

#include <set>
#include <vector>

#include <QList>
#include <QTest>

using namespace cs;
using namespace cs::lab;

namespace {

// A run's figures through the same arithmetic a real run goes through: per-slot counts in,
// shares and Jain's index out.
RunSummary run(QList<std::uint64_t> perSlot, double rps = 1000, double masterCpu = 0, std::uint64_t failed = 0,
               double p99 = 1, QList<std::uint64_t> connections = {})
{
    LoadSummary load;
    load.elapsedSeconds = 4;
    load.requestsPerSecond = rps;
    load.errors = failed;
    load.p99Ms = p99;
    int slot = 1;
    for (std::uint64_t n : perSlot)
        load.perWorker[std::to_string(slot++)] = n;
    Snapshot s;
    s.masterCpuPercent = masterCpu;
    for (int i = 1; i <= perSlot.size(); ++i)
        s.workers.push_back(WorkerSample { .slot = i });
    Snapshot last = s;
    for (int i = 0; i < connections.size() && i < perSlot.size(); ++i)
        last.workers[std::size_t(i)].connectionsAccepted = connections[i];
    const std::vector<Snapshot> snaps { s, last };
    return summarizeRun(snaps, {}, load);
}

// A CPU-bound run whose workers were seen on cores: per slot ("|" between slots), one
// character per sample after the baseline, a digit for the core it worked on, "." for a
// sample in which it was idle.
RunSummary coreRun(const QString& samples, bool served = true)
{
    const QStringList perSlot = samples.split(QLatin1Char('|'));
    LoadSummary load;
    load.elapsedSeconds = 4;
    load.requestsPerSecond = served ? 300 : 0;
    for (qsizetype slot = 0; slot < perSlot.size(); ++slot)
        load.perWorker[std::to_string(slot + 1)] = served ? 600 : 0;
    Snapshot base;
    for (qsizetype slot = 0; slot < perSlot.size(); ++slot)
        base.workers.push_back(WorkerSample { .slot = int(slot) + 1 });
    std::vector<Snapshot> snaps { base };
    for (qsizetype i = 0; i < perSlot[0].size(); ++i) {
        Snapshot snap = base;
        for (qsizetype slot = 0; slot < perSlot.size(); ++slot) {
            const QChar c = i < perSlot[slot].size() ? perSlot[slot][i] : QLatin1Char('.');
            snap.workers[std::size_t(slot)].core = c == QLatin1Char('.') ? 0 : c.digitValue();
            snap.workers[std::size_t(slot)].cpuPercent = c == QLatin1Char('.') ? 0 : 90;
        }
        snaps.push_back(snap);
    }
    return summarizeRun(snaps, {}, load);
}

} // namespace

class TestLesson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void catalogue();
    void keepAlive_data();
    void keepAlive();
    void acceptCeiling_data();
    void acceptCeiling();
    void reuseportFew_data();
    void reuseportFew();
    void cpuBound_data();
    void cpuBound();
    void crashLoop_data();
    void crashLoop();
    void rollingRestart_data();
    void rollingRestart();
    void pinning_data();
    void pinning();
    void unfinished();
};

void TestLesson::catalogue()
{
    const auto all = lessons(2);
    QVERIFY(all.size() >= 6);
    std::set<std::string> ids;
    for (const Lesson& lesson : all) {
        QVERIFY(ids.insert(lesson.id).second);
        QVERIFY(!lesson.steps.empty());
        QVERIFY(!lesson.chart.empty());
        QVERIFY(findLesson(lesson.id, 2).has_value());
    }
    // Sized by the cores: the CPU lesson runs one worker per core, then twice as many.
    const auto cpu = findLesson("cpu-bound", 3);
    QCOMPARE(cpu->steps[0].workers, 3);
    QCOMPARE(cpu->steps[1].workers, 6);
    // The pinning lesson: one worker per core, CPU-bound, unpinned then pinned.
    const auto pin = findLesson("pinning", 2);
    QVERIFY(pin.has_value());
    QCOMPARE(int(pin->steps.size()), 2);
    QCOMPARE(pin->steps[0].pin, false);
    QCOMPARE(pin->steps[1].pin, true);
    QCOMPARE(pin->steps[0].workers, 2);
    QCOMPARE(pin->steps[1].workers, 2);
    QCOMPARE(pin->steps[1].load.path, std::string("/cpu?ms=5"));
    QVERIFY(pin->steps[1].load.keepAlive);
    QVERIFY(QByteArray::fromStdString(pin->chart).contains("Worker × core"));
    // Only the pinning lesson pins.
    for (const Lesson& lesson : all)
        for (const LessonStep& step : lesson.steps)
            QVERIFY(!step.pin || lesson.id == "pinning");
}

void TestLesson::keepAlive_data()
{
    QTest::addColumn<QList<std::uint64_t>>("shared");
    QTest::addColumn<QList<std::uint64_t>>("roundRobin");
    QTest::addColumn<QList<std::uint64_t>>("rrConnections"); // empty: not counted
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("all on one, rr even") << QList<std::uint64_t> { 4000, 0 } << QList<std::uint64_t> { 2000, 2010 } << QList<std::uint64_t> {} << true
                                         << QByteArray("served 100 %");
    QTest::newRow("at the 70 % line") << QList<std::uint64_t> { 700, 300 } << QList<std::uint64_t> { 500, 500 } << QList<std::uint64_t> {} << true
                                      << QByteArray("served 70 %");
    QTest::newRow("shared spread evenly") << QList<std::uint64_t> { 520, 480 } << QList<std::uint64_t> { 500, 500 } << QList<std::uint64_t> {} << false
                                          << QByteArray("Not as expected on this machine. Under shared, worker 1 served 52 %");
    QTest::newRow("rr uneven") << QList<std::uint64_t> { 1000, 0 } << QList<std::uint64_t> { 700, 300 } << QList<std::uint64_t> {} << false
                               << QByteArray("Round-robin did not spread them");
    QTest::newRow("zero requests") << QList<std::uint64_t> { 0, 0 } << QList<std::uint64_t> { 500, 500 } << QList<std::uint64_t> {} << false
                                   << QByteArray("Nothing to judge: shared served no request");
    // Round-robin is judged by how it dealt the connections where they were counted: 2/2 is
    // even although one pair of connections was busier; 3/1 is not.
    QTest::newRow("rr dealt 2/2, requests 63/37") << QList<std::uint64_t> { 1000, 0 } << QList<std::uint64_t> { 630, 370 }
                                                  << QList<std::uint64_t> { 2, 2 } << true << QByteArray("the connections dealt 2/2");
    QTest::newRow("rr dealt 3/1") << QList<std::uint64_t> { 1000, 0 } << QList<std::uint64_t> { 500, 500 }
                                  << QList<std::uint64_t> { 3, 1 } << false
                                  << QByteArray("Round-robin did not deal the connections out evenly either");
}

void TestLesson::keepAlive()
{
    QFETCH(QList<std::uint64_t>, shared);
    QFETCH(QList<std::uint64_t>, roundRobin);
    QFETCH(QList<std::uint64_t>, rrConnections);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    const RunSummary steps[] { run(shared), run(roundRobin, 1000, 0, 0, 1, rrConnections) };
    const Verdict v = judge("keepalive-sticks", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
    if (expected)
        QVERIFY(QByteArray::fromStdString(v.text).startsWith("As expected."));
    if (shared != QList<std::uint64_t> { 0, 0 })
        QVERIFY(QByteArray::fromStdString(v.text).contains("Share per worker"));
}

void TestLesson::acceptCeiling_data()
{
    QTest::addColumn<double>("rr");
    QTest::addColumn<double>("shared");
    QTest::addColumn<double>("reuseport");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("shared scales") << 5000.0 << 8000.0 << 7000.0 << true << QByteArray("shared is 1.60× round-robin");
    QTest::newRow("reuseport scales") << 5000.0 << 5100.0 << 6000.0 << true << QByteArray("reuseport is 1.20× round-robin");
    QTest::newRow("rr keeps up") << 5000.0 << 5200.0 << 4900.0 << false << QByteArray("Round-robin kept up here");
    QTest::newRow("rr served nothing") << 0.0 << 5200.0 << 4900.0 << false << QByteArray("Nothing to judge: round-robin");
}

void TestLesson::acceptCeiling()
{
    QFETCH(double, rr);
    QFETCH(double, shared);
    QFETCH(double, reuseport);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    auto counts = [](double rps) { return QList<std::uint64_t> { std::uint64_t(rps * 2), std::uint64_t(rps * 2) }; };
    const RunSummary steps[] { run(counts(rr), rr, 95), run(counts(shared), shared, 1), run(counts(reuseport), reuseport, 1) };
    const Verdict v = judge("accept-ceiling", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
    if (rr > 0)
        QVERIFY2(QByteArray::fromStdString(v.text).contains("master at 95 % CPU"), v.text.c_str());
}

void TestLesson::reuseportFew_data()
{
    QTest::addColumn<QList<std::uint64_t>>("counts");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("3 connections to 1") << QList<std::uint64_t> { 750, 250 } << true << QByteArray("worker 1 served 75 %");
    QTest::newRow("4 to 0 on slot 2") << QList<std::uint64_t> { 0, 900 } << true << QByteArray("worker 2 served 100 %");
    QTest::newRow("2-2") << QList<std::uint64_t> { 510, 490 } << false << QByteArray("happened to split the connections evenly");
    QTest::newRow("nothing") << QList<std::uint64_t> { 0, 0 } << false << QByteArray("Nothing to judge");
}

void TestLesson::reuseportFew()
{
    QFETCH(QList<std::uint64_t>, counts);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    const RunSummary steps[] { run(counts) };
    const Verdict v = judge("reuseport-few", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
}

void TestLesson::cpuBound_data()
{
    QTest::addColumn<double>("asMany");
    QTest::addColumn<double>("twice");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("no gain") << 180.0 << 182.0 << true << QByteArray("182 req/s (1.01×)");
    QTest::newRow("fewer") << 180.0 << 150.0 << true << QByteArray("0.83×");
    QTest::newRow("gained") << 100.0 << 180.0 << false << QByteArray("found idle time");
    QTest::newRow("nothing") << 0.0 << 180.0 << false << QByteArray("Nothing to judge: the first run");
}

void TestLesson::cpuBound()
{
    QFETCH(double, asMany);
    QFETCH(double, twice);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    const RunSummary steps[] { run({ std::uint64_t(asMany * 2), std::uint64_t(asMany * 2) }, asMany, 0, 0, 20),
                               run({ std::uint64_t(twice), std::uint64_t(twice), std::uint64_t(twice), std::uint64_t(twice) },
                                   twice, 0, 0, 45) };
    const Verdict v = judge("cpu-bound", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
    if (asMany > 0)
        QVERIFY2(QByteArray::fromStdString(v.text).contains("With 2 workers (one per core)"), v.text.c_str());
}

void TestLesson::crashLoop_data()
{
    QTest::addColumn<QList<int>>("delays");
    QTest::addColumn<bool>("failed");
    QTest::addColumn<bool>("reset");
    QTest::addColumn<bool>("backOnline");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("the whole story") << QList<int> { 0, 100, 200, 400 } << true << true << true << true
                                     << QByteArray("the respawns waited 0, 100, 200, 400 ms; then the slot was marked failed");
    QTest::newRow("never failed") << QList<int> { 0, 100 } << false << false << false << false
                                  << QByteArray("The crash-loop limit was not reached");
    QTest::newRow("no back-off") << QList<int> { 0, 0, 0 } << true << true << true << false << QByteArray("the back-off never started");
    QTest::newRow("reset did not help") << QList<int> { 0, 100, 200, 400 } << true << true << false << false
                                        << QByteArray("after the reset it did not come back online");
}

void TestLesson::crashLoop()
{
    QFETCH(QList<int>, delays);
    QFETCH(bool, failed);
    QFETCH(bool, reset);
    QFETCH(bool, backOnline);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    std::vector<Event> events;
    for (int delay : delays) {
        events.push_back({ .kind = EventKind::Exit, .slot = 1, .reason = ExitReason::Crash });
        events.push_back({ .kind = EventKind::Restart, .slot = 1, .delayMs = delay });
        events.push_back({ .kind = EventKind::Fork, .slot = 1 });
        events.push_back({ .kind = EventKind::Online, .slot = 1 });
    }
    if (failed) {
        events.push_back({ .kind = EventKind::Exit, .slot = 1, .reason = ExitReason::Crash });
        events.push_back({ .kind = EventKind::Failed, .slot = 1 });
    }
    if (reset)
        events.push_back({ .kind = EventKind::Reset, .slot = 1 });
    if (backOnline)
        events.push_back({ .kind = EventKind::Online, .slot = 1 });
    const RunSummary steps[] { summarizeRun({}, events, std::nullopt) };
    const Verdict v = judge("crash-loop", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
    QVERIFY(QByteArray::fromStdString(v.text).contains("Exits and respawns"));
}

void TestLesson::rollingRestart_data()
{
    QTest::addColumn<int>("forks");
    QTest::addColumn<int>("failed");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("none lost") << 2 << 0 << true << QByteArray("counted 0 failed requests out of 8000");
    QTest::newRow("some lost") << 2 << 7 << false << QByteArray("counted 7 failed requests");
    QTest::newRow("not replaced") << 1 << 0 << false << QByteArray("did not replace every worker");
}

void TestLesson::rollingRestart()
{
    QFETCH(int, forks);
    QFETCH(int, failed);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    RunSummary r = run({ 4000, 4000 }, 2000, 0, std::uint64_t(failed));
    r.forks = forks;
    const RunSummary steps[] { r };
    const Verdict v = judge("rolling-restart", steps);
    QCOMPARE(v.asExpected, expected);
    QVERIFY2(QByteArray::fromStdString(v.text).contains(says), v.text.c_str());
}

void TestLesson::pinning_data()
{
    QTest::addColumn<QString>("unpinned");
    QTest::addColumn<QString>("pinned");
    QTest::addColumn<bool>("served");
    QTest::addColumn<bool>("expected");
    QTest::addColumn<QByteArray>("says");
    QTest::addColumn<QByteArray>("alsoSays");
    QTest::newRow("migrates, then stays") << QStringLiteral("0011100000|1100011111") << QStringLiteral("0000000000|1111111111")
                                          << true << true
                                          << QByteArray("As expected. On 2 cores, unpinned: worker 1 ran on 2 cores (70 % on core 0, 30 % on core 1), "
                                                        "worker 2 ran on 2 cores (30 % on core 0, 70 % on core 1)")
                                          << QByteArray("pinned: worker 1 100 % on core 0, worker 2 100 % on core 1");
    QTest::newRow("one worker migrates") << QStringLiteral("0000000000|1111101111") << QStringLiteral("0000000000|1111111111")
                                         << true << true
                                         << QByteArray("worker 1 100 % on core 0, worker 2 ran on 2 cores (10 % on core 0, 90 % on core 1)")
                                         << QByteArray("each stayed on its own core");
    // Idle samples say nothing about where a worker works: left out.
    QTest::newRow("idle samples elsewhere") << QStringLiteral("0101|1010") << QStringLiteral("0.0.|1.1.") << true << true
                                            << QByteArray("pinned: worker 1 100 % on core 0, worker 2 100 % on core 1")
                                            << QByteArray("As expected.");
    QTest::newRow("no migration unpinned") << QStringLiteral("0000|1111") << QStringLiteral("0000|1111") << true << false
                                           << QByteArray("No migration this time. On 2 cores, unpinned: worker 1 100 % on core 0, "
                                                         "worker 2 100 % on core 1")
                                           << QByteArray("That is not a failure of pinning");
    QTest::newRow("pinned leaks") << QStringLiteral("0101|1010") << QStringLiteral("0001|1111") << true << false
                                  << QByteArray("Not as expected on this machine.")
                                  << QByteArray("pinned: worker 1 ran on 2 cores (75 % on core 0, 25 % on core 1), worker 2 100 % on core 1");
    QTest::newRow("zero samples") << QStringLiteral("0101|1010") << QStringLiteral("....|....") << true << false
                                  << QByteArray("Nothing to judge: no sample of the pinned run saw a worker using CPU")
                                  << QByteArray("See the log");
    QTest::newRow("no samples at all") << QString() << QString() << true << false
                                       << QByteArray("Nothing to judge: no sample of the unpinned run") << QByteArray("");
    QTest::newRow("nothing served") << QStringLiteral("0101|1010") << QStringLiteral("0000|1111") << false << false
                                    << QByteArray("Nothing to judge: the unpinned run served no request") << QByteArray("");
}

void TestLesson::pinning()
{
    QFETCH(QString, unpinned);
    QFETCH(QString, pinned);
    QFETCH(bool, served);
    QFETCH(bool, expected);
    QFETCH(QByteArray, says);
    QFETCH(QByteArray, alsoSays);
    const RunSummary steps[] { coreRun(unpinned, served), coreRun(pinned, served) };
    const Verdict v = judge("pinning", steps);
    QCOMPARE(v.asExpected, expected);
    const QByteArray text = QByteArray::fromStdString(v.text);
    QVERIFY2(text.contains(says), v.text.c_str());
    QVERIFY2(text.contains(alsoSays), v.text.c_str());
    if (!text.startsWith("Nothing to judge"))
        QVERIFY2(text.contains("the window's \"Worker × core\" heat map (the tab next to \"Share per worker\")"), v.text.c_str());
}

void TestLesson::unfinished()
{
    const RunSummary one[] { run({ 10, 0 }) };
    const Verdict v = judge("keepalive-sticks", one);
    QVERIFY(!v.asExpected);
    QVERIFY(QByteArray::fromStdString(v.text).contains("1 of 2 runs"));
    QVERIFY(!judge("no-such-lesson", one).asExpected);
}

QTEST_APPLESS_MAIN(TestLesson)
#include "tst_lesson.moc"
