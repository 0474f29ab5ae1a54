// The one map from cluster state to the window's controls: every control is enabled exactly
// when it can act, checked per state.
#include "models/clusteractions.h"

#include <QtTest>

Q_DECLARE_METATYPE(cs::Snapshot)

using namespace cs;
using namespace cs::ui;

namespace {

Snapshot cluster(std::initializer_list<WorkerState> states)
{
    Snapshot s;
    s.running = true;
    int slot = 0;
    for (WorkerState state : states) {
        WorkerSample w;
        w.slot = ++slot;
        w.state = state;
        s.workers.push_back(w);
    }
    return s;
}

// start stop rolling add remove load reset, as a string so a failing row shows all at once.
QString flags(const ClusterActions& a)
{
    QString out;
    for (bool on : { a.start, a.stop, a.rollingRestart, a.addWorker, a.removeWorker, a.runLoad, a.resetFailed })
        out += on ? QLatin1Char('1') : QLatin1Char('0');
    return out;
}

} // namespace

class TestClusterActions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void perState_data()
    {
        using S = WorkerState;
        QTest::addColumn<bool>("running");
        QTest::addColumn<bool>("haveSnapshot");
        QTest::addColumn<Snapshot>("snapshot");
        QTest::addColumn<int>("phase");
        QTest::addColumn<QString>("expected"); // start stop rolling add remove load reset
        QTest::newRow("stopped") << false << false << Snapshot {} << int(ClusterPhase::Stopped) << QStringLiteral("1000000");
        QTest::newRow("stopped, last snapshot still held")
            << false << true << cluster({ S::Online, S::Online }) << int(ClusterPhase::Stopped) << QStringLiteral("1000000");
        QTest::newRow("started, no snapshot yet") << true << false << Snapshot {} << int(ClusterPhase::Starting)
                                                  << QStringLiteral("0101000");
        QTest::newRow("starting") << true << true << cluster({ S::Starting, S::Starting })
                                  << int(ClusterPhase::Starting) << QStringLiteral("0101100");
        QTest::newRow("serving, two workers") << true << true << cluster({ S::Online, S::Online })
                                              << int(ClusterPhase::Serving) << QStringLiteral("0111110");
        QTest::newRow("serving, one worker: no remove") << true << true << cluster({ S::Online })
                                                        << int(ClusterPhase::Serving) << QStringLiteral("0111010");
        QTest::newRow("one failed, one serving") << true << true << cluster({ S::Failed, S::Online })
                                                 << int(ClusterPhase::Serving) << QStringLiteral("0111111");
        QTest::newRow("all failed: nothing serves") << true << true << cluster({ S::Failed, S::Failed })
                                                    << int(ClusterPhase::AllFailed) << QStringLiteral("0101101");
        QTest::newRow("one slot, failed") << true << true << cluster({ S::Failed }) << int(ClusterPhase::AllFailed)
                                          << QStringLiteral("0101001");
        QTest::newRow("respawning after a crash") << true << true << cluster({ S::BackingOff, S::Online })
                                                  << int(ClusterPhase::Serving) << QStringLiteral("0111110");
    }
    void perState()
    {
        QFETCH(bool, running);
        QFETCH(bool, haveSnapshot);
        QFETCH(Snapshot, snapshot);
        QFETCH(int, phase);
        QFETCH(QString, expected);
        const ClusterActions a = clusterActions(running, haveSnapshot ? &snapshot : nullptr);
        QCOMPARE(int(a.phase), phase);
        QCOMPARE(flags(a), expected);
    }
};

QTEST_APPLESS_MAIN(TestClusterActions)
#include "tst_clusteractions.moc"
