#include "widgets/mainwindow.h"

#include "adapter/clusteradapter.h"
#include "adapter/replayadapter.h"
#include "adapter/sessionrecorder.h"
#include "charts/coreloadchart.h"
#include "charts/distributionchart.h"
#include "charts/heatmapchart.h"
#include "charts/latencychart.h"
#include "charts/restarttimelinechart.h"
#include "charts/timeview.h"
#include "charts/workerresourcechart.h"
#include "cli/configfile.h"
#include "control/client.h"
#include "messages/wording.h"
#include "charts/workerratechart.h"
#include "models/clustermodels.h"
#include "models/eventtimelinemodel.h"
#include "models/logmodel.h"
#include "models/sharemodel.h"
#include "models/timeseriesmodel.h"
#include "models/workertablemodel.h"
#include "record/csvexport.h"
#include "widgets/banner.h"
#include "widgets/chartgrid.h"
#include "widgets/foldingpanes.h"
#include "widgets/imageexport.h"
#include "widgets/labwindow.h"
#include "widgets/launcherpanel.h"
#include "widgets/loadpanel.h"
#include "widgets/logview.h"
#include "widgets/replaybar.h"
#include "widgets/timeviewbar.h"
#include "widgets/workertableview.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QCheckBox>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace cs::ui {

namespace {

constexpr int kRefreshMs = 250; // charts redraw at most 4 times a second, only when new data came
constexpr int kShutdownMs = 6000;
// What closing the window does to a cluster it launched: "ask" (until the user chose and
// kept the choice), "leave" it running headless, or "stop" it.
const QString kWhenClosingKey = QStringLiteral("cluster/whenWindowCloses");
constexpr int kLogMinWidth = 320; // the log beside the table is worth it from this width on

QLabel* statusLabel(QWidget* parent, const QString& tip)
{
    auto* label = new QLabel(parent);
    label->setToolTip(tip);
    label->setContentsMargins(8, 0, 8, 0);
    return label;
}

} // namespace

