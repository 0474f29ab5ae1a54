// A recording made by a real headless master (a worker SIGKILLed in it), opened in the window:
// the models, the worker table and the status bar show the recorded snapshots as they were,
// at the end and wherever the slider goes; Play moves through it; no cluster control works
// during the replay. And the window's own side: Record to file, Export CSV, Export PNG.
#include "adapter/clusteradapter.h"
#include "adapter/replayadapter.h"
#include "adapter/sessionrecorder.h"
#include "models/logmodel.h"
#include "models/workertablemodel.h"
#include "record/recording.h"
#include "charts/coreloadchart.h"
#include "charts/distributionchart.h"
#include "charts/latencychart.h"
#include "charts/restarttimelinechart.h"
#include "charts/workerratechart.h"
#include "widgets/banner.h"
#include "widgets/imageexport.h"
#include "widgets/mainwindow.h"
#include "widgets/replaybar.h"
#include "widgets/workertableview.h"

#include "testsettings.h"
#include "testsupport.h"
#include "windowtestoptions.h"

#include <csignal>

#include <sys/wait.h>

#include <QAbstractScrollArea>
#include <QAction>
#include <QApplication>
#include <QContextMenuEvent>
#include <QTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace cs;
using namespace cs::ui;
using namespace std::chrono_literals;

namespace {

int rowOfSlot(const QAbstractItemModel* model, int slot)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, 0).data(WorkerTableModel::SlotRole).toInt() == slot)
            return r;
    return -1;
}

/// The table's rows say what `s` says, worker by worker.
bool tableShows(const QAbstractItemModel* model, const Snapshot& s, QString* why)
{
    if (model->rowCount() != int(s.workers.size())) {
        *why = QStringLiteral("%1 rows for %2 workers").arg(model->rowCount()).arg(s.workers.size());
        return false;
    }
    for (const WorkerSample& w : s.workers) {
        const int row = rowOfSlot(model, w.slot);
        if (row < 0) {
            *why = QStringLiteral("no row for slot %1").arg(w.slot);
            return false;
        }
        const auto data = [&](int column, int role) { return model->index(row, column).data(role); };
        if (data(0, WorkerTableModel::StateRole).toInt() != int(w.state)
            || data(WorkerTableModel::Requests, WorkerTableModel::SortRole).toULongLong() != w.requests
            || data(WorkerTableModel::Restarts, WorkerTableModel::SortRole).toInt() != w.restarts
            || (w.pid > 0 && data(WorkerTableModel::Pid, Qt::DisplayRole).toInt() != w.pid)) {
            *why = QStringLiteral("slot %1: state %2 requests %3 restarts %4 pid %5; recorded %6 %7 %8 %9")
                       .arg(w.slot)
                       .arg(data(0, WorkerTableModel::StateRole).toInt())
                       .arg(data(WorkerTableModel::Requests, WorkerTableModel::SortRole).toULongLong())
                       .arg(data(WorkerTableModel::Restarts, WorkerTableModel::SortRole).toInt())
                       .arg(data(WorkerTableModel::Pid, Qt::DisplayRole).toString())
                       .arg(int(w.state))
                       .arg(w.requests)
                       .arg(w.restarts)
                       .arg(w.pid);
            return false;
        }
    }
    return true;
}

} // namespace

class TestReplay : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init() { QSettings().clear(); }
    void opensOnTheLastRecordedSnapshot();
    void seeksBackAndPlaysForward();
    void aBadFileIsOneSentenceInTheBanner();
    void exportsCsvAndPng();
    void recordsTheWindowsClusterToAFile();

private:
    QTemporaryDir m_dir;
    QString m_path;
    Recording m_recording;
    int m_victim = 0;
};

