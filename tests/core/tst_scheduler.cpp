#include "scheduling/scheduler.h"

#include <random>
#include <vector>

#include <QList>
#include <QTest>

using cs::Candidate;
using cs::Policy;
using cs::Scheduler;

namespace {

// Compact table form of a worker: slot, ready, open connections.
struct Row {
    int slot;
    bool ready;
    int open;
};

std::vector<Candidate> candidates(const QList<Row>& rows)
{
    std::vector<Candidate> out;
    for (const Row& r : rows)
        out.push_back(Candidate { r.slot, r.ready, std::uint32_t(r.open) });
    return out;
}

} // namespace

Q_DECLARE_METATYPE(Row)

class TestScheduler : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sequence_data();
    void sequence();
    void respawnedSlotKeepsItsTurn();
    void leastConnectionsFollowsLoad();
    void policyCanChange();
    void pickInSlotOrderPicksAsPick();
};

void TestScheduler::sequence_data()
{
    // The same candidates are offered `expected.size()` times; each pick's slot is recorded
    // (-1 when nothing is picked).
    QTest::addColumn<Policy>("policy");
    QTest::addColumn<QList<Row>>("workers");
    QTest::addColumn<QList<int>>("skip");
    QTest::addColumn<QList<int>>("expected");

    const QList<Row> two { { 1, true, 0 }, { 2, true, 0 } };
    const QList<Row> three { { 1, true, 0 }, { 2, true, 0 }, { 3, true, 0 } };

    QTest::newRow("rr alternates") << Policy::RoundRobin << two << QList<int> {} << QList<int> { 1, 2, 1, 2, 1 };
    QTest::newRow("rr three") << Policy::RoundRobin << three << QList<int> {} << QList<int> { 1, 2, 3, 1, 2, 3 };
    QTest::newRow("rr not ready skipped")
        << Policy::RoundRobin << QList<Row> { { 1, true, 0 }, { 2, false, 0 } } << QList<int> {}
        << QList<int> { 1, 1, 1 };
    QTest::newRow("rr middle not ready")
        << Policy::RoundRobin << QList<Row> { { 1, true, 0 }, { 2, false, 0 }, { 3, true, 0 } } << QList<int> {}
        << QList<int> { 1, 3, 1, 3 };
    QTest::newRow("rr skip index") << Policy::RoundRobin << three << QList<int> { 1 } << QList<int> { 1, 3, 1, 3 };
    QTest::newRow("rr skip all ready") << Policy::RoundRobin << two << QList<int> { 0, 1 } << QList<int> { -1, -1 };
    QTest::newRow("rr skip out of range ignored")
        << Policy::RoundRobin << two << QList<int> { 5, -3 } << QList<int> { 1, 2, 1 };
    QTest::newRow("rr slot order, not list order")
        << Policy::RoundRobin << QList<Row> { { 3, true, 0 }, { 1, true, 0 }, { 2, true, 0 } } << QList<int> {}
        << QList<int> { 1, 2, 3, 1 };
    QTest::newRow("rr sparse slots")
        << Policy::RoundRobin << QList<Row> { { 2, true, 0 }, { 7, true, 0 } } << QList<int> {}
        << QList<int> { 2, 7, 2 };
    QTest::newRow("rr ignores connections")
        << Policy::RoundRobin << QList<Row> { { 1, true, 50 }, { 2, true, 0 } } << QList<int> {}
        << QList<int> { 1, 2, 1 };
    QTest::newRow("none ready") << Policy::RoundRobin << QList<Row> { { 1, false, 0 }, { 2, false, 0 } }
                                << QList<int> {} << QList<int> { -1, -1 };
    QTest::newRow("empty") << Policy::RoundRobin << QList<Row> {} << QList<int> {} << QList<int> { -1 };

    QTest::newRow("lc ties alternate") << Policy::LeastConnections << two << QList<int> {}
                                       << QList<int> { 1, 2, 1, 2 };
    QTest::newRow("lc ties of three rotate") << Policy::LeastConnections << three << QList<int> {}
                                             << QList<int> { 1, 2, 3, 1 };
    QTest::newRow("lc fewest")
        << Policy::LeastConnections << QList<Row> { { 1, true, 5 }, { 2, true, 2 }, { 3, true, 9 } }
        << QList<int> {} << QList<int> { 2, 2, 2 };
    QTest::newRow("lc fewest not ready")
        << Policy::LeastConnections << QList<Row> { { 1, true, 5 }, { 2, false, 0 }, { 3, true, 9 } }
        << QList<int> {} << QList<int> { 1, 1 };
    QTest::newRow("lc fewest skipped")
        << Policy::LeastConnections << QList<Row> { { 1, true, 5 }, { 2, true, 2 }, { 3, true, 9 } }
        << QList<int> { 1 } << QList<int> { 1, 1 };
    QTest::newRow("lc tie among the fewest only")
        << Policy::LeastConnections << QList<Row> { { 1, true, 1 }, { 2, true, 3 }, { 3, true, 1 } }
        << QList<int> {} << QList<int> { 1, 3, 1, 3 };
    QTest::newRow("lc none ready") << Policy::LeastConnections << QList<Row> { { 1, false, 0 } } << QList<int> {}
                                   << QList<int> { -1 };

    QTest::newRow("shared acts like rr") << Policy::Shared << two << QList<int> {} << QList<int> { 1, 2, 1 };
    QTest::newRow("reuseport acts like rr") << Policy::ReusePort << QList<Row> { { 1, true, 0 }, { 2, false, 0 } }
                                            << QList<int> {} << QList<int> { 1, 1 };
}

