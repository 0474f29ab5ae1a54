#pragma once

#include "models/runstore.h"

#include <memory>
#include <optional>

#include <QList>
#include <QObject>

namespace cs::ui {

class ClusterAdapter;
class LoadAdapter;

/// Keeps every load run as a run: from a load's start to its end it collects the cluster's
/// snapshots and events (the snapshot just before the load is the baseline), then hands the
/// run with the load's summary to the store. The lab's sequencer records a step without
/// load (the crash loop) by calling begin() and end() itself.
class RunRecorder : public QObject {
    Q_OBJECT
public:
    RunRecorder(ClusterAdapter* cluster, LoadAdapter* load, RunStore* store, QObject* parent = nullptr);

    bool recording() const { return m_run.has_value(); }
    /// Starts a run of the running cluster; `load` is what will be sent (none: nothing).
    void begin(const std::optional<LoadOptions>& load);
    /// Ends the run and stores it; returns its id (empty when none was being recorded).
    QString end(const std::optional<LoadSummary>& summary);

Q_SIGNALS:
    void recorded(QString id);

private:
    ClusterAdapter* m_cluster;
    LoadAdapter* m_load;
    RunStore* m_store;
    std::optional<LabRun> m_run;
};

} // namespace cs::ui