MainWindow::MainWindow(const CliOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , m_adapter(new ClusterAdapter(this))
    , m_models(new ClusterModels(this))
    , m_replay(new ReplayAdapter(m_models, this))
    , m_session(new SessionRecorder(this))
    , m_refresh(new QTimer(this))
{
    m_recordOnStart = QString::fromStdString(options.recordFile);
    setWindowTitle(tr("Clusterscope"));
    setObjectName(QStringLiteral("mainWindow"));

    // Left column: what to run and what load to throw at it; one above the other while
    // they fit the window's height, else as two tabs.
    m_launcher = new LauncherPanel;
    m_launcher->applyOptions(options);
    m_load = new LoadPanel;
    auto* controlsTogether = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controlsTogether);
    controlsLayout->setContentsMargins(0, 0, 0, 0);
    controlsLayout->addStretch(1);
    m_controlPanes = new FoldingPanes(controlsTogether);
    m_controlPanes->setObjectName(QStringLiteral("controlPanes"));
    m_controlPanes->addPane(m_launcher, tr("Cluster"));
    m_controlPanes->addPane(m_load, tr("Load"));
    m_controlPanes->setFits([this, controlsLayout](const QSize& size) {
        auto heightAt = [&](QWidget* pane) {
            const int h = pane->hasHeightForWidth() ? pane->heightForWidth(size.width()) : -1;
            return h >= 0 ? h : pane->sizeHint().height();
        };
        return heightAt(m_launcher) + controlsLayout->spacing() + heightAt(m_load) <= size.height();
    });
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(6, 6, 6, 6);
    leftLayout->addWidget(m_controlPanes);
    // Only when even one tab is taller than the window does the column scroll.
    auto* leftScroll = new QScrollArea;
    leftScroll->setObjectName(QStringLiteral("controlScroll"));
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setMinimumWidth(left->minimumSizeHint().width());

    // Right: banner, charts over table + log.
    m_banner = new Banner;
    m_coreChart = new CoreLoadChart(m_models->coreSeries());
    m_rateChart = new WorkerRateChart(m_models->rateSeries());
    m_latencyChart = new LatencyChart(m_models->latencySeries());
    m_distributionChart = new DistributionChart(m_models->share());
    m_timelineChart = new RestartTimelineChart(m_models->timeline());
    m_heatMapChart = new HeatMapChart(m_models->heatMap());
    m_resourceChart = new WorkerResourceChart(m_models->memorySeries(), m_models->cpuSeries());
    m_resourceChart->setObjectName(QStringLiteral("resourceChart"));
    // One time view for every time chart: zoom or pan one, and all follow.
    m_timeView = new TimeView(this);
    for (TimeChart* chart : std::initializer_list<TimeChart*> { m_coreChart, m_rateChart, m_latencyChart, m_resourceChart,
                                                                m_timelineChart })
        chart->setTimeView(m_timeView);
    m_timeViewBar = new TimeViewBar(m_timeView);
    m_coreChart->setObjectName(QStringLiteral("coreLoadChart"));
    m_rateChart->setObjectName(QStringLiteral("workerRateChart"));
    m_latencyChart->setObjectName(QStringLiteral("latencyChart"));
    m_distributionChart->setObjectName(QStringLiteral("distributionChart"));
    m_timelineChart->setObjectName(QStringLiteral("restartTimelineChart"));
    m_heatMapChart->setObjectName(QStringLiteral("heatMapChart"));
    // Three columns where the width allows, fewer below; a short window scrolls the charts
    // rather than squeezing them.
    m_chartGrid = new ChartGrid;
    m_chartGrid->setObjectName(QStringLiteral("chartGrid"));
    // Two views of how the work spread share one cell, as tabs: over workers (the share) and
    // over cores (where each worker ran). Seven cells would need a third row, which a laptop's
    // window cannot show without scrolling.
    m_spreadTabs = new QTabWidget;
    m_spreadTabs->setObjectName(QStringLiteral("spreadTabs"));
    m_spreadTabs->setDocumentMode(true);
    m_spreadTabs->addTab(m_distributionChart, tr("Share per worker"));
    m_spreadTabs->addTab(m_heatMapChart, tr("Worker × core"));
    m_spreadTabs->setTabToolTip(0, tr("How the requests and connections spread over the workers"));
    m_spreadTabs->setTabToolTip(1, tr("Where each worker ran: its share of samples on each core"));
    for (QWidget* chart : std::initializer_list<QWidget*> { m_coreChart, m_rateChart, m_latencyChart, m_resourceChart,
                                                            m_spreadTabs, m_timelineChart })
        m_chartGrid->addChart(chart);
    // Right-click on a chart: Save as PNG…
    addSaveAsPng(m_coreChart, QStringLiteral("core-load.png"));
    addSaveAsPng(m_rateChart, QStringLiteral("requests-per-worker.png"));
    addSaveAsPng(m_latencyChart, QStringLiteral("server-time.png"));
    addSaveAsPng(m_distributionChart, QStringLiteral("share-per-worker.png"));
    addSaveAsPng(m_timelineChart, QStringLiteral("exits-and-respawns.png"));
    addSaveAsPng(m_resourceChart, QStringLiteral("memory-and-cpu-per-worker.png"));
    addSaveAsPng(m_heatMapChart, QStringLiteral("worker-by-core.png"));
    auto* chartScroll = new QScrollArea;
    chartScroll->setObjectName(QStringLiteral("chartScroll"));
    chartScroll->setWidget(m_chartGrid);
    chartScroll->setWidgetResizable(true);
    chartScroll->setFrameShape(QFrame::NoFrame);
    chartScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    chartScroll->setMinimumWidth(m_chartGrid->minimumSizeHint().width()
                                 + chartScroll->verticalScrollBar()->sizeHint().width());

    // Table and log side by side while the table's columns all fit beside a readable log,
    // else one above the other while a few rows and lines of each fit, else as two tabs.
    m_workerView = new WorkerTableView(m_models->workers());
    m_logView = new LogView(m_models->log());
    m_bottomSplitter = new QSplitter(Qt::Horizontal);
    m_bottomSplitter->setChildrenCollapsible(false);
    m_bottomPanes = new FoldingPanes(m_bottomSplitter);
    m_bottomPanes->setObjectName(QStringLiteral("bottomPanes"));
    m_bottomPanes->addPane(m_workerView, tr("Workers"));
    m_bottomPanes->addPane(m_logView, tr("Log"));
    m_bottomSplitter->setStretchFactor(0, 3);
    m_bottomSplitter->setStretchFactor(1, 2);
    m_bottomPanes->setFits([this](const QSize& size) {
        return m_workerView->fullWidth() + m_bottomSplitter->handleWidth() + kLogMinWidth <= size.width();
    });
    // Too narrow for both side by side, but tall enough for a few rows over a few lines.
    m_bottomPanes->setTurnedFits([this](const QSize& size) {
        const int height = m_workerView->heightForRows(3) + m_bottomSplitter->handleWidth() + m_logView->heightForLines(4);
        return m_workerView->fullWidth() <= size.width() && height <= size.height();
    });
    connect(m_bottomPanes, &FoldingPanes::modeChanged, this, [this](FoldingPanes::Mode mode) {
        // The first time they stack: the table as tall as its rows (the log takes the rest).
        if (mode != FoldingPanes::Mode::Turned || m_bottomTurnedOnce)
            return;
        m_bottomTurnedOnce = true;
        const int total = m_bottomSplitter->height() - m_bottomSplitter->handleWidth();
        const int table = std::min(m_workerView->heightForRows(std::max(3, m_models->workers()->rowCount())), total / 2);
        m_bottomSplitter->setSizes({ table, total - table });
    });
    m_mainSplitter = new QSplitter(Qt::Vertical);
    m_mainSplitter->addWidget(chartScroll);
    m_mainSplitter->addWidget(m_bottomPanes);
    m_mainSplitter->setStretchFactor(0, 3);
    m_mainSplitter->setStretchFactor(1, 2);
    m_mainSplitter->setChildrenCollapsible(false);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 6, 6, 0);
    rightLayout->setSpacing(6);
    rightLayout->addWidget(m_banner);
    m_replayBar = new ReplayBar(m_replay);
    rightLayout->addWidget(m_replayBar);
    rightLayout->addWidget(m_mainSplitter, 1);

    auto* top = new QSplitter(Qt::Horizontal);
    top->setObjectName(QStringLiteral("topSplitter"));
    top->addWidget(leftScroll);
    top->addWidget(right);
    top->setStretchFactor(0, 0);
    top->setStretchFactor(1, 1);
    top->setChildrenCollapsible(false);
    setCentralWidget(top);

    m_statusRate = statusLabel(this, tr("Requests per second served by all workers"));
    m_statusFairness = statusLabel(this, tr("Jain's fairness index over every worker's request count, a "
                                            "worker that got none included: 1 = perfectly even, 1/N = one "
                                            "worker takes all; – until the first request"));
    m_statusFairness->setObjectName(QStringLiteral("statusFairness"));
    m_statusWorkers = statusLabel(this, tr("Workers online out of all slots"));
    m_statusUptime = statusLabel(this, tr("How long the cluster has been running"));
    m_statusPolicy = statusLabel(this, tr("The scheduling policy in force"));
    m_statusPort = statusLabel(this, tr("Where the cluster listens"));
    m_statusMetrics = statusLabel(this, tr("Where Prometheus can scrape this cluster's metrics"));
    m_statusMetrics->setObjectName(QStringLiteral("metricsStatus"));
    m_statusMetrics->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusMetrics->hide();
    // A fault injector must never be on unnoticed.
    m_statusChaos = statusLabel(this, tr("Chaos is on: GET /crash makes a worker abort, and the table's menu can crash one"));
    m_statusChaos->setObjectName(QStringLiteral("chaosStatus"));
    m_statusChaos->setText(tr("chaos on"));
    m_statusChaos->setStyleSheet(QStringLiteral("QLabel { color: white; background: #b3261e; padding: 0 6px; font-weight: bold; }"));
    m_statusChaos->hide();
    // A replay or a recording must never pass for a live cluster, nor go on unnoticed.
    m_statusReplay = statusLabel(this, tr("What you see is a recording, not a running cluster"));
    m_statusReplay->setObjectName(QStringLiteral("replayStatus"));
    m_statusReplay->setStyleSheet(QStringLiteral("QLabel { color: white; background: #1a5fb4; padding: 0 6px; font-weight: bold; }"));
    m_statusReplay->hide();
    m_statusRecording = statusLabel(this, tr("The cluster's snapshots and events are being written to this file"));
    m_statusRecording->setObjectName(QStringLiteral("recordingStatus"));
    m_statusRecording->hide();
    for (QLabel* label : { m_statusReplay, m_statusRecording })
        statusBar()->addPermanentWidget(label);
    for (QLabel* label : { m_statusChaos, m_statusRate, m_statusFairness, m_statusWorkers, m_statusUptime, m_statusPolicy,
                           m_statusPort, m_statusMetrics })
        statusBar()->addPermanentWidget(label);
    statusBar()->showMessage(tr("Stopped. Press F5 to start a cluster."));

    // Before the menus that open it; it keeps every load run from now on.
    m_lab = new LabWindow(m_adapter, m_load->adapter(), m_launcher, LabWindow::defaultRunsDirectory(), this);
    buildMenus();
    // Pause / Live, Reset view and what the charts show, in the menu bar's spare width: a
    // row of its own would take height the charts need in a laptop-sized window.
    menuBar()->setCornerWidget(m_timeViewBar, Qt::TopRightCorner);

    connect(m_launcher, &LauncherPanel::startRequested, m_adapter, [this](const cs::ClusterConfig& config) {
        m_adapter->setMetricsPort(m_launcher->metricsPort());
        m_adapter->start(config);
    });
    connect(m_launcher, &LauncherPanel::stopRequested, m_adapter, &ClusterAdapter::stop);
    // The status bar never says "Press F5" while a field says why F5 would fail.
    connect(m_launcher, &LauncherPanel::problemChanged, this, [this](const QString& message) {
        if (m_adapter->running())
            return;
        statusBar()->showMessage(message.isEmpty() ? tr("Stopped. Press F5 to start a cluster.")
                                                   : tr("Not started: %1").arg(message));
    });
    connect(m_launcher, &LauncherPanel::rollingRestartRequested, m_adapter, &ClusterAdapter::rollingRestart);
    connect(m_launcher, &LauncherPanel::scaleUpRequested, m_adapter, &ClusterAdapter::scaleUp);
    connect(m_launcher, &LauncherPanel::scaleDownRequested, m_adapter, &ClusterAdapter::scaleDown);
    // The data path: adapter -> models (the one picture of the cluster) -> widgets.
    connect(m_adapter, &ClusterAdapter::snapshotReady, m_models,
            qOverload<const std::shared_ptr<const Snapshot>&>(&ClusterModels::apply));
    connect(m_adapter, &ClusterAdapter::eventsArrived, m_models, qOverload<const QList<Event>&>(&ClusterModels::apply));
    connect(m_adapter, &ClusterAdapter::snapshotReady, m_session, &SessionRecorder::addSnapshot);
    connect(m_adapter, &ClusterAdapter::eventsArrived, m_session, &SessionRecorder::addEvents);
    connect(m_session, &SessionRecorder::fileRecordingChanged, this, [this](bool recording) {
        m_statusRecording->setText(recording ? tr("● recording to %1").arg(QFileInfo(m_session->filePath()).fileName()) : QString());
        m_statusRecording->setVisible(recording);
        applyActions(m_models->actions());
    });
    connect(m_session, &SessionRecorder::fileFailed, this, [this](const QString& message) {
        m_banner->showMessage(Banner::Kind::Warning, message);
    });
    connect(m_replay, &ReplayAdapter::activeChanged, this, [this] { applyActions(m_models->actions()); });
    connect(m_replayBar, &ReplayBar::closeRequested, this, &MainWindow::closeRecording);
    connect(m_models, &ClusterModels::changed, this, [this] { m_chartsDirty = true; });
    connect(m_models, &ClusterModels::actionsChanged, this, &MainWindow::applyActions);
    connect(m_models, &ClusterModels::failedSlotsChanged, this, &MainWindow::showFailedSlots);
    connect(m_models, &ClusterModels::statusChanged, this, &MainWindow::showStatus);
    connect(m_models, &ClusterModels::requestMetricsKnownChanged, this, &MainWindow::showRequestMetricsNote);
    connect(m_models, &ClusterModels::workerCountScaled, m_launcher, &LauncherPanel::setWorkerCount);
    connect(m_adapter, &ClusterAdapter::launchFailed, this, &MainWindow::onLaunchFailed);
    connect(m_adapter, &ClusterAdapter::attachedMessage, this, [this](const QString& message) {
        statusBar()->showMessage(message, 8000);
        m_models->log()->addNote(m_models->now(), message);
    });
    connect(m_adapter, &ClusterAdapter::runningChanged, this, &MainWindow::onRunningChanged);
    connect(m_workerView, &WorkerTableView::signalRequested, m_adapter, &ClusterAdapter::killWorker);
    connect(m_workerView, &WorkerTableView::resetRequested, m_adapter, &ClusterAdapter::resetSlot);
    connect(m_workerView, &WorkerTableView::crashRequested, m_adapter, &ClusterAdapter::crashWorker);
    // The failed-slot banner's button brings back every failed slot: the cause is usually
    // shared (a bad build, a missing file), and the banner speaks of the latest one only.
    connect(m_banner, &Banner::actionTriggered, m_adapter, [this](int slot) {
        if (slot > 0)
            m_adapter->resetFailedSlots();
    });
    connect(m_adapter, &ClusterAdapter::metricsUrlChanged, this, [this](const QString& url) {
        m_statusMetrics->setText(url.isEmpty() ? QString() : tr("metrics %1").arg(url));
        m_statusMetrics->setVisible(!url.isEmpty());
    });
    connect(m_adapter, &ClusterAdapter::metricsFailed, this, [this](const QString& message) {
        m_banner->showMessage(Banner::Kind::Warning, tr("The cluster runs, but its metrics endpoint could not start: %1").arg(message));
    });
    // The share chart and the status bar's fairness count one load run at a time.
    connect(m_load, &LoadPanel::started, m_models->share(), &ShareModel::markLoadRun);
    connect(m_load, &LoadPanel::finished, this, [this](const QString& summary) {
        m_models->share()->endLoadRun();
        m_models->log()->addNote(m_models->now(), tr("Load finished: %1").arg(summary));
    });
    connect(m_refresh, &QTimer::timeout, this, [this] {
        if (m_chartsDirty)
            refreshCharts();
    });
    m_refresh->start(kRefreshMs);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        // First run: most of the screen (a monitor wants room), never more than it.
        const QRect available = screen() ? screen()->availableGeometry() : QRect(0, 0, 1440, 900);
        const QSize size = available.size().boundedTo(QSize(1920, 1200));
        resize(size);
        move(available.topLeft() + QPoint((available.width() - size.width()) / 2, (available.height() - size.height()) / 2));
    }
    // First run: charts two thirds, table and log one third; the table gets room for its columns.
    // QSplitter scales these proportions to its real size when it is first laid out.
    if (!m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray()))
        m_mainSplitter->setSizes({ 680, 320 });
    if (!m_bottomSplitter->restoreState(settings.value(QStringLiteral("window/bottomSplitter")).toByteArray()))
        m_bottomSplitter->setSizes({ 630, 370 });
    onRunningChanged(false);
    showStatus(m_models->status());
    applyActions(m_models->actions());
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    buildFileMenu();
    QMenu* cluster = menuBar()->addMenu(tr("&Cluster"));
    auto add = [&](const QString& text, const QKeySequence& key, const QString& tip, auto slot) {
        QAction* action = cluster->addAction(text);
        action->setShortcut(key);
        action->setToolTip(tip);
        action->setStatusTip(tip);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    m_startAction = add(tr("&Start"), QKeySequence(Qt::Key_F5), tr("Fork the workers and start serving"),
                        [this] { startCluster(); });
    m_stopAction = add(tr("S&top"), QKeySequence(Qt::SHIFT | Qt::Key_F5), tr("Stop gracefully"), [this] { m_adapter->stop(); });
    m_rollingAction = add(tr("&Rolling restart"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                          tr("Replace every worker one by one"), [this] { m_adapter->rollingRestart(); });
    m_addAction = add(tr("&Add a worker"), QKeySequence(Qt::CTRL | Qt::Key_Plus), tr("Fork one more worker"),
                      [this] { m_adapter->scaleUp(); });
    m_addAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence(Qt::CTRL | Qt::Key_Equal) });
    m_removeAction = add(tr("R&emove a worker"), QKeySequence(Qt::CTRL | Qt::Key_Minus), tr("Drain and stop the highest slot"),
                         [this] { m_adapter->scaleDown(); });
    m_startAction->setObjectName(QStringLiteral("startAction"));
    m_stopAction->setObjectName(QStringLiteral("stopAction"));
    m_rollingAction->setObjectName(QStringLiteral("rollingRestartAction"));
    m_addAction->setObjectName(QStringLiteral("addWorkerAction"));
    m_removeAction->setObjectName(QStringLiteral("removeWorkerAction"));
    cluster->addSeparator();
    const QString filter = tr("Cluster definitions (*.toml *.json);;TOML (*.toml);;JSON (*.json)");
    add(tr("&Open cluster definition…"), QKeySequence::Open, tr("Fill the launcher from a .toml or .json cluster definition"),
        [this, filter] {
            const QString path = QFileDialog::getOpenFileName(this, tr("Open cluster definition"), QString(), filter);
            if (!path.isEmpty())
                openDefinition(path);
        });
    add(tr("Sa&ve cluster definition…"), QKeySequence::Save, tr("Save the launcher's cluster as a .toml or .json definition"),
        [this, filter] {
            QString path = QFileDialog::getSaveFileName(this, tr("Save cluster definition"),
                                                        QStringLiteral("cluster.toml"), filter);
            if (path.isEmpty())
                return;
            if (!path.endsWith(QLatin1String(".toml")) && !path.endsWith(QLatin1String(".json")))
                path += QStringLiteral(".toml");
            saveDefinition(path);
        });
    cluster->addSeparator();
    m_attachAction = add(tr("Attac&h to a running cluster…"), QKeySequence(Qt::CTRL | Qt::Key_T),
                         tr("Watch and control a cluster that runs outside this window (headless, or a service)"),
                         [this] {
                             QStringList names;
                             QStringList paths;
                             for (const auto& found : control::findClusterSockets()) {
                                 names.append(QString::fromStdString(found.name));
                                 paths.append(QString::fromStdString(found.path));
                             }
                             if (names.isEmpty()) {
                                 QMessageBox::information(this, tr("Attach"),
                                                          tr("No running cluster was found. Start one with "
                                                             "clusterscope --headless, or as a service."));
                                 return;
                             }
                             bool ok = false;
                             const QString name = QInputDialog::getItem(this, tr("Attach to a running cluster"),
                                                                        tr("Cluster:"), names, 0, false, &ok);
                             if (ok)
                                 attachTo(paths.at(names.indexOf(name)));
                         });
    m_detachAction = add(tr("&Detach, leaving it running"), QKeySequence(),
                         tr("Stop watching the attached cluster; it goes on running"), [this] { m_adapter->detach(); });
    m_attachAction->setObjectName(QStringLiteral("attachAction"));
    m_detachAction->setObjectName(QStringLiteral("detachAction"));
    QAction* keep = cluster->addAction(tr("&Keep the cluster running when the window closes"));
    keep->setObjectName(QStringLiteral("keepRunningAction"));
    keep->setCheckable(true);
    keep->setToolTip(tr("A headless master takes the cluster over when the window closes; "
                        "Attach reaches it later, and clusterscope ctl too"));
    keep->setStatusTip(keep->toolTip());
    keep->setChecked(QSettings().value(kWhenClosingKey).toString() == QLatin1String("leave"));
    connect(keep, &QAction::toggled, this, [](bool on) {
        QSettings().setValue(kWhenClosingKey, on ? QStringLiteral("leave") : QStringLiteral("stop"));
    });
    m_keepRunningAction = keep;
    cluster->addSeparator();
    add(tr("&Quit"), QKeySequence::Quit, tr("Close the window (the cluster stops, or goes on if it is to be kept running)"),
        [this] { close(); });

    // The lab: lessons, a policy comparison, the runs kept (a window of its own beside this one).
    QMenu* labMenu = menuBar()->addMenu(tr("&Lab"));
    auto openLab = [this](LabWindow::Page page) {
        m_lab->showPage(page);
        m_lab->show();
        m_lab->raise();
        m_lab->activateWindow();
    };
    labMenu->addAction(tr("&Lessons…"), QKeySequence(Qt::CTRL | Qt::Key_G), this, [openLab] { openLab(LabWindow::Page::Lessons); });
    labMenu->addAction(tr("&Compare policies…"), this, [openLab] { openLab(LabWindow::Page::Compare); });
    labMenu->addAction(tr("&Runs…"), this, [openLab] { openLab(LabWindow::Page::Runs); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* policies = help->addAction(tr("&Scheduling policies"));
    policies->setObjectName(QStringLiteral("policiesHelpAction"));
    connect(policies, &QAction::triggered, this, [this] {
        QString text = tr("<p>How connections reach the workers, and what shapes the spread you see:</p><ul>");
        for (Policy policy : kAllPolicies)
            text += QStringLiteral("<li><b>%1</b> — %2<br>%3<br>%4</li>")
                        .arg(QString::fromLatin1(policyName(policy)), QString::fromUtf8(policyExplanation(policy)),
                             QString::fromUtf8(policySpread(policy)), QString::fromUtf8(policyCost(policy)));
        text += tr("</ul><p>Every policy places <i>connections</i>, not requests. With keep-alive a "
                   "connection stays with its worker for the whole run, so the share per worker follows "
                   "a few early decisions; choose <i>New connection</i> in the load panel to see each "
                   "policy's spread over many. Start a cluster, run some load, and compare the "
                   "<i>Share per worker</i> chart and its Jain index between policies.</p>");
        // Four policies with their spread and cost are taller than a 700-pixel screen: the
        // text scrolls inside a dialog that fits the screen, OK always in view.
        QDialog dialog(this);
        dialog.setObjectName(QStringLiteral("policiesHelp"));
        dialog.setWindowTitle(tr("Scheduling policies"));
        auto* browser = new QTextBrowser(&dialog);
        browser->setHtml(text);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok, &dialog);
        connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        auto* layout = new QVBoxLayout(&dialog);
        layout->addWidget(browser);
        layout->addWidget(buttons);
        const QRect room = (screen() ? screen() : QApplication::primaryScreen())->availableGeometry();
        dialog.resize(std::min(760, room.width() * 9 / 10), std::min(820, room.height() * 9 / 10));
        dialog.exec();
    });
    QAction* about = help->addAction(tr("&About Clusterscope"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About Clusterscope"),
                           tr("<p><b>Clusterscope %1</b></p><p>Run a web server on every core and watch how "
                              "connections spread over the workers, and what happens when one dies.</p>")
                               .arg(QStringLiteral(CLUSTERSCOPE_VERSION)));
    });
}

