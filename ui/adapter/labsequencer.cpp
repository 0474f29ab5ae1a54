#include "adapter/labsequencer.h"

#include "adapter/clusteradapter.h"
#include "adapter/loadadapter.h"
#include "adapter/runrecorder.h"

#include <algorithm>
#include <cmath>

#include <QTimer>

namespace cs::ui {

namespace {

constexpr int kOnlineDeadlineMs = 20000;
constexpr int kStopDeadlineMs = 20000;
constexpr int kCrashLoopDeadlineMs = 60000;
constexpr double kStepOverheadSeconds = 2; // a start and a stop
constexpr double kCrashLoopSeconds = 6;

const WorkerSample* slotOf(const Snapshot& snapshot, int slot)
{
    for (const WorkerSample& w : snapshot.workers)
        if (w.slot == slot)
            return &w;
    return nullptr;
}

} // namespace

LabSequencer::LabSequencer(ClusterAdapter* cluster, LoadAdapter* load, RunRecorder* recorder, QObject* parent)
    : QObject(parent)
    , m_cluster(cluster)
    , m_load(load)
    , m_recorder(recorder)
    , m_tick(new QTimer(this))
{
    m_tick->setInterval(200);
    connect(m_tick, &QTimer::timeout, this, &LabSequencer::tick);
    connect(m_cluster, &ClusterAdapter::snapshotReady, this, &LabSequencer::onSnapshot);
    connect(m_cluster, &ClusterAdapter::eventsArrived, this, &LabSequencer::onEvents);
    connect(m_cluster, &ClusterAdapter::runningChanged, this, &LabSequencer::onRunningChanged);
    connect(m_cluster, &ClusterAdapter::launchFailed, this, [this](const QString& message) {
        if (m_phase == Phase::WaitingOnline)
            fail(tr("The cluster of step %1 did not start: %2").arg(m_index + 1).arg(message));
    });
    connect(m_recorder, &RunRecorder::recorded, this, [this](const QString& id) {
        if (m_phase == Phase::Loading || m_phase == Phase::ResetWait || m_phase == Phase::CrashLoop)
            m_runIds.append(id);
    });
    connect(m_load, &LoadAdapter::finished, this, [this] {
        if (m_phase == Phase::Loading)
            endStep();
    });
}

double LabSequencer::stepSeconds(const lab::LessonStep& step)
{
    return kStepOverheadSeconds + (step.action == lab::StepAction::CrashLoop ? kCrashLoopSeconds : step.load.durationSeconds);
}

QString LabSequencer::start(const std::vector<lab::LessonStep>& steps)
{
    if (running())
        return tr("A lab run is already under way.");
    if (steps.empty())
        return tr("Nothing to run: choose at least one policy.");
    if (m_cluster->attached())
        return tr("This window is attached to another cluster; detach first (Cluster → Detach).");
    if (m_load->running())
        return tr("A load is running; wait for it to finish or stop it first.");
    m_steps = steps;
    m_index = 0;
    m_runIds.clear();
    m_failure.clear();
    m_cancelled = false;
    m_tick->start();
    if (m_cluster->running()) {
        setPhase(Phase::StoppingFirst, kStopDeadlineMs);
        m_cluster->stop();
    } else {
        startStep();
    }
    return {};
}

void LabSequencer::setPhase(Phase phase, int deadlineMs)
{
    m_phase = phase;
    m_deadlineMs = deadlineMs > 0 ? m_stepClock.elapsed() + deadlineMs : 0;
}

void LabSequencer::startStep()
{
    m_stepClock.start();
    ClusterConfig config = m_base;
    config.port = 0;
    config.policy = step().policy;
    config.workers = step().workers;
    config.chaos = step().chaos;
    config.pin = step().pin; // the lesson decides; the window's --cpus, if any, still applies
    config.execCommand.clear();
    setPhase(Phase::WaitingOnline, kOnlineDeadlineMs);
    tick();
    m_cluster->start(config); // a failure comes back as launchFailed
}

void LabSequencer::beginStep()
{
    const auto snapshot = m_cluster->snapshot();
    if (step().action == lab::StepAction::CrashLoop) {
        setPhase(Phase::CrashLoop, kCrashLoopDeadlineMs);
        m_lastCrashedPid = 0;
        m_recorder->begin(std::nullopt);
        onSnapshot(snapshot);
        return;
    }
    LoadOptions options = step().load;
    options.host = snapshot->bindAddress;
    options.port = snapshot->port;
    options.workers = int(snapshot->workers.size());
    setPhase(Phase::Loading, int(options.durationSeconds * 1000) + 30000);
    if (const QString problem = m_load->start(options); !problem.isEmpty()) {
        fail(tr("The load of step %1 did not start: %2").arg(m_index + 1).arg(problem));
        return;
    }
    if (step().action == lab::StepAction::RollingRestart) {
        const int index = m_index;
        QTimer::singleShot(int(step().actionAtSeconds * 1000), this, [this, index] {
            if (m_phase == Phase::Loading && m_index == index)
                m_cluster->rollingRestart();
        });
    }
}

void LabSequencer::endStep()
{
    if (m_recorder->recording())
        m_recorder->end(std::nullopt);
    setPhase(Phase::Stopping, kStopDeadlineMs);
    m_cluster->stop();
}

void LabSequencer::fail(const QString& message)
{
    if (m_failure.isEmpty())
        m_failure = message;
    if (m_load->running())
        m_load->stop(); // its finished() ends the recorder's run with what it measured
    else if (m_recorder->recording())
        m_recorder->end(std::nullopt);
    m_runIds.clear(); // an unfinished lesson has no verdict; its runs stay in the list
    if (m_cluster->running()) {
        setPhase(Phase::Stopping, kStopDeadlineMs);
        m_index = int(m_steps.size()); // no next step
        m_cluster->stop();
        return;
    }
    m_tick->stop();
    m_phase = Phase::Idle;
    Q_EMIT finished({}, false, m_failure);
}

void LabSequencer::cancel()
{
    if (!running())
        return;
    m_cancelled = true;
    fail(tr("Cancelled."));
}

void LabSequencer::onSnapshot(const std::shared_ptr<const Snapshot>& snapshot)
{
    if (!snapshot || !snapshot->running)
        return;
    switch (m_phase) {
    case Phase::WaitingOnline: {
        const auto online = std::count_if(snapshot->workers.begin(), snapshot->workers.end(),
                                          [](const WorkerSample& w) { return w.state == WorkerState::Online; });
        if (online >= step().workers && online == qsizetype(snapshot->workers.size()))
            beginStep();
        break;
    }
    case Phase::CrashLoop:
        // Crash slot 1 each time a new process of it is online, until the master gives up on it.
        if (const WorkerSample* w = slotOf(*snapshot, 1); w && w->state == WorkerState::Online && w->pid != m_lastCrashedPid) {
            m_lastCrashedPid = w->pid;
            m_cluster->crashWorker(1);
        }
        break;
    case Phase::ResetWait:
        if (const WorkerSample* w = slotOf(*snapshot, 1); w && w->state == WorkerState::Online)
            endStep();
        break;
    default:
        break;
    }
}

void LabSequencer::onEvents(const QList<Event>& events)
{
    if (m_phase != Phase::CrashLoop)
        return;
    for (const Event& e : events) {
        if (e.kind == EventKind::Failed && e.slot == 1) {
            setPhase(Phase::ResetWait, kOnlineDeadlineMs);
            m_cluster->resetSlot(1);
            return;
        }
    }
}

void LabSequencer::onRunningChanged(bool running)
{
    if (running)
        return;
    switch (m_phase) {
    case Phase::StoppingFirst:
        startStep();
        break;
    case Phase::Stopping:
        if (!m_failure.isEmpty() || ++m_index >= int(m_steps.size())) {
            m_tick->stop();
            m_phase = Phase::Idle;
            const bool completed = m_failure.isEmpty();
            Q_EMIT progressed(int(m_steps.size()) - 1, int(m_steps.size()), QString(), 0, completed ? 1.0 : 0.0);
            Q_EMIT finished(completed ? m_runIds : QStringList(), completed, m_failure);
            return;
        }
        startStep();
        break;
    case Phase::Idle:
        break;
    default:
        // The cluster went away under a step (every slot failed and it gave up, or someone stopped it).
        fail(tr("The cluster stopped during step %1.").arg(m_index + 1));
        break;
    }
}

int LabSequencer::secondsLeft() const
{
    if (!running())
        return 0;
    double left = 0;
    for (std::size_t i = std::size_t(std::max(0, m_index)); i < m_steps.size(); ++i)
        left += stepSeconds(m_steps[i]);
    if (m_index < int(m_steps.size()))
        left -= std::min(stepSeconds(step()) - 0.5, m_stepClock.elapsed() / 1000.0);
    return int(std::ceil(std::max(0.0, left)));
}

void LabSequencer::tick()
{
    if (!running() || m_index >= int(m_steps.size()))
        return;
    if (m_deadlineMs > 0 && m_stepClock.elapsed() > m_deadlineMs && m_failure.isEmpty()) {
        fail(m_phase == Phase::WaitingOnline ? tr("The workers of step %1 did not all come online in time.").arg(m_index + 1)
             : m_phase == Phase::CrashLoop   ? tr("Slot 1 was not marked failed in time.")
             : m_phase == Phase::ResetWait   ? tr("Slot 1 did not come back after the reset.")
                                             : tr("Step %1 took too long.").arg(m_index + 1));
        return;
    }
    double total = 0, done = 0;
    for (std::size_t i = 0; i < m_steps.size(); ++i) {
        total += stepSeconds(m_steps[i]);
        if (int(i) < m_index)
            done += stepSeconds(m_steps[i]);
    }
    done += std::min(stepSeconds(step()), m_stepClock.elapsed() / 1000.0);
    Q_EMIT progressed(m_index, int(m_steps.size()), QString::fromStdString(step().label), secondsLeft(),
                      total > 0 ? done / total : 0);
}

} // namespace cs::ui
