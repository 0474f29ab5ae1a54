#include "widgets/labwindow.h"

#include "adapter/clusteradapter.h"
#include "adapter/labsequencer.h"
#include "adapter/loadadapter.h"
#include "adapter/runrecorder.h"
#include "models/comparisonmodel.h"
#include "models/runstore.h"
#include "models/slotpalette.h"
#include "widgets/comparisonview.h"
#include "widgets/launcherpanel.h"

#include <thread>

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QVBoxLayout>

namespace cs::ui {

namespace {

int coreCount() { return std::max(1, int(std::thread::hardware_concurrency())); }

QString qs(const std::string& text) { return QString::fromStdString(text); }

} // namespace

QString LabWindow::defaultRunsDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/runs");
}

LabWindow::LabWindow(ClusterAdapter* cluster, LoadAdapter* load, LauncherPanel* launcher, const QString& runsDirectory,
                     QWidget* parent)
    : QDialog(parent, Qt::Window)
    , m_cluster(cluster)
    , m_load(load)
    , m_launcher(launcher)
    , m_store(new RunStore(runsDirectory, this))
    , m_recorder(new RunRecorder(cluster, load, m_store, this))
    , m_sequencer(new LabSequencer(cluster, load, m_recorder, this))
    , m_comparison(new ComparisonModel(this))
    , m_lessonComparison(new ComparisonModel(this))
    , m_lessons(lab::lessons(coreCount()))
{
    setObjectName(QStringLiteral("labWindow"));
    setWindowTitle(tr("Clusterscope lab"));
    m_tabs = new QTabWidget;
    m_tabs->addTab(buildLessons(), tr("Lessons"));
    m_tabs->addTab(buildCompare(), tr("Compare policies"));
    m_tabs->addTab(buildRuns(), tr("Runs"));

    m_progressRow = new QWidget;
    auto* row = new QHBoxLayout(m_progressRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_progressText = new QLabel;
    m_progressText->setObjectName(QStringLiteral("labProgressText"));
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setObjectName(QStringLiteral("labCancel"));
    row->addWidget(m_progressText, 2);
    row->addWidget(m_progress, 3);
    row->addWidget(m_cancel);
    m_progressRow->hide();

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_progressRow);

    connect(m_cancel, &QPushButton::clicked, m_sequencer, &LabSequencer::cancel);
    connect(m_sequencer, &LabSequencer::progressed, this, &LabWindow::onProgress);
    connect(m_sequencer, &LabSequencer::finished, this, &LabWindow::onFinished);
    resize(QSize(1000, 660));
}

QWidget* LabWindow::buildLessons()
{
    auto* page = new QWidget;
    m_lessonList = new QListWidget;
    m_lessonList->setObjectName(QStringLiteral("lessonList"));
    for (const lab::Lesson& lesson : m_lessons)
        m_lessonList->addItem(qs(lesson.title));
    m_lessonList->setWordWrap(true);
    m_lessonList->setMaximumWidth(220);
    m_lessonList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_lessonTitle = new QLabel;
    QFont big = m_lessonTitle->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.2);
    m_lessonTitle->setFont(big);
    m_lessonTitle->setWordWrap(true);
    m_lessonText = new QLabel;
    m_lessonText->setWordWrap(true);
    m_lessonText->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_runLesson = new QPushButton(tr("Run this lesson"));
    m_runLesson->setObjectName(QStringLiteral("runLesson"));
    m_verdict = new QLabel;
    m_verdict->setObjectName(QStringLiteral("lessonVerdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_verdict->setTextFormat(Qt::RichText);
    m_lessonRuns = new QPushButton(tr("Compare this lesson's runs"));
    m_lessonRuns->setObjectName(QStringLiteral("lessonRuns"));
    m_lessonRuns->setEnabled(false);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->addWidget(m_lessonTitle);
    rightLayout->addWidget(m_lessonText);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_runLesson);
    buttons->addWidget(m_lessonRuns);
    buttons->addStretch(1);
    rightLayout->addLayout(buttons);
    auto* verdictBox = new QGroupBox(tr("Verdict, from what this machine measured"));
    auto* verdictLayout = new QVBoxLayout(verdictBox);
    verdictLayout->addWidget(m_verdict);
    rightLayout->addWidget(verdictBox);
    // The chart the verdict names, right under it: the lesson's runs side by side.
    // Compact: the figures are in the verdict, and the Runs page has the table.
    m_lessonView = new ComparisonView(m_lessonComparison, true);
    rightLayout->addWidget(m_lessonView, 1);
    rightLayout->addStretch(0);

    auto* layout = new QHBoxLayout(page);
    layout->addWidget(m_lessonList);
    layout->addWidget(right, 1);

    connect(m_lessonList, &QListWidget::currentRowChanged, this, &LabWindow::showLesson);
    connect(m_runLesson, &QPushButton::clicked, this, [this] {
        const int row = m_lessonList->currentRow();
        if (row < 0)
            return;
        if (const QString problem = runLesson(qs(m_lessons[std::size_t(row)].id)); !problem.isEmpty())
            m_verdict->setText(problem);
    });
    connect(m_lessonRuns, &QPushButton::clicked, this, [this] {
        const int row = m_lessonList->currentRow();
        if (row < 0)
            return;
        showPage(Page::Runs);
        selectRuns(m_lessonRunIds.value(qs(m_lessons[std::size_t(row)].id)));
    });
    m_lessonList->setCurrentRow(0);
    return page;
}