void MainWindow::startCluster()
{
    m_launcher->requestStart();
}

// Every cluster control from the one map of state to actions (models/clusteractions).
void MainWindow::applyActions(const ClusterActions& actions)
{
    // A replay shows a cluster that is not there: nothing to start, stop, scale or load.
    const bool replaying = m_replay->active();
    const ClusterActions a = replaying ? ClusterActions {} : actions;
    m_openRecordingAction->setEnabled(!m_adapter->running());
    m_recordAction->setEnabled(m_adapter->running() && !m_session->recordingToFile());
    m_stopRecordingAction->setEnabled(m_session->recordingToFile());
    m_attachAction->setEnabled(!m_adapter->running() && !replaying);
    m_controlPanes->setEnabled(!replaying); // the launcher's fields are not the recording's
    m_detachAction->setEnabled(m_adapter->attached());
    m_startAction->setEnabled(a.start);
    m_stopAction->setEnabled(a.stop);
    m_rollingAction->setEnabled(a.rollingRestart);
    m_addAction->setEnabled(a.addWorker);
    m_removeAction->setEnabled(a.removeWorker);
    m_launcher->setActions(a);
    // Load only where something answers: not before the first worker serves, nor when every
    // slot has failed.
    if (const Snapshot* s = m_models->snapshot(); a.runLoad && s)
        m_load->setTarget(QString::fromStdString(s->bindAddress), s->port, int(s->workers.size()));
    else if (!m_load->running())
        m_load->setTarget({}, 0, 0);
    if (a.phase == ClusterPhase::AllFailed)
        statusBar()->showMessage(tr("Every worker slot has failed: nothing serves. Fix the cause, then reset them."));
    else if (statusBar()->currentMessage().startsWith(tr("Every worker slot")))
        statusBar()->clearMessage();
}

