#pragma once

#include "master/snapshot.h"

#include <memory>
#include <optional>
#include <vector>

#include <QAbstractTableModel>

namespace cs::ui {

/// One row per worker slot of the latest snapshot. Display text is formatted for people;
/// SortRole gives the raw number so a QSortFilterProxyModel sorts numerically.
class WorkerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Slot, Pid, State, Uptime, Restarts, RequestsPerSecond, Requests, OpenConnections,
                  Cpu, Rss, Core, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, SlotRole, StateRole };

    explicit WorkerTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Keeps rows (and so the view's selection) when the slots are unchanged.
    void setSnapshot(const std::shared_ptr<const Snapshot>& snapshot);
    void clear();

    const std::vector<WorkerSample>& workers() const { return m_workers; }
    const WorkerSample* workerAt(int row) const;
    /// Jain's index over every slot of the snapshot; empty before the first request.
    std::optional<double> fairness() const { return m_fairness; }
    std::optional<double> connectionFairness() const { return m_connectionFairness; }
    /// False when the workers are a program of the user's: request columns show "n/a".
    bool requestMetrics() const { return m_requestMetrics; }

private:
    std::vector<WorkerSample> m_workers;
    std::optional<double> m_fairness;
    std::optional<double> m_connectionFairness;
    bool m_requestMetrics = true;
    int m_cores = 0; ///< CPUs of the machine, to tell a restricted worker from a free one
};

/// "3 m 05 s", "1 h 02 m": uptime as people read it.
QString formatDuration(double seconds);
/// "12.3 MiB"
QString formatBytes(std::uint64_t bytes);
/// Jain's index as "0.50"; "–" when there is none yet (no requests), never a made-up 1.00.
QString formatFairness(const std::optional<double>& index);

} // namespace cs::ui