void LabWindow::showLesson(int row)
{
    if (row < 0 || row >= int(m_lessons.size()))
        return;
    const lab::Lesson& lesson = m_lessons[std::size_t(row)];
    m_lessonTitle->setText(qs(lesson.title));
    QStringList steps;
    for (const lab::LessonStep& step : lesson.steps)
        steps << qs(step.label);
    m_lessonText->setText(qs(lesson.description) + QStringLiteral("\n\n")
                          + tr("Runs: %1. Look at %2 afterwards.").arg(steps.join(QStringLiteral(", ")), qs(lesson.chart)));
    const QString id = qs(lesson.id);
    // A lesson without load (the crash loop) is shown by the window's own charts.
    m_lessonView->setVisible(std::any_of(lesson.steps.begin(), lesson.steps.end(),
                                         [](const lab::LessonStep& step) { return step.action != lab::StepAction::CrashLoop; }));
    if (m_sequencer->running() && m_runningLesson == id)
        return; // "Running…" stays
    showLessonRuns(m_lessonRunIds.value(id));
    if (m_verdicts.contains(id)) {
        showVerdict(m_verdicts[id].first, m_verdicts[id].second);
        m_lessonRuns->setEnabled(!m_lessonRunIds.value(id).isEmpty());
        return;
    }
    double seconds = 0;
    for (const lab::LessonStep& step : lesson.steps)
        seconds += 2 + (step.action == lab::StepAction::CrashLoop ? 6 : step.load.durationSeconds);
    m_verdictPlain.clear();
    m_verdict->setText(tr("Not run yet. \"Run this lesson\" stops any cluster running in the window, starts its own, "
                          "and takes about %1 s.")
                           .arg(int(seconds)));
    m_lessonRuns->setEnabled(false);
}

void LabWindow::showVerdict(bool asExpected, const QString& text)
{
    // The first sentence says whether it came out as expected: in colour, the numbers after it.
    m_verdictPlain = text;
    const QColor tone = toneColor(asExpected ? Tone::Ok : Tone::Warning);
    const int end = text.indexOf(QStringLiteral(". ")) + 1;
    m_verdict->setText(QStringLiteral("<b style=\"color:%1\">%2</b>%3")
                           .arg(tone.name(), text.left(end).toHtmlEscaped(), text.mid(end).toHtmlEscaped()));
}

void LabWindow::showLessonRuns(const QStringList& ids)
{
    std::vector<const LabRun*> runs;
    for (const QString& id : ids)
        if (const LabRun* run = m_store->find(id))
            runs.push_back(run);
    m_lessonComparison->setRuns(runs);
}