// One real run for every test: 2 workers, some requests, worker 1 SIGKILLed and respawned.
void TestReplay::initTestCase()
{
    cs::test::isolateSettings();
    QSettings().clear();
    m_path = m_dir.filePath(QStringLiteral("run.jsonl"));
    cs::test::ChildProcess master(cs::test::binDir() + "/clusterscope",
                                  { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100",
                                    "--record", m_path.toStdString() });
    QVERIFY(master.start());
    const auto port = cs::test::jsonPort(master);
    QVERIFY(port != 0);
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    for (int i = 0; i < 20; ++i)
        QCOMPARE(cs::test::httpGet(port, "/").status, 200);
    const auto recordedRequests = [&] {
        auto read = readRecording(m_path.toStdString());
        return std::holds_alternative<Recording>(read) && !std::get<Recording>(read).snapshots.empty()
            ? std::get<Recording>(read).snapshots.back().totalRequests
            : std::uint64_t(0);
    };
    // Counted before the kill: a SIGKILLed worker's last interval never reaches the master.
    QVERIFY(cs::test::waitFor([&] { return recordedRequests() >= 20; }, 10s));
    m_victim = workers[0];
    ::kill(m_victim, SIGKILL);
    QCOMPARE(cs::test::onlineWorkerPids(master, 2, { m_victim }).size(), std::size_t { 2 });
    for (int i = 0; i < 10; ++i)
        QCOMPARE(cs::test::httpGet(port, "/").status, 200);
    // A snapshot that counted those requests is in the file before the stop.
    QVERIFY(cs::test::waitFor([&] { return recordedRequests() >= 30; }, 10s));
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    auto read = readRecording(m_path.toStdString());
    QVERIFY(std::holds_alternative<Recording>(read));
    m_recording = std::get<Recording>(std::move(read));
    QVERIFY(m_recording.snapshots.size() >= 4);
}

void TestReplay::opensOnTheLastRecordedSnapshot()
{
    MainWindow window(cs::test::windowTestOptions());
    window.resize(1280, 800);
    window.show();
    QVERIFY(window.openRecording(m_path));
    ReplayAdapter* replay = window.replay();
    QVERIFY(replay->active());
    QVERIFY(!window.adapter()->running());

    const Snapshot& last = m_recording.snapshots.back();
    QVERIFY(window.models()->snapshot());
    QCOMPARE(window.models()->snapshot()->sequence, last.sequence);
    QCOMPARE(window.models()->snapshot()->totalRequests, last.totalRequests);
    QString why;
    QVERIFY2(tableShows(window.workerModel(), last, &why), qPrintable(why));
    // The kill is in the log as it was recorded.
    bool killSeen = false;
    for (int r = 0; r < window.logModel()->rowCount(); ++r)
        for (int c = 0; c < window.logModel()->columnCount(); ++c)
            killSeen = killSeen || window.logModel()->index(r, c).data().toString().contains(QString::number(m_victim));
    QVERIFY(killSeen);

    // Nobody takes it for a live cluster, and nothing can be started, stopped or scaled.
    auto* status = window.findChild<QLabel*>(QStringLiteral("replayStatus"));
    QVERIFY(status && status->isVisible());
    QCOMPARE(status->text(), QStringLiteral("replay of run.jsonl"));
    QVERIFY(window.windowTitle().contains(QStringLiteral("replay")));
    for (const char* name : { "startAction", "stopAction", "rollingRestartAction", "addWorkerAction", "removeWorkerAction",
                              "attachAction", "recordAction" }) {
        auto* action = window.findChild<QAction*>(QString::fromLatin1(name));
        QVERIFY2(action && !action->isEnabled(), name);
    }
    QVERIFY(!window.findChild<QPushButton*>(QStringLiteral("startButton"))->isEnabled());
    QVERIFY(window.replayBar()->isVisible());
    QCOMPARE(window.replayBar()->slider()->value(), window.replayBar()->slider()->maximum());

    // Closing the replay frees the window for a cluster of its own.
    window.closeRecording();
    QVERIFY(!replay->active());
    QVERIFY(!status->isVisible());
    QVERIFY(!window.replayBar()->isVisible());
    QVERIFY(window.findChild<QAction*>(QStringLiteral("startAction"))->isEnabled());
}