void TestScheduler::sequence()
{
    QFETCH(Policy, policy);
    QFETCH(QList<Row>, workers);
    QFETCH(QList<int>, skip);
    QFETCH(QList<int>, expected);

    const auto offered = candidates(workers);
    const std::vector<int> skipped(skip.begin(), skip.end());
    Scheduler scheduler(policy);
    QList<int> picked;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const int index = scheduler.pick(offered, skipped);
        QVERIFY(index >= -1 && index < int(offered.size()));
        if (index >= 0) {
            QVERIFY(offered[std::size_t(index)].ready);
            QVERIFY(!skip.contains(index));
        }
        picked << (index < 0 ? -1 : offered[std::size_t(index)].slot);
    }
    QCOMPARE(picked, expected);
}

void TestScheduler::respawnedSlotKeepsItsTurn()
{
    Scheduler scheduler;
    std::vector<Candidate> workers { { 1, true, 0 }, { 2, true, 0 }, { 3, true, 0 } };
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 1);
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 2);
    // Slot 3 is respawning: the turn wraps to 1 without it.
    workers[2].ready = false;
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 1);
    // Back online (now at the front of the list): order is by slot, so 2 then 3.
    workers = { { 3, true, 0 }, { 1, true, 0 }, { 2, true, 0 } };
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 2);
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 3);
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 1);
    // The previous pick's slot vanishing altogether does not lose the place either.
    workers = { { 3, true, 0 }, { 2, true, 0 } };
    QCOMPARE(workers[std::size_t(scheduler.pick(workers))].slot, 2);
}

void TestScheduler::leastConnectionsFollowsLoad()
{
    // Hand out connections that never close: the open counts must stay level.
    Scheduler scheduler(Policy::LeastConnections);
    std::vector<Candidate> workers { { 1, true, 4 }, { 2, true, 0 }, { 3, true, 1 } };
    QList<int> picked;
    for (int i = 0; i < 10; ++i) {
        const int index = scheduler.pick(workers);
        QVERIFY(index >= 0);
        ++workers[std::size_t(index)].openConnections;
        picked << workers[std::size_t(index)].slot;
    }
    QCOMPARE(picked, (QList<int> { 2, 3, 2, 3, 2, 3, 2, 3, 1, 2 }));
    for (const Candidate& c : workers)
        QCOMPARE(c.openConnections, 5u);
}

void TestScheduler::policyCanChange()
{
    Scheduler scheduler(Policy::LeastConnections);
    QCOMPARE(scheduler.policy(), Policy::LeastConnections);
    const std::vector<Candidate> workers { { 1, true, 9 }, { 2, true, 0 } };
    QCOMPARE(scheduler.pick(workers), 1);
    QCOMPARE(scheduler.pick(workers), 1);
    scheduler.setPolicy(Policy::RoundRobin);
    QCOMPARE(scheduler.policy(), Policy::RoundRobin);
    QCOMPARE(scheduler.pick(workers), 0);
    QCOMPARE(scheduler.pick(workers), 1);
}

// The dispatcher's fast pick (binary search over candidates sorted by slot) must choose what
// the scan chooses, for every policy, readiness, skip list, respawn and change of the set.
void TestScheduler::pickInSlotOrderPicksAsPick()
{
    std::mt19937 random(20261201);
    for (Policy policy : { Policy::RoundRobin, Policy::LeastConnections }) {
        for (int run = 0; run < 2000; ++run) {
            Scheduler scan(policy);
            Scheduler fast(policy);
            std::vector<Candidate> workers;
            for (int step = 0; step < 40; ++step) {
                if (workers.empty() || random() % 8 == 0) {
                    // A new set: 0..40 slots out of 1..60, ascending, some not ready.
                    workers.clear();
                    for (int slot = 1; slot <= 60; ++slot)
                        if (random() % 3 == 0 && workers.size() < 40)
                            workers.push_back({ slot, random() % 4 != 0, std::uint32_t(random() % 3) });
                }
                if (!workers.empty() && random() % 4 == 0)
                    workers[random() % workers.size()].ready ^= true;
                std::vector<int> skip;
                if (!workers.empty() && random() % 3 == 0)
                    skip.push_back(int(random() % workers.size()));
                const int expected = scan.pick(workers, skip);
                const int got = fast.pickInSlotOrder(workers, skip);
                QCOMPARE(got, expected);
                if (got >= 0)
                    ++workers[std::size_t(got)].openConnections;
            }
        }
    }
}

QTEST_APPLESS_MAIN(TestScheduler)
#include "tst_scheduler.moc"