QWidget* LabWindow::buildCompare()
{
    auto* page = new QWidget;
    auto* intro = new QLabel(tr("The same load against each chosen policy in turn: the cluster is started with the "
                                "policy, loaded, stopped, and the next one follows (never two at once: they would share "
                                "the cores). Then the comparison opens."));
    intro->setWordWrap(true);
    auto* policies = new QGroupBox(tr("Policies"));
    auto* policyRow = new QHBoxLayout(policies);
    for (Policy policy : { Policy::RoundRobin, Policy::LeastConnections, Policy::Shared, Policy::ReusePort }) {
        auto* box = new QCheckBox(QString::fromUtf8(policyName(policy).data(), qsizetype(policyName(policy).size())));
        box->setChecked(true);
        box->setProperty("policy", int(policy));
        m_policies.append(box);
        policyRow->addWidget(box);
    }
    policyRow->addStretch(1);
    m_workers = new QSpinBox;
    m_workers->setRange(1, 64);
    m_workers->setValue(coreCount());
    m_connections = new QSpinBox;
    m_connections->setRange(1, 1000);
    m_connections->setValue(8);
    m_seconds = new QSpinBox;
    m_seconds->setRange(1, 120);
    m_seconds->setValue(5);
    m_seconds->setSuffix(tr(" s"));
    m_keepAlive = new QRadioButton(tr("Keep-alive"));
    m_newConnection = new QRadioButton(tr("A new connection per request"));
    m_keepAlive->setChecked(true);
    auto* mode = new QWidget;
    auto* modeRow = new QHBoxLayout(mode);
    modeRow->setContentsMargins(0, 0, 0, 0);
    modeRow->addWidget(m_keepAlive);
    modeRow->addWidget(m_newConnection);
    modeRow->addStretch(1);
    m_path = new QComboBox;
    m_path->setEditable(true);
    m_path->addItems({ QStringLiteral("/"), QStringLiteral("/cpu?ms=5"), QStringLiteral("/sleep?ms=20") });
    auto* form = new QFormLayout;
    form->addRow(tr("Workers"), m_workers);
    form->addRow(tr("Connections"), m_connections);
    form->addRow(tr("Duration per policy"), m_seconds);
    form->addRow(tr("Connections are"), mode);
    form->addRow(tr("Path"), m_path);
    m_runCompare = new QPushButton(tr("Compare policies"));
    m_runCompare->setObjectName(QStringLiteral("runComparison"));
    m_compareNote = new QLabel;
    m_compareNote->setWordWrap(true);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(intro);
    layout->addWidget(policies);
    layout->addLayout(form);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_runCompare);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    layout->addWidget(m_compareNote);
    layout->addStretch(1);
    connect(m_runCompare, &QPushButton::clicked, this, [this] {
        m_compareNote->setText(runComparison());
    });
    return page;
}

QWidget* LabWindow::buildRuns()
{
    auto* page = new QWidget;
    m_runList = new QListView;
    m_runList->setObjectName(QStringLiteral("runList"));
    m_runList->setModel(m_store);
    m_runList->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runList->setWordWrap(true);
    m_deleteRuns = new QPushButton(tr("Delete"));
    m_deleteRuns->setObjectName(QStringLiteral("deleteRuns"));
    m_deleteRuns->setToolTip(tr("Forget the selected runs and delete their files"));
    m_deleteRuns->setEnabled(false);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* where = new QLabel(m_store->directory().isEmpty() ? tr("Kept in memory only.")
                                                            : tr("Kept in %1").arg(QDir::toNativeSeparators(m_store->directory())));
    where->setWordWrap(true);
    where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    leftLayout->addWidget(m_runList, 1);
    leftLayout->addWidget(where);
    leftLayout->addWidget(m_deleteRuns, 0, Qt::AlignLeft);
    m_comparisonView = new ComparisonView(m_comparison);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(m_comparisonView);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({ 250, 750 });
    split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(split);
    connect(m_runList->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LabWindow::compareSelection);
    connect(m_store, &QAbstractItemModel::rowsRemoved, this, &LabWindow::compareSelection);
    connect(m_deleteRuns, &QPushButton::clicked, this, [this] {
        QStringList ids;
        for (const QModelIndex& index : m_runList->selectionModel()->selectedRows())
            ids << index.data(RunStore::IdRole).toString();
        m_store->remove(ids);
    });
    return page;
}

void LabWindow::compareSelection()
{
    std::vector<const LabRun*> runs;
    QModelIndexList rows = m_runList->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& index : rows)
        if (const LabRun* run = m_store->find(index.data(RunStore::IdRole).toString()))
            runs.push_back(run);
    m_deleteRuns->setEnabled(!runs.empty());
    m_comparison->setRuns(runs);
}

void LabWindow::selectRuns(const QStringList& ids)
{
    QItemSelection selection;
    for (const QString& id : ids)
        if (const int row = m_store->rowOf(id); row >= 0)
            selection.select(m_store->index(row), m_store->index(row));
    m_runList->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (!ids.isEmpty())
        m_runList->scrollTo(m_store->index(std::max(0, m_store->rowOf(ids.back()))));
}

void LabWindow::showPage(Page page)
{
    m_tabs->setCurrentIndex(int(page));
}

QString LabWindow::startSteps(const std::vector<lab::LessonStep>& steps)
{
    ClusterConfig base = m_launcher ? m_launcher->config() : ClusterConfig {};
    base.workerProgram = withDefaults(base).workerProgram;
    if (base.workerProgram.empty())
        base.workerProgram = m_cluster->config().workerProgram;
    m_sequencer->setBaseConfig(base);
    const QString problem = m_sequencer->start(steps);
    if (problem.isEmpty())
        setBusy(true);
    return problem;
}