void TestReplay::seeksBackAndPlaysForward()
{
    MainWindow window(cs::test::windowTestOptions());
    window.show();
    QVERIFY(window.openRecording(m_path));
    ReplayAdapter* replay = window.replay();
    const auto& snapshots = m_recording.snapshots;

    // Back to the first snapshot: the models start afresh and show it alone.
    replay->seek(snapshots.front().clusterUptimeSeconds);
    QCOMPARE(window.models()->snapshot()->sequence, snapshots.front().sequence);
    QString why;
    QVERIFY2(tableShows(window.workerModel(), snapshots.front(), &why), qPrintable(why));
    // To one in the middle, by the slider as a user drags it.
    const Snapshot& middle = snapshots[snapshots.size() / 2];
    window.replayBar()->slider()->setValue(int(std::lround(middle.clusterUptimeSeconds * 1000)));
    QCOMPARE(window.models()->snapshot()->sequence, middle.sequence);
    QVERIFY2(tableShows(window.workerModel(), middle, &why), qPrintable(why));

    // Play from the start at 10x: time moves, snapshot after snapshot, to the end.
    replay->seek(replay->start());
    replay->setSpeed(10);
    QTest::mouseClick(window.replayBar()->playButton(), Qt::LeftButton);
    QVERIFY(replay->playing());
    const double from = replay->position();
    QTRY_VERIFY_WITH_TIMEOUT(replay->position() > from && window.models()->snapshot()
                                 && window.models()->snapshot()->sequence > snapshots.front().sequence,
                             5000);
    QTRY_VERIFY_WITH_TIMEOUT(!replay->playing(), 20000);
    QCOMPARE(replay->position(), replay->end());
    QCOMPARE(window.models()->snapshot()->sequence, snapshots.back().sequence);
    QVERIFY2(tableShows(window.workerModel(), snapshots.back(), &why), qPrintable(why));
    QVERIFY(window.replayBar()->timeText().endsWith(window.replayBar()->timeText().section(QLatin1Char('/'), 0, 0).trimmed()));
}

void TestReplay::aBadFileIsOneSentenceInTheBanner()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("notes.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("shopping list\n");
    file.close();
    MainWindow window(cs::test::windowTestOptions());
    window.show();
    QVERIFY(!window.openRecording(path));
    QVERIFY(!window.replay()->active());
    QVERIFY(window.banner()->isVisible());
    QVERIFY2(window.banner()->text().contains(path + QStringLiteral(" is not a Clusterscope recording")),
             qPrintable(window.banner()->text()));
    QVERIFY(window.findChild<QAction*>(QStringLiteral("startAction"))->isEnabled());
}

void TestReplay::exportsCsvAndPng()
{
    MainWindow window(cs::test::windowTestOptions());
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openRecording(m_path));
    QTemporaryDir out;
    QCOMPARE(window.exportCsv(out.path()), QString());
    for (const char* name : { "workers", "cores", "cluster", "events" }) {
        QFile table(out.filePath(QStringLiteral("run-%1.csv").arg(QLatin1String(name))));
        QVERIFY2(table.open(QIODevice::ReadOnly), name);
        QVERIFY(table.readLine().startsWith("time_s,"));
    }
    QFile workers(out.filePath(QStringLiteral("run-workers.csv")));
    QVERIFY(workers.open(QIODevice::ReadOnly));
    qsizetype rows = 0;
    for (const auto& s : m_recording.snapshots)
        rows += qsizetype(s.workers.size());
    QCOMPARE(workers.readAll().count("\r\n"), rows + 1);

    // Every chart offers Save as PNG… on right-click, and saves what it shows.
    const QList<QWidget*> charts = { window.coreChart(), window.rateChart(), window.latencyChart(),
                                     window.distributionChart(), window.timelineChart() };
    for (QWidget* chart : charts) {
        QCOMPARE(chart->contextMenuPolicy(), Qt::CustomContextMenu);
        // A right-click on the plot opens the menu (closed again unpicked).
        QStringList offered;
        QTimer::singleShot(100, [&offered] {
            if (QWidget* popup = QApplication::activePopupWidget()) {
                for (QAction* action : popup->actions())
                    offered.append(action->text());
                popup->close();
            }
        });
        QWidget* plot = static_cast<QAbstractScrollArea*>(chart)->viewport();
        QContextMenuEvent click(QContextMenuEvent::Mouse, QPoint(40, 40), plot->mapToGlobal(QPoint(40, 40)));
        QApplication::sendEvent(plot, &click);
        QCOMPARE(offered, QStringList { QStringLiteral("Save as PNG…") });
        const QString file = out.filePath(chart->objectName() + QStringLiteral(".png"));
        QCOMPARE(saveWidgetPng(chart, file), QString());
        QCOMPARE(QImage(file).size(), chart->size() * chart->devicePixelRatio());
    }
    const QString png = out.filePath(QStringLiteral("dashboard.png"));
    QCOMPARE(window.exportDashboardPng(png), QString());
    QImage image(png);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), window.size() * window.devicePixelRatio());
    QCOMPARE(window.exportDashboardPng(QStringLiteral("/nonexistent/dir/x.png")).isEmpty(), false);
}

