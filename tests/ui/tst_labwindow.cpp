#include "adapter/clusteradapter.h"
#include "adapter/labsequencer.h"
#include "adapter/loadadapter.h"
#include "adapter/runrecorder.h"
#include "lab/lesson.h"
#include "master/clusterconfig.h"
#include "models/comparisonmodel.h"
#include "models/runstore.h"
#include "widgets/labwindow.h"
#include "widgets/launcherpanel.h"

#include "testsettings.h"
#include "testsupport.h"
#include "windowtestoptions.h"

#include <cmath>

#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace cs;
using namespace cs::ui;

/// The lab end to end on real clusters: a lesson run by the sequencer ends with a verdict from
/// what was measured, a policy comparison opens the comparison of its runs, Cancel stops
/// everything, and a load run started elsewhere is kept as a run too. The verdicts' logic is
/// tested on fed series in core's tst_lesson; here only short real runs.
class TestLabWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { cs::test::isolateSettings(); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_cluster = std::make_unique<ClusterAdapter>();
        m_load = std::make_unique<LoadAdapter>();
        m_launcher = std::make_unique<LauncherPanel>();
        m_launcher->applyOptions(cs::test::windowTestOptions());
        m_lab = std::make_unique<LabWindow>(m_cluster.get(), m_load.get(), m_launcher.get(), m_dir->path());
    }

    void cleanup()
    {
        if (m_lab->sequencer()->running())
            m_lab->sequencer()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!m_lab->sequencer()->running(), 20000);
        m_cluster->shutdown(5000);
        m_lab.reset();
        m_launcher.reset();
        m_load.reset();
        m_cluster.reset();
    }

    void crashLoopLessonEndsWithItsVerdict()
    {
        QSignalSpy judged(m_lab.get(), &LabWindow::lessonJudged);
        QCOMPARE(m_lab->runLesson(QStringLiteral("crash-loop")), QString());
        QVERIFY(m_lab->sequencer()->running());
        QTRY_COMPARE_WITH_TIMEOUT(judged.size(), 1, 60000);
        const QString text = judged.at(0).at(2).toString();
        // Back-off, a failed slot and a reset that brings it back are what the master does on
        // every machine: the verdict must say so, with the delays it measured.
        QVERIFY2(judged.at(0).at(1).toBool(), qPrintable(text));
        QVERIFY2(text.startsWith(QStringLiteral("As expected.")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("then the slot was marked failed")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Exits and respawns")), qPrintable(text));
        QCOMPARE(m_lab->verdictText(), text);
        QCOMPARE(m_store()->rowCount(), 1);
        const lab::RunSummary& s = m_store()->runs().front().summary;
        QVERIFY(s.crashes >= 5);
        QCOMPARE(s.failedSlots, 1);
        QVERIFY(!m_cluster->running());
    }

    void policyComparisonOpensTheComparison()
    {
        QSignalSpy done(m_lab.get(), &LabWindow::comparisonDone);
        QSignalSpy progress(m_lab->sequencer(), &LabSequencer::progressed);
        m_lab->setComparisonForm({ Policy::RoundRobin, Policy::Shared }, 2, 4, 1, true, QStringLiteral("/"));
        QCOMPARE(m_lab->runComparison(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 40000);
        QVERIFY(done.at(0).at(1).toBool());
        const QStringList ids = done.at(0).at(0).toStringList();
        QCOMPARE(ids.size(), 2);
        // Step by step, with the time left going down.
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.first().at(0).toInt(), 0);
        QCOMPARE(progress.first().at(1).toInt(), 2);
        bool sawSecond = false;
        for (const auto& p : progress)
            sawSecond = sawSecond || (p.at(0).toInt() == 1 && p.at(2).toString() == QStringLiteral("shared"));
        QVERIFY(sawSecond);
        // The comparison shows both, in order, with what the load measured.
        ComparisonModel* model = m_lab->comparison();
        QCOMPARE(model->runCount(), 2);
        QVERIFY(model->runLabel(0).startsWith(QStringLiteral("round-robin · 2 workers · 4 keep-alive")));
        QVERIFY(model->runLabel(1).startsWith(QStringLiteral("shared")));
        for (int column = 0; column < 2; ++column) {
            const LabRun* run = m_store()->find(ids[column]);
            QVERIFY(run && run->loadSummary);
            QVERIFY(model->value(ComparisonModel::Figure::Throughput, column) > 0);
            QCOMPARE(model->value(ComparisonModel::Figure::Requests, column), double(run->loadSummary->completed));
            QCOMPARE(model->value(ComparisonModel::Figure::Failed, column), 0.0);
            QCOMPARE(run->cluster.policy, column == 0 ? Policy::RoundRobin : Policy::Shared);
        }
        QVERIFY(!m_cluster->running());
    }

    void cancelStopsLoadAndCluster()
    {
        QSignalSpy done(m_lab.get(), &LabWindow::comparisonDone);
        m_lab->setComparisonForm({ Policy::RoundRobin, Policy::Shared }, 2, 2, 30, true, QStringLiteral("/"));
        QCOMPARE(m_lab->runComparison(), QString());
        QTRY_VERIFY_WITH_TIMEOUT(m_load->running(), 20000);
        m_lab->sequencer()->cancel();
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 20000);
        QVERIFY(!done.at(0).at(1).toBool());
        QVERIFY(!m_load->running());
        QTRY_VERIFY_WITH_TIMEOUT(!m_cluster->running(), 10000);
        // The interrupted load is still kept, as what it measured.
        QCOMPARE(m_store()->rowCount(), 1);
    }

    void aLoadStartedElsewhereIsKept()
    {
        m_cluster->start(m_launcher->config());
        QTRY_VERIFY_WITH_TIMEOUT(m_cluster->snapshot()->workers.size() == 2
                                     && m_cluster->snapshot()->workers[0].state == WorkerState::Online
                                     && m_cluster->snapshot()->workers[1].state == WorkerState::Online,
                                 15000);
        LoadOptions options;
        options.port = m_cluster->snapshot()->port;
        options.connections = 2;
        options.durationSeconds = 1;
        options.workers = 2;
        QCOMPARE(m_load->start(options), QString());
        QTRY_COMPARE_WITH_TIMEOUT(m_store()->rowCount(), 1, 10000);
        const LabRun& run = m_store()->runs().front();
        QVERIFY(run.loadSummary);
        QCOMPARE(run.summary.requests, run.loadSummary->completed);
        QVERIFY(run.summary.requests > 0);
        QVERIFY(run.snapshots.size() >= 2);
        QCOMPARE(run.cluster.workers, 2);

        // Kept on disk: a new store on the same folder (the window started again) has it,
        // figures and all; deleting it removes the file.
        const QStringList files = QDir(m_dir->path()).entryList({ QStringLiteral("*.jsonl") }, QDir::Files);
        QCOMPARE(files.size(), 1);
        RunStore again(m_dir->path());
        QCOMPARE(again.lastProblem(), QString());
        QCOMPARE(again.rowCount(), 1);
        const LabRun& back = again.runs().front();
        QCOMPARE(back.id, run.id);
        QCOMPARE(back.label(), run.label());
        QCOMPARE(back.summary.requests, run.summary.requests);
        QCOMPARE(back.summary.slots.size(), run.summary.slots.size());
        QCOMPARE(back.summary.slots[0].share, run.summary.slots[0].share);
        QCOMPARE(back.summary.failed, run.summary.failed);
        QCOMPARE(back.snapshots.size(), run.snapshots.size());
        QVERIFY(std::abs(back.summary.masterCpuPercent - run.summary.masterCpuPercent) < 0.1); // kept to 0.1 %
        again.remove({ back.id });
        QCOMPARE(again.rowCount(), 0);
        QVERIFY(QDir(m_dir->path()).entryList({ QStringLiteral("*.jsonl") }, QDir::Files).isEmpty());
    }

    void pinnedStepRunsPinned()
    {
        // The pinning lesson is listed with the others.
        const auto* list = m_lab->findChild<QListWidget*>(QStringLiteral("lessonList"));
        QVERIFY(list);
        QCOMPARE(list->count(), 7);
        QVERIFY(!list->findItems(QStringLiteral("Pinning: where the workers run"), Qt::MatchExactly).isEmpty());
        // Its pinned step, shortened to 1 s (the whole lesson is too slow for a test; its
        // verdict is tested in core's tst_lesson): the step's pin reaches the cluster, the
        // run says so, and no pinned worker is seen working on a second core.
        lab::LessonStep step = lab::findLesson("pinning", 2)->steps[1];
        QVERIFY(step.pin);
        step.load.durationSeconds = 1;
        ClusterConfig base = m_launcher->config();
        QVERIFY(!base.pin);
        base.workerProgram = withDefaults(base).workerProgram;
        m_lab->sequencer()->setBaseConfig(base);
        QSignalSpy finished(m_lab->sequencer(), &LabSequencer::finished);
        QCOMPARE(m_lab->sequencer()->start({ step }), QString());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 40000);
        QVERIFY2(finished.at(0).at(1).toBool(), qPrintable(finished.at(0).at(2).toString()));
        QCOMPARE(m_store()->rowCount(), 1);
        const LabRun& run = m_store()->runs().front();
        QVERIFY(run.cluster.pin);
        QVERIFY2(run.label().endsWith(QStringLiteral(" · pinned")), qPrintable(run.label()));
        QVERIFY(run.summary.requests > 0);
        int onOneCpu = 0; // samples whose affinity is one CPU (empty: not known yet)
        for (const Snapshot& snap : run.snapshots)
            for (const WorkerSample& w : snap.workers) {
                QVERIFY2(w.allowedCpus.size() <= 1, qPrintable(QString::number(w.allowedCpus.size())));
                onOneCpu += w.allowedCpus.size() == 1 ? 1 : 0;
            }
        QVERIFY(onOneCpu > 0);
        for (const lab::SlotFigures& f : run.summary.slots)
            QVERIFY2(f.coresSeen <= 1, qPrintable(QStringLiteral("worker %1 on %2 cores").arg(f.slot).arg(f.coresSeen)));
        QVERIFY(!m_cluster->running());
    }

private:
    RunStore* m_store() const { return m_lab->store(); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ClusterAdapter> m_cluster;
    std::unique_ptr<LoadAdapter> m_load;
    std::unique_ptr<LauncherPanel> m_launcher;
    std::unique_ptr<LabWindow> m_lab;
};

QTEST_MAIN(TestLabWindow)
#include "tst_labwindow.moc"