// The failed-slot banner says what the models say: the slots whose state is Failed now.
void MainWindow::showFailedSlots(const QList<int>& failed)
{
    if (failed.isEmpty()) {
        if (m_banner->tag() > 0)
            m_banner->hide();
        return;
    }
    const QString text = failed.size() == 1
        ? tr("Worker slot #%1 crashed too often and is no longer restarted. Fix the cause, then reset it.").arg(failed.front())
        : tr("%1 worker slots crashed too often and are no longer restarted (#%2). Fix the cause, then reset them.")
              .arg(failed.size())
              .arg([&] {
                  QStringList names;
                  for (int slot : failed)
                      names.append(QString::number(slot));
                  return names.join(QStringLiteral(", #"));
              }());
    m_banner->showMessage(Banner::Kind::Error, text,
                          failed.size() == 1 ? tr("Reset slot #%1").arg(failed.front()) : tr("Reset failed slots"),
                          failed.front());
}

void MainWindow::onLaunchFailed(const QString& message, int field)
{
    // By the field it is about; a banner only for what no field explains.
    const auto about = ConfigField(field);
    m_launcher->showProblem(about, message);
    if (about == ConfigField::None)
        m_banner->showMessage(Banner::Kind::Error, tr("The cluster could not start: %1").arg(message));
    m_models->log()->addNote(0, tr("Could not start: %1").arg(message));
    statusBar()->showMessage(tr("Not started: %1").arg(message));
}

