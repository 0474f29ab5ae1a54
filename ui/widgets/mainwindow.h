#pragma once

#include "cli/options.h"
#include "master/snapshot.h"
#include "models/clustermodels.h"

#include <memory>

#include <QList>
#include <QSet>
#include <QMainWindow>

class QAction;
class QLabel;
class QSplitter;
class QTabWidget;
class QTimer;

namespace cs::ui {

class Banner;
class ChartGrid;
class ClusterAdapter;
class CoreLoadChart;
class DistributionChart;
class EventTimelineModel;
class FoldingPanes;
class HeatMapChart;
class LatencyChart;
class LabWindow;
class LauncherPanel;
class LoadPanel;
class LogModel;
class LogView;
class ReplayAdapter;
class ReplayBar;
class RestartTimelineChart;
class SessionRecorder;
class ShareModel;
class TimeSeriesModel;
class TimeView;
class TimeViewBar;
class WorkerRateChart;
class WorkerResourceChart;
class WorkerTableModel;
class WorkerTableView;

/// The monitor: launcher and load generator on the left; charts (core load, req/s per
/// worker, server time, share per worker, exits and respawns, where each worker ran) over the worker table and
/// the log on the right; a status bar with the totals. It fits a laptop: the charts reflow
/// into fewer columns, and the left column and the table/log pair fold into tabs, when the
/// window is too small to show them together. The data path: the adapter's snapshots and
/// events -> ClusterModels -> the widgets; refreshCharts() redraws at a steady rate.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const CliOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    ClusterAdapter* adapter() const { return m_adapter; }
    LauncherPanel* launcher() const { return m_launcher; }
    /// The one picture of the cluster every widget reads.
    ClusterModels* models() const { return m_models; }
    WorkerTableModel* workerModel() const { return m_models->workers(); }
    WorkerTableView* workerView() const { return m_workerView; }
    RestartTimelineChart* timelineChart() const { return m_timelineChart; }
    HeatMapChart* heatMapChart() const { return m_heatMapChart; }
    EventTimelineModel* timelineModel() const { return m_models->timeline(); }
    LogModel* logModel() const { return m_models->log(); }
    Banner* banner() const { return m_banner; }

    LoadPanel* loadPanel() const { return m_load; }
    /// Lessons, the policy comparison and the runs kept.
    LabWindow* lab() const { return m_lab; }
    WorkerRateChart* rateChart() const { return m_rateChart; }
    LatencyChart* latencyChart() const { return m_latencyChart; }
    DistributionChart* distributionChart() const { return m_distributionChart; }
    CoreLoadChart* coreChart() const { return m_coreChart; }
    WorkerResourceChart* resourceChart() const { return m_resourceChart; }
    /// The time range every time chart shows (one view: zoom one, all follow).
    TimeView* timeView() const { return m_timeView; }
    TimeViewBar* timeViewBar() const { return m_timeViewBar; }
    ChartGrid* chartGrid() const { return m_chartGrid; }
    /// The share chart and the heat map, as two tabs of one cell.
    QTabWidget* spreadTabs() const { return m_spreadTabs; }
    /// Launcher and load: together, or as tabs in a short window.
    FoldingPanes* controlPanes() const { return m_controlPanes; }
    /// Worker table and log: side by side, or as tabs in a narrow window.
    FoldingPanes* bottomPanes() const { return m_bottomPanes; }
    LogView* logView() const { return m_logView; }
    QString metricsText() const;

    /// Fills the launcher from a cluster definition (.toml or .json); a bad file is shown in
    /// the banner with its file:line message. True when loaded.
    bool openDefinition(const QString& path);
    /// Saves the launcher's cluster as a definition; a failure is shown in the banner.
    bool saveDefinition(const QString& path);
    /// Attaches to the cluster whose control socket is `path` (what Cluster → Attach does once
    /// the user picked one); a failure is shown in the banner. True when attached.
    bool attachTo(const QString& path);

