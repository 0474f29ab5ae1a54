#pragma once

#include "lab/runsummary.h"

#include <vector>

#include <QAbstractTableModel>
#include <QStringList>

namespace cs::ui {

struct LabRun;

/// Runs side by side: one column per run, one row per figure (throughput, latency, failed
/// requests, Jain's index, the busiest worker's share, master CPU, then each worker's share
/// and each core's load). Qt::DisplayRole is the figure as text, Qt::UserRole its number
/// (a double; invalid where the run has no such figure). The comparison charts read it.
class ComparisonModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Figure { Requests, Throughput, P50, P99, Failed, Jain, MaxShare, MasterCpu, WorkerShare, CoreLoad };

    explicit ComparisonModel(QObject* parent = nullptr);

    void setRuns(const std::vector<const LabRun*>& runs);
    int runCount() const { return int(m_summaries.size()); }
    QString runLabel(int column) const { return m_labels.value(column); }
    /// What tells this run from the others compared (the parts of the labels that differ:
    /// the policy in a policy comparison), one part a line; the policy when nothing differs.
    QString shortLabel(int column) const;
    const lab::RunSummary& summary(int column) const { return m_summaries[std::size_t(column)]; }
    /// The most worker slots and cores of any run (the rows they take).
    int maxWorkers() const { return m_maxWorkers; }
    int maxCores() const { return m_maxCores; }

    /// The row of a figure; for WorkerShare and CoreLoad, of that slot (1-based) or core (0-based).
    int rowOf(Figure figure, int which = 0) const;
    /// The number in a cell; NaN where the run has none.
    double value(Figure figure, int column, int which = 0) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::pair<Figure, int> figureAt(int row) const;

    std::vector<lab::RunSummary> m_summaries;
    QStringList m_labels;
    int m_maxWorkers = 0;
    int m_maxCores = 0;
};

} // namespace cs::ui