void MainWindow::onRunningChanged(bool running)
{
    if (running) {
        m_session->begin(m_adapter->config());
        if (!m_recordOnStart.isEmpty())
            startRecording(std::exchange(m_recordOnStart, QString()));
    } else {
        m_session->stopFile();
    }
    m_launcher->setRunning(running);
    m_workerView->setChaos(running && m_adapter->config().chaos);
    m_models->setRunning(running);
    if (running) {
        m_timeView->reset(); // a new cluster is a new timeline
        m_banner->hide();
        statusBar()->showMessage(tr("Starting…"), 3000);
    } else {
        m_load->stop();
        m_load->setTarget({}, 0, 0);
        if (m_adapter->attached()) {
            // Detaching (or the attached cluster going away) leaves nothing to show here.
            setWindowTitle(tr("Clusterscope"));
            if (!m_adapter->attachedGone())
                statusBar()->showMessage(tr("Detached from cluster %1; it goes on running. Press F5 to start a cluster here.")
                                             .arg(m_adapter->attachedName()));
            applyActions(m_models->actions());
            return;
        }
        // A stopped cluster has no failed slots to reset: the banner about them goes.
        if (m_banner->tag() > 0)
            m_banner->hide();
        statusBar()->showMessage(tr("Stopped. Press F5 to start a cluster."));
    }
    m_statusChaos->setVisible(running && m_adapter->config().chaos);
}

