#include "supervision/restarttracker.h"

#include <chrono>

#include <QList>
#include <QTest>

using cs::RestartLimits;
using cs::RestartTracker;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(RestartLimits)

namespace {

// A fixed, arbitrary origin: the tracker must only ever use differences.
const RestartTracker::Clock::time_point kT0 = RestartTracker::Clock::time_point {} + 1000h;

RestartTracker::Clock::time_point at(int ms)
{
    return kT0 + std::chrono::milliseconds(ms);
}

RestartLimits limits(int initial, int max, int stable, int crashes, int window)
{
    RestartLimits l;
    l.backoffInitialMs = initial;
    l.backoffMaxMs = max;
    l.stableAfterMs = stable;
    l.maxCrashes = crashes;
    l.crashWindowMs = window;
    return l;
}

} // namespace

class TestRestartTracker : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sequence_data();
    void sequence();
    void windowCounting();
    void resetForgetsEverything();
    void defaults();
};

void TestRestartTracker::sequence_data()
{
    // Crash i happens at times[i] ms after a process that had been up uptimes[i] ms; the
    // decision is expected[i] as a delay in ms, or -1 for "failed".
    QTest::addColumn<RestartLimits>("config");
    QTest::addColumn<QList<int>>("times");
    QTest::addColumn<QList<int>>("uptimes");
    QTest::addColumn<QList<int>>("expected");

    const RestartLimits noLimit = limits(100, 8000, 10000, 1000, 30000);
    QTest::newRow("first crash is immediate") << RestartLimits {} << QList<int> { 0 } << QList<int> { 50 }
                                              << QList<int> { 0 };
    QTest::newRow("doubling up to the cap")
        << noLimit << QList<int> { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }
        << QList<int> { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 }
        << QList<int> { 0, 100, 200, 400, 800, 1600, 3200, 6400, 8000, 8000, 8000 };
    QTest::newRow("stable incarnation resets")
        << noLimit << QList<int> { 0, 100, 300, 20000, 20100, 20200 } << QList<int> { 5, 5, 5, 15000, 5, 5 }
        << QList<int> { 0, 100, 200, 0, 0, 100 };
    QTest::newRow("stable boundary is inclusive")
        << noLimit << QList<int> { 0, 100, 200, 300 } << QList<int> { 5, 5, 9999, 10000 }
        << QList<int> { 0, 100, 200, 0 };
    QTest::newRow("cap below initial") << limits(500, 300, 10000, 100, 30000) << QList<int> { 0, 1, 2 }
                                       << QList<int> { 1, 1, 1 } << QList<int> { 0, 300, 300 };
    QTest::newRow("back-off off") << limits(0, 8000, 10000, 100, 30000) << QList<int> { 0, 1, 2 }
                                  << QList<int> { 1, 1, 1 } << QList<int> { 0, 0, 0 };
    QTest::newRow("crash loop fails on the fifth")
        << RestartLimits {} << QList<int> { 0, 1000, 2000, 3000, 4000 } << QList<int> { 5, 5, 5, 5, 5 }
        << QList<int> { 0, 100, 200, 400, -1 };
    // Stable uptimes do not save a slot that exits five times in the window.
    QTest::newRow("fails even when each was stable")
        << limits(100, 8000, 10, 5, 30000) << QList<int> { 0, 1000, 2000, 3000, 4000 }
        << QList<int> { 20, 20, 20, 20, 20 } << QList<int> { 0, 0, 0, 0, -1 };
    // The crash at 0 has left the window by 31000, so four remain; 35000 makes five again.
    QTest::newRow("old crashes leave the window")
        << limits(100, 8000, 100000, 5, 30000) << QList<int> { 0, 10000, 20000, 29000, 31000, 35000 }
        << QList<int> { 5, 5, 5, 5, 5, 5 } << QList<int> { 0, 100, 200, 400, 800, -1 };
    QTest::newRow("spread out never fails")
        << RestartLimits {} << QList<int> { 0, 8000, 16000, 24000, 32000, 40000, 48000, 56000 }
        << QList<int> { 5, 5, 5, 5, 5, 5, 5, 5 } << QList<int> { 0, 100, 200, 400, 800, 1600, 3200, 6400 };
    QTest::newRow("max crashes one") << limits(100, 8000, 10000, 1, 30000) << QList<int> { 0 } << QList<int> { 5 }
                                     << QList<int> { -1 };
}

void TestRestartTracker::sequence()
{
    QFETCH(RestartLimits, config);
    QFETCH(QList<int>, times);
    QFETCH(QList<int>, uptimes);
    QFETCH(QList<int>, expected);
    QCOMPARE(times.size(), expected.size());

    RestartTracker tracker(config);
    QList<int> decisions;
    for (qsizetype i = 0; i < times.size(); ++i) {
        const auto d = tracker.onCrash(at(times[i]), std::chrono::milliseconds(uptimes[i]));
        QVERIFY(!d.failed || d.delayMs == 0);
        decisions << (d.failed ? -1 : d.delayMs);
    }
    QCOMPARE(decisions, expected);
}

void TestRestartTracker::windowCounting()
{
    RestartTracker tracker(limits(100, 8000, 10000, 100, 30000));
    QCOMPARE(tracker.crashesInWindow(at(0)), 0);
    tracker.onCrash(at(0), 5ms);
    tracker.onCrash(at(10000), 5ms);
    tracker.onCrash(at(20000), 5ms);
    QCOMPARE(tracker.crashesInWindow(at(20000)), 3);
    QCOMPARE(tracker.crashesInWindow(at(29999)), 3);
    QCOMPARE(tracker.crashesInWindow(at(30000)), 2); // a crash exactly a window old is out
    QCOMPARE(tracker.crashesInWindow(at(45000)), 1);
    QCOMPARE(tracker.crashesInWindow(at(60000)), 0);
    QCOMPARE(tracker.consecutiveQuickCrashes(), 3);
    tracker.onCrash(at(61000), 60s);
    QCOMPARE(tracker.consecutiveQuickCrashes(), 0);
    QCOMPARE(tracker.crashesInWindow(at(61000)), 1);
}

void TestRestartTracker::resetForgetsEverything()
{
    RestartTracker tracker;
    for (int i = 0; i < 4; ++i)
        QVERIFY(!tracker.onCrash(at(i * 100), 5ms).failed);
    QCOMPARE(tracker.crashesInWindow(at(400)), 4);
    tracker.reset();
    QCOMPARE(tracker.crashesInWindow(at(400)), 0);
    QCOMPARE(tracker.consecutiveQuickCrashes(), 0);
    const auto d = tracker.onCrash(at(500), 5ms);
    QVERIFY(!d.failed);
    QCOMPARE(d.delayMs, 0);
}

void TestRestartTracker::defaults()
{
    const RestartTracker tracker;
    QCOMPARE(tracker.limits().backoffInitialMs, RestartLimits {}.backoffInitialMs);
    QCOMPARE(tracker.limits().maxCrashes, RestartLimits {}.maxCrashes);
    QCOMPARE(tracker.consecutiveQuickCrashes(), 0);
}

QTEST_APPLESS_MAIN(TestRestartTracker)
#include "tst_restarttracker.moc"
