// The share of each worker over a span: the last load run by default, so two runs that each
// went to a different worker are not read as one even split.
#include "models/sharemodel.h"

#include <QtTest>

using namespace cs;
using namespace cs::ui;

namespace {

Snapshot counts(std::initializer_list<std::uint64_t> requests, double time = 0)
{
    Snapshot s;
    s.running = true;
    s.clusterUptimeSeconds = time;
    int slot = 0;
    for (std::uint64_t r : requests) {
        WorkerSample w;
        w.slot = ++slot;
        w.requests = r;
        w.connectionsAccepted = r / 100;
        s.workers.push_back(w);
    }
    return s;
}

double share(const ShareModel& model, int slot)
{
    for (const auto& row : model.rows())
        if (row.slot == slot)
            return row.requestShare;
    return -1;
}

} // namespace

class TestShareModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void noNumberBeforeTheFirstRequest()
    {
        ShareModel model;
        model.setSnapshot(counts({ 0, 0 }));
        QVERIFY(!model.requestFairness());
        QCOMPARE(model.scopeText(), QStringLiteral("since start"));
    }

    void twoRunsAreNotMixed()
    {
        ShareModel model;
        model.setSnapshot(counts({ 0, 0 }));
        model.markLoadRun();
        model.setSnapshot(counts({ 1000, 0 })); // run 1: all to worker 1
        QCOMPARE(*model.requestFairness(), 0.5);
        model.markLoadRun();
        model.setSnapshot(counts({ 1000, 1000 })); // run 2: all to worker 2
        QCOMPARE(model.scopeText(), QStringLiteral("last load run"));
        QCOMPARE(share(model, 1), 0.0);
        QCOMPARE(share(model, 2), 100.0);
        QCOMPARE(*model.requestFairness(), 0.5); // it read 50/50 and 1.00 when mixed
        model.setScope(ShareModel::Scope::SinceStart);
        QCOMPARE(model.scopeText(), QStringLiteral("since start"));
        QCOMPARE(share(model, 1), 50.0);
        QCOMPARE(*model.requestFairness(), 1.0);
    }

    // Load from outside the window (wrk, curl) is a run too: requests after a quiet spell of
    // 3 s begin one, counted from just before them. Without it, a second outside run that
    // went all to the other worker read as the 50/50 of both.
    void outsideLoadMarksItsOwnRuns()
    {
        ShareModel model;
        model.setSnapshot(counts({ 0, 0 }, 1));
        model.setSnapshot(counts({ 0, 0 }, 2));
        model.setSnapshot(counts({ 500, 0 }, 3)); // outside run 1: all to worker 1
        QCOMPARE(model.scopeText(), QStringLiteral("last load run"));
        model.setSnapshot(counts({ 1000, 0 }, 4));
        QCOMPARE(share(model, 1), 100.0);
        QCOMPARE(model.requests(), std::uint64_t(1000));
        model.setSnapshot(counts({ 1000, 0 }, 5));
        model.setSnapshot(counts({ 1000, 400 }, 6)); // only 2 s quiet: the same run goes on
        QCOMPARE(model.requests(), std::uint64_t(1400));
        model.setSnapshot(counts({ 1000, 400 }, 7));
        model.setSnapshot(counts({ 1000, 400 }, 9));
        model.setSnapshot(counts({ 1000, 900 }, 10)); // 4 s quiet: outside run 2, all to worker 2
        QCOMPARE(share(model, 1), 0.0);
        QCOMPARE(share(model, 2), 100.0);
        QCOMPARE(*model.requestFairness(), 0.5);
    }

    // While the load panel's run is under way, other load is part of it; after it ended,
    // load after a quiet spell is a run of its own again.
    void thePanelsRunIsNotSplit()
    {
        ShareModel model;
        model.setSnapshot(counts({ 0, 0 }, 1));
        model.markLoadRun();
        model.setSnapshot(counts({ 100, 0 }, 2));
        model.setSnapshot(counts({ 100, 0 }, 6)); // a stall inside the run
        model.setSnapshot(counts({ 100, 100 }, 7));
        QCOMPARE(model.requests(), std::uint64_t(200));
        model.endLoadRun();
        model.setSnapshot(counts({ 100, 100 }, 8));
        model.setSnapshot(counts({ 300, 100 }, 12));
        QCOMPARE(model.requests(), std::uint64_t(200));
        QCOMPARE(share(model, 1), 100.0);
    }

    // Load already flowing when the user resets goes on in the span the reset began.
    void resetDuringLoadKeepsItsSpan()
    {
        ShareModel model;
        model.setSnapshot(counts({ 0, 0 }, 1));
        model.setSnapshot(counts({ 100, 0 }, 2));
        model.resetNow();
        model.setSnapshot(counts({ 200, 0 }, 3));
        QCOMPARE(model.scopeText(), QStringLiteral("since reset"));
        QCOMPARE(model.requests(), std::uint64_t(100));
    }

    void aWorkerAddedAfterTheMarkStartsFromZero()
    {
        ShareModel model;
        model.setSnapshot(counts({ 500, 500 }));
        model.markLoadRun();
        model.setSnapshot(counts({ 600, 600, 200 }));
        QCOMPARE(share(model, 3), 50.0);
        QCOMPARE(model.requests(), std::uint64_t(400));
    }

    void resetStartsTheSpanNow()
    {
        ShareModel model;
        model.setSnapshot(counts({ 900, 100 }));
        model.setScope(ShareModel::Scope::SinceStart);
        model.resetNow();
        QCOMPARE(model.scope(), ShareModel::Scope::LastLoadRun);
        QCOMPARE(model.scopeText(), QStringLiteral("since reset"));
        QVERIFY(!model.requestFairness());
        model.setSnapshot(counts({ 1000, 200 }));
        QCOMPARE(*model.requestFairness(), 1.0);
        model.clear(); // a new cluster
        QCOMPARE(model.scopeText(), QStringLiteral("since start"));
        QVERIFY(model.rows().isEmpty());
    }

    void ownProgramHasNoRequestFairness()
    {
        ShareModel model;
        Snapshot s = counts({ 10, 10 });
        s.requestMetrics = false;
        model.setSnapshot(s);
        QVERIFY(!model.requestFairness());
    }
};

QTEST_APPLESS_MAIN(TestShareModel)
#include "tst_sharemodel.moc"