void MainWindow::refreshCharts()
{
    m_chartsDirty = false;
    const double now = m_models->now();
    m_timeView->setNow(now);
    m_coreChart->refresh(now);
    m_rateChart->refresh(now);
    m_latencyChart->refresh(now);
    m_resourceChart->refresh(now);
    m_timelineChart->refresh(now);
    m_distributionChart->refresh();
    m_heatMapChart->refresh();
}

void MainWindow::showStatus(const ClusterStatus& status)
{
    m_statusRate->setText(status.rate);
    m_statusFairness->setText(status.fairness);
    m_statusWorkers->setText(status.workers);
    m_statusUptime->setText(status.uptime);
    m_statusPolicy->setText(status.policy);
    m_statusPort->setText(status.address);
    const Snapshot* s = m_models->snapshot();
    m_launcher->setListeningPort(s && !status.address.isEmpty() ? s->port : 0);
    if (!status.address.isEmpty() && statusBar()->currentMessage().startsWith(tr("Starting")))
        statusBar()->clearMessage();
}

void MainWindow::showRequestMetricsNote(bool known)
{
    // Unknown is not zero: a program of the user's reports no requests, so the request
    // charts say so instead of drawing flat lines at zero.
    const QString note = known ? QString() : tr("Request counts come from the built-in worker only");
    m_rateChart->setNote(note);
    m_latencyChart->setNote(note);
    m_distributionChart->setNote(note);
}

