#pragma once

#include "master/snapshot.h"
#include "models/clusteractions.h"

#include <memory>

#include <QList>
#include <QObject>
#include <QString>

namespace cs::ui {

class EventTimelineModel;
class HeatMapModel;
class LogModel;
class ShareModel;
class TimeSeriesModel;
class WorkerTableModel;

/// The status bar's words for the cluster as it is now.
struct ClusterStatus {
    QString rate; ///< "1,234 req/s"; "– req/s" when requests are not counted
    QString fairness; ///< "fairness 0.50 (last load run)"; "fairness –" before a request
    QString workers; ///< "2/2 online"
    QString uptime; ///< "up 1m 05s"
    QString policy; ///< empty when stopped
    QString address; ///< "127.0.0.1:8000"; empty when stopped
    bool operator==(const ClusterStatus&) const = default;
};

/// The window's one picture of the cluster. The adapter's snapshots and events are applied
/// here, and only here; the worker table, the charts' series, the share, the timeline, the
/// log, the failed-slot banner, the status bar and every control's enabled state read what
/// this holds. MainWindow only builds the widgets and wires them to these signals, so no
/// widget keeps a copy of the cluster's state that could go stale.
class ClusterModels : public QObject {
    Q_OBJECT
public:
    explicit ClusterModels(QObject* parent = nullptr);
    ~ClusterModels() override;

    WorkerTableModel* workers() const { return m_workers; }
    LogModel* log() const { return m_log; }
    TimeSeriesModel* coreSeries() const { return m_cores; } ///< busy % per core, "cpu0".."cpuN"
    TimeSeriesModel* rateSeries() const { return m_rates; } ///< req/s per slot, series i = slot i + 1
    TimeSeriesModel* latencySeries() const { return m_latency; } ///< p50, p99 of server time, in ms; NaN: no request
    TimeSeriesModel* memorySeries() const { return m_memory; } ///< resident MiB per slot, series i = slot i + 1; NaN: no process
    TimeSeriesModel* cpuSeries() const { return m_cpu; } ///< CPU % per slot (100 = one core), series i = slot i + 1
    EventTimelineModel* timeline() const { return m_timeline; }
    ShareModel* share() const { return m_share; }
    HeatMapModel* heatMap() const { return m_heatMap; } ///< samples per slot per core: where workers ran

    /// A cluster was started (everything starts afresh) or has stopped.
    void setRunning(bool running);
    void apply(const std::shared_ptr<const Snapshot>& snapshot);
    void apply(const QList<cs::Event>& events);

    bool running() const { return m_running; }
    /// The latest snapshot of this cluster; null before its first one and after a stop.
    const Snapshot* snapshot() const { return m_snapshot.get(); }
    /// Cluster time of the latest snapshot, in seconds (0 before any).
    double now() const;
    ClusterActions actions() const { return m_actions; }
    /// The slots whose state is Failed now; empty when no cluster runs.
    QList<int> failedSlots() const { return m_failed; }
    /// False while the workers are a program of the user's own, which counts no requests.
    bool requestMetricsKnown() const { return m_requestMetricsKnown; }
    ClusterStatus status() const { return m_status; }
    /// The highest slot number of the cluster (the timeline's rows).
    int slotCount() const { return m_slotCount; }

Q_SIGNALS:
    /// New data for the charts (series, share, timeline).
    void changed();
    void actionsChanged(const cs::ui::ClusterActions& actions);
    void failedSlotsChanged(const QList<int>& slots);
    void statusChanged(const cs::ui::ClusterStatus& status);
    void requestMetricsKnownChanged(bool known);
    /// The cluster was scaled to `workers` (from its Scaled event).
    void workerCountScaled(int workers);

private:
    void update(); ///< actions, failed slots and status from the current state; signals what changed
    void updateStatus();

    WorkerTableModel* m_workers;
    LogModel* m_log;
    TimeSeriesModel* m_cores;
    TimeSeriesModel* m_rates;
    TimeSeriesModel* m_latency;
    TimeSeriesModel* m_memory;
    TimeSeriesModel* m_cpu;
    EventTimelineModel* m_timeline;
    ShareModel* m_share;
    HeatMapModel* m_heatMap;

    std::shared_ptr<const Snapshot> m_snapshot;
    bool m_running = false;
    bool m_requestMetricsKnown = true;
    int m_slotCount = 0;
    ClusterActions m_actions;
    QList<int> m_failed;
    ClusterStatus m_status;
};

} // namespace cs::ui