void TestReplay::recordsTheWindowsClusterToAFile()
{
    MainWindow window(cs::test::windowTestOptions());
    window.show();
    QVERIFY(!window.findChild<QAction*>(QStringLiteral("recordAction"))->isEnabled()); // nothing runs
    window.startCluster();
    QVERIFY(window.adapter()->running());
    QTRY_VERIFY_WITH_TIMEOUT(window.models()->snapshot() && window.models()->snapshot()->workers.size() == 2
                                 && window.models()->snapshot()->workers[0].state == WorkerState::Online
                                 && window.models()->snapshot()->workers[1].state == WorkerState::Online,
                             15000);
    QVERIFY(window.findChild<QAction*>(QStringLiteral("recordAction"))->isEnabled());
    QVERIFY(!window.findChild<QAction*>(QStringLiteral("openRecordingAction"))->isEnabled());
    // The session so far must hold a snapshot from before the click: on a fast machine the
    // first one the window gets may already show both workers online.
    const std::uint64_t seen = window.models()->snapshot()->sequence;
    QTRY_VERIFY_WITH_TIMEOUT(window.models()->snapshot()->sequence > seen, 10000);
    QTemporaryDir out;
    const QString path = out.filePath(QStringLiteral("window.jsonl"));
    QVERIFY(window.startRecording(path));
    auto* recording = window.findChild<QLabel*>(QStringLiteral("recordingStatus"));
    QVERIFY(recording && recording->isVisible());
    QVERIFY(recording->text().contains(QStringLiteral("window.jsonl")));
    const std::uint64_t first = window.models()->snapshot()->sequence;
    QTRY_VERIFY_WITH_TIMEOUT(window.models()->snapshot()->sequence >= first + 3, 10000);
    window.adapter()->stop();
    // The stop's last events and snapshot reach the window after the master has ended; the
    // file closes with them.
    QTRY_VERIFY_WITH_TIMEOUT(!window.adapter()->running() && !recording->isVisible(), 15000);

    auto read = readRecording(path.toStdString());
    QVERIFY2(std::holds_alternative<Recording>(read), std::get_if<RecordingError>(&read) ? std::get<RecordingError>(read).message.c_str() : "");
    const Recording& r = std::get<Recording>(read);
    QCOMPARE(r.header.cluster.workers, 2);
    QVERIFY(r.snapshots.size() >= 4);
    // From the cluster's start, not only from the click: the session so far comes first.
    QVERIFY(r.snapshots.front().sequence < first);
    for (std::size_t i = 1; i < r.snapshots.size(); ++i)
        QVERIFY(r.snapshots[i].sequence > r.snapshots[i - 1].sequence);
    QVERIFY(std::count_if(r.events.begin(), r.events.end(), [](const Event& e) { return e.kind == EventKind::Fork; }) >= 2);
    QCOMPARE(r.events.back().kind, EventKind::Stopped);

    // And it replays in the same window, now that nothing runs.
    QVERIFY(window.openRecording(path));
    QCOMPARE(window.models()->snapshot()->sequence, r.snapshots.back().sequence);
}

QTEST_MAIN(TestReplay)
#include "tst_replay.moc"