QString MainWindow::metricsText() const
{
    return m_statusMetrics->isVisibleTo(this) ? m_statusMetrics->text() : QString();
}

bool MainWindow::attachTo(const QString& path)
{
    const QString error = m_adapter->attach(path);
    if (!error.isEmpty()) {
        m_banner->showMessage(Banner::Kind::Error, tr("Could not attach: %1").arg(error));
        return false;
    }
    setWindowTitle(tr("Clusterscope — %1 (attached)").arg(m_adapter->attachedName()));
    statusBar()->showMessage(tr("Attached to cluster %1: what you see and do here is that cluster's.")
                                 .arg(m_adapter->attachedName()),
                             8000);
    return true;
}

bool MainWindow::openDefinition(const QString& path)
{
    const auto loaded = loadConfigFile(path.toStdString(), m_launcher->config());
    if (const auto* error = std::get_if<ConfigError>(&loaded)) {
        m_banner->showMessage(Banner::Kind::Error, QString::fromStdString(error->message));
        return false;
    }
    m_launcher->setConfig(std::get<ClusterConfig>(loaded));
    if (m_banner->tag() == 0)
        m_banner->hide();
    statusBar()->showMessage(tr("Loaded %1").arg(QFileInfo(path).fileName()), 5000);
    return true;
}

bool MainWindow::saveDefinition(const QString& path)
{
    ClusterConfig config = m_launcher->config();
    const std::string error = saveConfigFile(config, path.toStdString());
    if (!error.empty()) {
        m_banner->showMessage(Banner::Kind::Error, QString::fromStdString(error));
        return false;
    }
    statusBar()->showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()), 5000);
    return true;
}

void MainWindow::closeWithoutAsking()
{
    m_noQuestion = true;
    close();
}

bool MainWindow::leaveClusterRunning()
{
    const QString left = m_adapter->leaveRunning();
    if (left.isEmpty()) {
        std::fprintf(stderr, "clusterscope: the cluster goes on under a headless master (pid %d); "
                             "clusterscope ctl --name %s, or Cluster > Attach, reach it.\n",
                     m_adapter->leftPid(), qPrintable(m_adapter->leftName()));
        return true;
    }
    std::fprintf(stderr, "clusterscope: %s\n", qPrintable(left));
    if (m_noQuestion)
        return false; // closing on a signal: the cluster stops
    QMessageBox box(QMessageBox::Warning, tr("Leave the cluster running"), left, QMessageBox::NoButton, this);
    QPushButton* stop = box.addButton(tr("Stop it and close"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == stop;
}

void MainWindow::buildFileMenu()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    auto add = [&](const QString& text, const QKeySequence& key, const QString& tip, auto slot) {
        QAction* action = file->addAction(text);
        action->setShortcut(key);
        action->setToolTip(tip);
        action->setStatusTip(tip);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    const QString recordings = tr("Clusterscope recordings (*.jsonl);;All files (*)");
    m_openRecordingAction = add(tr("&Open recording…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
                                tr("Replay a recording made with --record or Record to file, with every chart as it was"),
                                [this, recordings] {
                                    const QString path = QFileDialog::getOpenFileName(this, tr("Open recording"), QString(), recordings);
                                    if (!path.isEmpty())
                                        openRecording(path);
                                });
    m_recordAction = add(tr("&Record to file…"), QKeySequence(),
                         tr("Write this cluster's snapshots and events to a file, from its start on"), [this, recordings] {
                             QString path = QFileDialog::getSaveFileName(
                                 this, tr("Record to file"),
                                 QStringLiteral("clusterscope-%1.jsonl").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
                                 recordings);
                             if (path.isEmpty())
                                 return;
                             if (QFileInfo(path).suffix().isEmpty())
                                 path += QStringLiteral(".jsonl");
                             startRecording(path);
                         });
    m_stopRecordingAction = add(tr("Stop recordin&g"), QKeySequence(), tr("Close the recording file; the cluster goes on"),
                                [this] { m_session->stopFile(); });
    m_openRecordingAction->setObjectName(QStringLiteral("openRecordingAction"));
    m_recordAction->setObjectName(QStringLiteral("recordAction"));
    m_stopRecordingAction->setObjectName(QStringLiteral("stopRecordingAction"));
    file->addSeparator();
    add(tr("Export dashboard as &PNG…"), QKeySequence(), tr("Save the whole window as an image"), [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export dashboard as PNG"), QStringLiteral("clusterscope.png"),
                                                    tr("PNG images (*.png)"));
        if (path.isEmpty())
            return;
        if (!path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive))
            path += QStringLiteral(".png");
        if (exportDashboardPng(path).isEmpty())
            statusBar()->showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()), 5000);
    });
    add(tr("Export &CSV…"), QKeySequence(),
        tr("Write the replayed recording, or this cluster since it started, as CSV tables: workers, cores, cluster, events"),
        [this] {
            const QString directory = QFileDialog::getExistingDirectory(this, tr("Export CSV into folder"));
            if (!directory.isEmpty())
                exportCsv(directory);
        });
}

