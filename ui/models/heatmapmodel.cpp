#include "models/heatmapmodel.h"

#include <algorithm>

namespace cs::ui {

HeatMapModel::HeatMapModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void HeatMapModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_cores = 0;
    m_sequence = 0;
    m_seen = false;
    endResetModel();
}

void HeatMapModel::apply(const Snapshot& s)
{
    if (m_seen && s.sequence == m_sequence)
        return;
    m_seen = true;
    m_sequence = s.sequence;
    // A cluster always has a slot: a snapshot without any is the stopped cluster's last
    // word, and the picture of where its workers ran stays until the next start.
    if (s.workers.empty())
        return;
    int slots = 0;
    int cores = int(s.cores.size());
    for (const WorkerSample& w : s.workers) {
        slots = std::max(slots, w.slot);
        cores = std::max(cores, w.core + 1);
    }
    cores = std::max(cores, m_cores); // a core that vanished keeps its column (and its counts)
    const bool reshaped = slots != slotCount() || cores != m_cores;
    if (reshaped)
        beginResetModel();
    // A slot scaled away loses its counts: a slot of that number later is a new worker.
    std::vector<bool> present(std::size_t(slots), false);
    for (const WorkerSample& w : s.workers)
        if (w.slot > 0)
            present[std::size_t(w.slot - 1)] = true;
    m_rows.resize(std::size_t(slots));
    m_cores = cores;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (!present[i])
            m_rows[i] = Row {};
        m_rows[i].counts.resize(std::size_t(cores), 0);
    }
    for (const WorkerSample& w : s.workers) {
        if (w.slot <= 0)
            continue;
        Row& r = m_rows[std::size_t(w.slot - 1)];
        r.allowed = w.allowedCpus;
        // "Seen running": the last-run core of a process that used CPU in the interval. An idle
        // worker's last core says where it slept, and would pile up in one column.
        if (w.pid > 0 && w.core >= 0 && w.cpuPercent > 0) {
            ++r.counts[std::size_t(w.core)];
            ++r.samples;
        }
    }
    if (reshaped)
        endResetModel();
    else if (slots > 0 && cores > 0)
        Q_EMIT dataChanged(index(0, 0), index(slots - 1, cores - 1));
}

int HeatMapModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : slotCount();
}

int HeatMapModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_cores;
}

const HeatMapModel::Row* HeatMapModel::row(int slot) const
{
    return slot >= 1 && slot <= slotCount() ? &m_rows[std::size_t(slot - 1)] : nullptr;
}

int HeatMapModel::samples(int slot) const
{
    const Row* r = row(slot);
    return r ? r->samples : 0;
}

int HeatMapModel::count(int slot, int core) const
{
    const Row* r = row(slot);
    return r && core >= 0 && core < m_cores ? r->counts[std::size_t(core)] : 0;
}

double HeatMapModel::share(int slot, int core) const
{
    const int n = samples(slot);
    return n > 0 ? double(count(slot, core)) / n : 0.0;
}

int HeatMapModel::coresUsed(int slot) const
{
    const Row* r = row(slot);
    return r ? int(std::count_if(r->counts.begin(), r->counts.end(), [](int c) { return c > 0; })) : 0;
}

int HeatMapModel::topCore(int slot) const
{
    const Row* r = row(slot);
    if (!r || r->samples == 0)
        return -1;
    return int(std::max_element(r->counts.begin(), r->counts.end()) - r->counts.begin());
}

QList<int> HeatMapModel::allowedCpus(int slot) const
{
    const Row* r = row(slot);
    return r ? QList<int>(r->allowed.begin(), r->allowed.end()) : QList<int> {};
}

bool HeatMapModel::pinned(int slot) const
{
    const Row* r = row(slot);
    return r && r->allowed.size() == 1;
}

namespace {
QString percent(double share)
{
    return HeatMapModel::tr("%1 %").arg(qRound(share * 100));
}
} // namespace

QString HeatMapModel::summary(int slot) const
{
    const int top = topCore(slot);
    if (top < 0)
        return tr("worker %1 has not used CPU yet").arg(slot);
    const int used = coresUsed(slot);
    if (used == 1)
        return pinned(slot) ? tr("worker %1 ran on core %2 only (pinned)").arg(slot).arg(top)
                            : tr("worker %1 ran on core %2 only").arg(slot).arg(top);
    return tr("worker %1 ran on %2 cores (%3 on core %4)").arg(slot).arg(used).arg(percent(share(slot, top))).arg(top);
}

QString HeatMapModel::overview() const
{
    int seen = 0, moved = 0, pinnedCount = 0;
    for (int slot = 1; slot <= slotCount(); ++slot) {
        if (samples(slot) == 0)
            continue;
        ++seen;
        moved += coresUsed(slot) > 1 ? 1 : 0;
        pinnedCount += pinned(slot) ? 1 : 0;
    }
    if (seen == 0)
        return slotCount() == 0 ? tr("Start a cluster to see where its workers run")
                                : tr("No worker has used CPU yet: put load on the cluster");
    const QString workers = seen == 1 ? tr("1 worker") : tr("%1 workers").arg(seen);
    if (moved == 0)
        return pinnedCount == seen ? tr("%1 stayed on one core each (pinned)").arg(workers)
                                   : tr("%1 stayed on one core each so far").arg(workers);
    return tr("%1 of %2 moved between cores").arg(moved).arg(workers);
}

QVariant HeatMapModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int slot = index.row() + 1;
    const int core = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return count(slot, core) > 0 ? percent(share(slot, core)) : QString();
    case ShareRole:
        return share(slot, core);
    case CountRole:
        return count(slot, core);
    case AllowedRole: {
        const Row* r = row(slot);
        return r->allowed.empty() || std::find(r->allowed.begin(), r->allowed.end(), core) != r->allowed.end();
    }
    case Qt::ToolTipRole:
        return tr("%1; core %2: %3 of %4 samples with CPU use")
            .arg(summary(slot))
            .arg(core)
            .arg(count(slot, core))
            .arg(samples(slot));
    default:
        return {};
    }
}

QVariant HeatMapModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || section < 0)
        return {};
    if (orientation == Qt::Vertical)
        return section < slotCount() ? QVariant(QStringLiteral("#%1").arg(section + 1)) : QVariant();
    return section < m_cores ? QVariant(QStringLiteral("cpu%1").arg(section)) : QVariant();
}

} // namespace cs::ui
