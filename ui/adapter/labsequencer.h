#pragma once

#include "lab/lesson.h"
#include "master/clusterconfig.h"
#include "master/snapshot.h"

#include <memory>
#include <vector>

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QStringList>

class QTimer;

namespace cs::ui {

class ClusterAdapter;
class LoadAdapter;
class RunRecorder;

/// Runs steps one after another, never two at once (the machine has few cores): for each,
/// start the cluster with the step's settings (through the window's ClusterAdapter, the one
/// way a cluster starts), wait until every worker is online, send the step's load (through
/// the window's LoadAdapter, so the load panel and the charts show it, and the recorder keeps
/// it as a run), carry out the step's action (a rolling restart, a crash loop), stop the
/// cluster, next. Cancellable at any point; reports the step and the time left.
class LabSequencer : public QObject {
    Q_OBJECT
public:
    LabSequencer(ClusterAdapter* cluster, LoadAdapter* load, RunRecorder* recorder, QObject* parent = nullptr);

    /// What every step starts from (address, worker program, limits); each step sets the
    /// policy, workers, chaos and pin (the base's --cpus stays), and port 0. Lessons run the built-in worker.
    void setBaseConfig(const ClusterConfig& config) { m_base = config; }
    bool running() const { return m_phase != Phase::Idle; }
    /// Starts the steps; empty when started, else one sentence saying why not. A cluster
    /// running in the window is stopped first.
    QString start(const std::vector<lab::LessonStep>& steps);
    /// Stops what runs (load and cluster); finished() follows with completed = false.
    void cancel();
    /// Seconds the remaining steps are expected to take.
    int secondsLeft() const;

Q_SIGNALS:
    /// About 5 times a second: step is 0-based; fraction of all the steps, 0..1.
    void progressed(int step, int steps, QString label, int secondsLeft, double fraction);
    /// Every step that completed, in order, as the runs the recorder kept; a message when
    /// it did not complete (cancelled, the cluster failed to start, a deadline passed).
    void finished(QStringList runIds, bool completed, QString message);

private:
    enum class Phase { Idle, StoppingFirst, WaitingOnline, Loading, CrashLoop, ResetWait, Stopping };
    void startStep();
    void beginStep();
    void endStep();
    void fail(const QString& message);
    void onSnapshot(const std::shared_ptr<const Snapshot>& snapshot);
    void onEvents(const QList<Event>& events);
    void onRunningChanged(bool running);
    void tick();
    void setPhase(Phase phase, int deadlineMs);
    const lab::LessonStep& step() const { return m_steps[std::size_t(m_index)]; }
    static double stepSeconds(const lab::LessonStep& step);

    ClusterAdapter* m_cluster;
    LoadAdapter* m_load;
    RunRecorder* m_recorder;
    ClusterConfig m_base;
    std::vector<lab::LessonStep> m_steps;
    int m_index = 0;
    Phase m_phase = Phase::Idle;
    QStringList m_runIds;
    QString m_failure; ///< why it ends early; empty when it completes
    bool m_cancelled = false;
    int m_lastCrashedPid = 0;
    QTimer* m_tick;
    QElapsedTimer m_stepClock;
    qint64 m_deadlineMs = 0; ///< on m_stepClock; 0: none
};

} // namespace cs::ui