bool MainWindow::openRecording(const QString& path)
{
    if (m_adapter->running()) {
        m_banner->showMessage(Banner::Kind::Error, tr("A cluster is shown here: stop it (or detach) before opening a recording."));
        return false;
    }
    const QString error = m_replay->open(path);
    if (!error.isEmpty()) {
        m_banner->showMessage(Banner::Kind::Error, error);
        return false;
    }
    if (m_replay->note().isEmpty())
        m_banner->hide();
    else
        m_banner->showMessage(Banner::Kind::Warning, m_replay->note());
    const QString name = QFileInfo(path).fileName();
    setWindowTitle(tr("Clusterscope — %1 (replay)").arg(name));
    m_statusReplay->setText(tr("replay of %1").arg(name));
    m_statusReplay->setToolTip(tr("What you see is the recording %1, not a running cluster").arg(QFileInfo(path).absoluteFilePath()));
    m_statusReplay->show();
    statusBar()->showMessage(tr("Space plays %1 from the start; the slider moves in time.").arg(name), 10000);
    applyActions(m_models->actions());
    m_chartsDirty = true;
    return true;
}

void MainWindow::closeRecording()
{
    if (!m_replay->active())
        return;
    m_replay->close();
    setWindowTitle(tr("Clusterscope"));
    m_statusReplay->hide();
    statusBar()->showMessage(tr("Stopped. Press F5 to start a cluster."));
    applyActions(m_models->actions());
}

bool MainWindow::startRecording(const QString& path)
{
    const QString error = m_session->startFile(path);
    if (!error.isEmpty()) {
        m_banner->showMessage(Banner::Kind::Error, error);
        return false;
    }
    statusBar()->showMessage(tr("Recording to %1; File → Open recording… replays it.").arg(QFileInfo(path).fileName()), 8000);
    return true;
}

QString MainWindow::exportCsv(const QString& directory)
{
    const Recording& source = m_replay->active() ? *m_replay->recording() : m_session->session();
    if (source.snapshots.empty() && source.events.empty()) {
        const QString why = tr("There is nothing to export yet: start a cluster or open a recording first.");
        m_banner->showMessage(Banner::Kind::Error, why);
        return why;
    }
    const QString prefix = m_replay->active()
        ? QFileInfo(m_replay->path()).completeBaseName() + QLatin1Char('-')
        : QStringLiteral("clusterscope-%1-").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    const std::string error = writeCsvTables(source, QDir(directory).absolutePath().toStdString(), prefix.toStdString());
    if (!error.empty()) {
        m_banner->showMessage(Banner::Kind::Error, QString::fromStdString(error));
        return QString::fromStdString(error);
    }
    statusBar()->showMessage(tr("Wrote %1workers.csv, cores.csv, cluster.csv and events.csv in %2").arg(prefix, directory), 8000);
    return {};
}

QString MainWindow::exportDashboardPng(const QString& path)
{
    refreshCharts(); // what is on screen, not what waits for the next redraw
    const QString error = saveWidgetPng(this, path);
    if (!error.isEmpty())
        m_banner->showMessage(Banner::Kind::Error, error);
    return error;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // A cluster this window launched: stop it, or leave it running headless (asked once).
    if (!m_closing && m_adapter->running() && !m_adapter->attached()) {
        QSettings settings;
        QString choice = settings.value(kWhenClosingKey, QStringLiteral("ask")).toString();
        if (m_noQuestion && choice != QLatin1String("leave"))
            choice = QStringLiteral("stop");
        if (choice != QLatin1String("leave") && choice != QLatin1String("stop")) {
            QMessageBox box(QMessageBox::Question, tr("Close the window"),
                            tr("The cluster on port %1 is running. Keep it running without the window?")
                                .arg(m_models->snapshot() ? m_models->snapshot()->port : 0),
                            QMessageBox::NoButton, this);
            box.setInformativeText(tr("Kept running, it goes on under a headless master: Cluster → Attach reaches it "
                                      "later, and so does clusterscope ctl."));
            QPushButton* leave = box.addButton(tr("Keep it running"), QMessageBox::AcceptRole);
            QPushButton* stop = box.addButton(tr("Stop it"), QMessageBox::DestructiveRole);
            box.addButton(QMessageBox::Cancel);
            auto* remember = new QCheckBox(tr("Remember my choice (Cluster menu)"), &box);
            remember->setChecked(true);
            box.setCheckBox(remember);
            box.exec();
            if (box.clickedButton() != leave && box.clickedButton() != stop) {
                event->ignore();
                return;
            }
            choice = box.clickedButton() == leave ? QStringLiteral("leave") : QStringLiteral("stop");
            if (remember->isChecked()) {
                settings.setValue(kWhenClosingKey, choice);
                if (m_keepRunningAction)
                    m_keepRunningAction->setChecked(choice == QLatin1String("leave"));
            }
        }
        if (choice == QLatin1String("leave") && !leaveClusterRunning() && !m_noQuestion) {
            event->ignore(); // cancelled after it could not be left running: the window stays
            return;
        }
    }
    if (!m_closing) {
        m_closing = true;
        QSettings settings;
        settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
        settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
        // Side by side only: stacked or folded, the splitter's sizes are not what a restored
        // side-by-side view should take.
        if (m_bottomPanes->mode() == FoldingPanes::Mode::Together)
            settings.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplitter->saveState());
        m_launcher->saveSettings();
        m_load->stop();
        if (m_adapter->running()) {
            statusBar()->showMessage(tr("Stopping the workers…"));
            QApplication::setOverrideCursor(Qt::WaitCursor);
            m_adapter->shutdown(kShutdownMs);
            QApplication::restoreOverrideCursor();
        }
    }
    event->accept();
}

} // namespace cs::ui
