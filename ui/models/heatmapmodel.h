#pragma once

#include "master/snapshot.h"

#include <cstdint>
#include <vector>

#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace cs::ui {

/// Where each worker ran: for every slot (rows, slot 1 first) and CPU core (columns, core 0
/// first), the number of samples in which the slot's process used CPU and /proc/PID/stat
/// said it last ran on that core. Unpinned workers spread over several columns as the kernel
/// migrates them; a pinned worker stays in one. Counts cover the cluster since it started
/// (clear() at a new one) and follow a slot across respawns; a slot scaled away loses its row.
///
/// Display: the share as "58 %" ("" where it never ran); ShareRole: the share, 0..1;
/// CountRole: samples; AllowedRole: whether the worker may run on that core; ToolTipRole: the
/// row's summary. Header: "#1" (rows), "cpu0" (columns).
class HeatMapModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { ShareRole = Qt::UserRole + 1, CountRole, AllowedRole };

    explicit HeatMapModel(QObject* parent = nullptr);

    /// Counts one sample of every slot whose process used CPU since the previous snapshot.
    /// A snapshot seen already (same sequence) counts nothing.
    void apply(const Snapshot& snapshot);
    /// A new cluster: no rows, no counts.
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int slotCount() const { return int(m_rows.size()); } ///< rows: slots 1..slotCount()
    int coreCount() const { return m_cores; } ///< columns: cores 0..coreCount() - 1
    /// Samples counted for `slot` over all cores; 0 for a slot not shown.
    int samples(int slot) const;
    int count(int slot, int core) const;
    /// count / samples, 0..1; 0 before the slot's first sample.
    double share(int slot, int core) const;
    /// The cores the slot was seen on at least once.
    int coresUsed(int slot) const;
    /// The core it was seen on most (the lowest of equals); -1 before its first sample.
    int topCore(int slot) const;
    /// The CPUs the slot's process may run on now, ascending; empty when unknown.
    QList<int> allowedCpus(int slot) const;
    /// Its process may run on one CPU only.
    bool pinned(int slot) const;
    /// "worker 1 ran on 2 cores (58 % on core 0)", "worker 2 ran on core 1 only (pinned)",
    /// "worker 3 has not used CPU yet".
    QString summary(int slot) const;
    /// One line over every slot: "2 of 2 workers stayed on one core (pinned)", "2 workers
    /// moved between cores: …", or what to do before there is anything to show.
    QString overview() const;

private:
    struct Row {
        std::vector<int> counts; ///< per core
        int samples = 0;
        std::vector<int> allowed;
    };
    const Row* row(int slot) const;

    std::vector<Row> m_rows; ///< slot i + 1
    int m_cores = 0;
    std::uint64_t m_sequence = 0;
    bool m_seen = false; ///< a snapshot was applied since clear()
};

} // namespace cs::ui