QString LabWindow::runLesson(const QString& id)
{
    const auto it = std::find_if(m_lessons.begin(), m_lessons.end(), [&](const lab::Lesson& l) { return qs(l.id) == id; });
    if (it == m_lessons.end())
        return tr("There is no lesson %1.").arg(id);
    m_lessonList->setCurrentRow(int(it - m_lessons.begin()));
    m_runningLesson = id;
    const QString problem = startSteps(it->steps);
    if (!problem.isEmpty()) {
        m_runningLesson.clear();
        return problem;
    }
    m_verdictPlain.clear();
    showLessonRuns({});
    m_verdict->setText(tr("Running…"));
    m_lessonRuns->setEnabled(false);
    return {};
}

QString LabWindow::runComparison()
{
    std::vector<lab::LessonStep> steps;
    for (QCheckBox* box : m_policies) {
        if (!box->isChecked())
            continue;
        lab::LessonStep step;
        step.policy = Policy(box->property("policy").toInt());
        step.label = box->text().toStdString();
        step.workers = m_workers->value();
        step.load.connections = m_connections->value();
        step.load.durationSeconds = m_seconds->value();
        step.load.keepAlive = m_keepAlive->isChecked();
        step.load.path = m_path->currentText().toStdString();
        step.pin = m_launcher && m_launcher->config().pin; // a comparison runs as the window is set
        steps.push_back(step);
    }
    if (steps.empty())
        return tr("Choose at least one policy.");
    m_runningLesson.clear();
    return startSteps(steps);
}

void LabWindow::setComparisonForm(const QList<Policy>& policies, int workers, int connections, int seconds,
                                  bool keepAlive, const QString& path)
{
    for (QCheckBox* box : m_policies)
        box->setChecked(policies.contains(Policy(box->property("policy").toInt())));
    m_workers->setValue(workers);
    m_connections->setValue(connections);
    m_seconds->setValue(seconds);
    (keepAlive ? m_keepAlive : m_newConnection)->setChecked(true);
    m_path->setCurrentText(path);
}

QString LabWindow::verdictText() const
{
    return m_verdictPlain.isEmpty() ? m_verdict->text() : m_verdictPlain;
}

void LabWindow::setBusy(bool busy)
{
    m_progressRow->setVisible(busy);
    m_runLesson->setEnabled(!busy);
    m_runCompare->setEnabled(!busy);
    if (busy) {
        m_progress->setValue(0);
        m_progressText->clear();
    }
}

void LabWindow::onProgress(int step, int steps, const QString& label, int secondsLeft, double fraction)
{
    m_progress->setValue(int(fraction * 1000));
    if (!label.isEmpty())
        m_progressText->setText(tr("Step %1 of %2: %3 · about %4 s left").arg(step + 1).arg(steps).arg(label).arg(secondsLeft));
}

void LabWindow::onFinished(const QStringList& runIds, bool completed, const QString& message)
{
    setBusy(false);
    const QString lesson = m_runningLesson;
    m_runningLesson.clear();
    if (lesson.isEmpty()) {
        m_compareNote->setText(completed ? tr("Done: %1 runs compared under Runs.").arg(runIds.size())
                                         : tr("Not finished: %1 What did run is in the runs list.").arg(message));
        if (completed) {
            showPage(Page::Runs);
            selectRuns(runIds);
        }
        Q_EMIT comparisonDone(runIds, completed);
        return;
    }
    if (!completed) {
        m_verdictPlain.clear();
        m_verdict->setText(tr("No verdict: %1").arg(message).toHtmlEscaped());
        Q_EMIT lessonJudged(lesson, false, tr("No verdict: %1").arg(message));
        return;
    }
    std::vector<lab::RunSummary> summaries;
    for (const QString& id : runIds)
        if (const LabRun* run = m_store->find(id))
            summaries.push_back(run->summary);
    const lab::Verdict verdict = lab::judge(lesson.toStdString(), summaries);
    m_verdicts[lesson] = { verdict.asExpected, qs(verdict.text) };
    m_lessonRunIds[lesson] = runIds;
    showVerdict(verdict.asExpected, qs(verdict.text));
    showLessonRuns(runIds);
    m_lessonRuns->setEnabled(true);
    Q_EMIT lessonJudged(lesson, verdict.asExpected, qs(verdict.text));
}

} // namespace cs::ui