    /// Closes as the close button does, but without the question whether to keep the cluster
    /// running: the remembered choice, else stop (a termination signal, a logout).
    void closeWithoutAsking();
    /// Replays a recording (File → Open recording…): the charts, the table, the log and the
    /// status bar show it as it was, the replay bar moves through it, and no cluster control
    /// works until the replay is closed. A bad file is shown in the banner. True when opened.
    bool openRecording(const QString& path);
    void closeRecording();
    ReplayAdapter* replay() const { return m_replay; }
    ReplayBar* replayBar() const { return m_replayBar; }
    /// What the window's cluster did since it started, and the file it is written to.
    SessionRecorder* session() const { return m_session; }
    /// Writes the cluster's session so far and everything after to `path` (File → Record to
    /// file…); a failure is shown in the banner. True when recording.
    bool startRecording(const QString& path);
    /// The replayed recording's tables, else the window's cluster's, into `directory` (File →
    /// Export CSV…). Empty when written, else one sentence (also shown in the banner).
    QString exportCsv(const QString& directory);
    /// The whole window as a PNG (File → Export dashboard as PNG…). Empty when saved.
    QString exportDashboardPng(const QString& path);

public Q_SLOTS:
    void startCluster();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildMenus();
    void onLaunchFailed(const QString& message, int field);
    void onRunningChanged(bool running);
    void refreshCharts();
    void showStatus(const ClusterStatus& status);
    void showRequestMetricsNote(bool known);
    void applyActions(const ClusterActions& actions);
    void showFailedSlots(const QList<int>& failed);
    /// Hands the window's cluster to a headless master; false when that failed and the user
    /// cancelled (then the window stays open).
    bool leaveClusterRunning();

    void buildFileMenu();

    ClusterAdapter* m_adapter;
    ClusterModels* m_models;
    ReplayAdapter* m_replay;
    SessionRecorder* m_session;
    ReplayBar* m_replayBar = nullptr;
    QLabel* m_statusReplay = nullptr;
    QLabel* m_statusRecording = nullptr;
    QAction* m_openRecordingAction = nullptr;
    QAction* m_recordAction = nullptr;
    QAction* m_stopRecordingAction = nullptr;
    QString m_recordOnStart; ///< --record in the window: the file the first cluster is recorded to

    LauncherPanel* m_launcher;
    LoadPanel* m_load;
    LabWindow* m_lab;
    Banner* m_banner;
    CoreLoadChart* m_coreChart;
    WorkerRateChart* m_rateChart;
    LatencyChart* m_latencyChart;
    DistributionChart* m_distributionChart;
    RestartTimelineChart* m_timelineChart;
    HeatMapChart* m_heatMapChart;
    QTabWidget* m_spreadTabs; ///< the share chart and the heat map, one cell
    WorkerResourceChart* m_resourceChart;
    TimeView* m_timeView;
    TimeViewBar* m_timeViewBar;
    ChartGrid* m_chartGrid;
    FoldingPanes* m_controlPanes;
    FoldingPanes* m_bottomPanes;
    WorkerTableView* m_workerView;
    LogView* m_logView;
    QSplitter* m_mainSplitter;
    QSplitter* m_bottomSplitter;
    QTimer* m_refresh;
    QLabel* m_statusRate;
    QLabel* m_statusFairness;
    QLabel* m_statusWorkers;
    QLabel* m_statusUptime;
    QLabel* m_statusPolicy;
    QLabel* m_statusPort;
    QLabel* m_statusMetrics;
    QLabel* m_statusChaos;
    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_rollingAction = nullptr;
    QAction* m_addAction = nullptr;
    QAction* m_removeAction = nullptr;
    QAction* m_attachAction = nullptr;
    QAction* m_detachAction = nullptr;
    QAction* m_keepRunningAction = nullptr;

    bool m_chartsDirty = false;
    bool m_closing = false;
    bool m_noQuestion = false; ///< closing on a signal: nobody is there to answer
    bool m_bottomTurnedOnce = false; ///< the table and log have been stacked before (their sizes set)
};

} // namespace cs::ui
