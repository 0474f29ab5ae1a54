#include "models/workertablemodel.h"

#include "affinity/cpulist.h"
#include "models/slotpalette.h"

#include <cmath>

namespace cs::ui {

namespace {

Tone stateTone(WorkerState state)
{
    switch (state) {
    case WorkerState::Online:
        return Tone::Ok;
    case WorkerState::BackingOff:
    case WorkerState::Draining:
        return Tone::Warning;
    case WorkerState::Failed:
        return Tone::Error;
    case WorkerState::Starting:
    case WorkerState::Stopped:
        break;
    }
    return Tone::Muted;
}

bool sameSlots(const std::vector<WorkerSample>& a, const std::vector<WorkerSample>& b, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        if (a[i].slot != b[i].slot)
            return false;
    return true;
}

} // namespace

QString formatDuration(double seconds)
{
    if (seconds <= 0)
        return QStringLiteral("–");
    const auto total = static_cast<long long>(seconds);
    if (total < 60)
        return QStringLiteral("%1 s").arg(seconds, 0, 'f', 1);
    if (total < 3600)
        return QStringLiteral("%1 m %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 m").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString formatBytes(std::uint64_t bytes)
{
    if (bytes == 0)
        return QStringLiteral("–");
    const double mib = double(bytes) / (1024.0 * 1024.0);
    if (mib < 1.0)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 0);
    return QStringLiteral("%1 MiB").arg(mib, 0, 'f', 1);
}

QString formatFairness(const std::optional<double>& index)
{
    return index ? QString::number(*index, 'f', 2) : QStringLiteral("–");
}

WorkerTableModel::WorkerTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int WorkerTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_workers.size());
}

int WorkerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const WorkerSample* WorkerTableModel::workerAt(int row) const
{
    if (row < 0 || row >= int(m_workers.size()))
        return nullptr;
    return &m_workers[std::size_t(row)];
}

QVariant WorkerTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WorkerSample& w = m_workers[std::size_t(index.row())];
    const bool alive = w.pid != 0;
    // A program we did not write reports no requests: unknown, which is not zero.
    const bool unknown = !m_requestMetrics
        && (index.column() == RequestsPerSecond || index.column() == Requests || index.column() == OpenConnections);
    switch (role) {
    case SlotRole:
        return w.slot;
    case StateRole:
        return int(w.state);
    case SortRole:
        switch (index.column()) {
        case Slot: return w.slot;
        case Pid: return w.pid;
        case State: return int(w.state);
        case Uptime: return w.uptimeSeconds;
        case Restarts: return w.restarts;
        case RequestsPerSecond: return w.requestsPerSecond;
        case Requests: return qulonglong(w.requests);
        case OpenConnections: return uint(w.openConnections);
        case Cpu: return w.cpuPercent;
        case Rss: return qulonglong(w.rssBytes);
        case Core: return w.core;
        default: return {};
        }
    case Qt::DisplayRole:
        if (unknown)
            return tr("n/a");
        switch (index.column()) {
        case Slot: return QStringLiteral("#%1").arg(w.slot);
        case Pid: return alive ? QString::number(w.pid) : QStringLiteral("–");
        case State: return QString::fromLatin1(stateName(w.state));
        case Uptime: return alive ? formatDuration(w.uptimeSeconds) : QStringLiteral("–");
        case Restarts: return w.restarts;
        case RequestsPerSecond: return QString::number(w.requestsPerSecond, 'f', 0);
        case Requests: return QString::number(qulonglong(w.requests));
        case OpenConnections: return uint(w.openConnections);
        case Cpu: return alive ? QStringLiteral("%1 %").arg(w.cpuPercent, 0, 'f', 1) : QStringLiteral("–");
        case Rss: return formatBytes(w.rssBytes);
        case Core: {
            if (w.core < 0 || !alive)
                return QStringLiteral("–");
            // Pinning shows beside the core: "1 (pinned)", or the set a worker is held to.
            if (w.allowedCpus.size() == 1)
                return tr("%1 (pinned)").arg(w.core);
            if (!w.allowedCpus.empty() && int(w.allowedCpus.size()) < m_cores)
                return tr("%1 (of %2)").arg(w.core).arg(QString::fromStdString(formatCpuList(w.allowedCpus)));
            return QString::number(w.core);
        }
        default: return {};
        }
    case Qt::DecorationRole:
        if (index.column() == Slot)
            return slotColor(w.slot);
        return {};
    case Qt::ForegroundRole:
        if (unknown)
            return toneColor(Tone::Muted);
        if (index.column() == State)
            return stateTone(w.state) == Tone::Muted ? QVariant() : QVariant(toneColor(stateTone(w.state)));
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == State)
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == Core && alive && !w.allowedCpus.empty()) {
            const QString cpus = QString::fromStdString(formatCpuList(w.allowedCpus));
            const QString held = w.allowedCpus.size() == 1 ? tr("it is pinned to CPU %1")
                : int(w.allowedCpus.size()) < m_cores      ? tr("it may run on CPUs %1 only")
                                                           : tr("it may run on every CPU (%1)");
            return tr("Worker slot %1 last ran on core %2; %3").arg(w.slot).arg(w.core).arg(held.arg(cpus));
        }
        if (unknown)
            return tr("Request counts come from the built-in worker only: this slot runs your own program");
        if (!m_requestMetrics)
            return tr("Worker slot %1, pid %2: %3 (your own program: CPU, memory, core and restarts are measured, "
                      "requests are not)")
                .arg(w.slot)
                .arg(w.pid)
                .arg(QString::fromLatin1(stateName(w.state)));
        // Singular and plural by hand: Qt's "%n" forms need a loaded translation, and we ship none.
        return tr("Worker slot %1, pid %2: %3, %4 since the cluster started, %5")
            .arg(w.slot)
            .arg(w.pid)
            .arg(QString::fromLatin1(stateName(w.state)))
            .arg((w.requests == 1 ? tr("%L1 request served") : tr("%L1 requests served")).arg(qulonglong(w.requests)))
            .arg((w.connectionsAccepted == 1 ? tr("%L1 connection accepted") : tr("%L1 connections accepted"))
                     .arg(qulonglong(w.connectionsAccepted)));
    default:
        return {};
    }
}

QVariant WorkerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Slot: return tr("Slot");
        case Pid: return tr("PID");
        case State: return tr("State");
        case Uptime: return tr("Uptime");
        case Restarts: return tr("Restarts");
        case RequestsPerSecond: return tr("Req/s");
        case Requests: return tr("Requests");
        case OpenConnections: return tr("Conns");
        case Cpu: return tr("CPU");
        case Rss: return tr("RSS");
        case Core: return tr("Core");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Slot: return tr("Worker slot; keeps its number (and colour) across respawns");
        case Pid: return tr("Process id of the worker now running in the slot");
        case State: return tr("Starting, online, draining, backing off after a crash, failed or stopped");
        case Uptime: return tr("How long the current process has been running");
        case Restarts: return tr("How often this slot was respawned since the cluster started");
        case RequestsPerSecond: return tr("Requests served per second over the last sample");
        case Requests: return tr("Requests served by this slot since the cluster started");
        case OpenConnections: return tr("Connections the worker holds open right now");
        case Cpu: return tr("CPU use of the worker; 100 % is one whole core");
        case Rss: return tr("Resident memory of the worker process");
        case Core: return tr("The CPU core the worker last ran on, and \"pinned\" when it may run on that one only "
                             "(--pin), or the CPUs it is held to (--cpus)");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

void WorkerTableModel::setSnapshot(const std::shared_ptr<const Snapshot>& snapshot)
{
    const std::vector<WorkerSample> empty;
    const std::vector<WorkerSample>& next = snapshot ? snapshot->workers : empty;
    m_fairness = snapshot ? snapshot->fairness : std::nullopt;
    m_connectionFairness = snapshot ? snapshot->connectionFairness : std::nullopt;
    m_cores = snapshot ? int(snapshot->cores.size()) : 0;
    const bool requestMetrics = snapshot ? snapshot->requestMetrics : true;
    if (requestMetrics != m_requestMetrics) {
        // Every row's request columns change meaning: simplest as a reset (it happens once a run).
        beginResetModel();
        m_requestMetrics = requestMetrics;
        m_workers = snapshot ? snapshot->workers : std::vector<WorkerSample> {};
        endResetModel();
        return;
    }
    const std::size_t oldSize = m_workers.size();
    const std::size_t newSize = next.size();
    const std::size_t common = std::min(oldSize, newSize);
    if (!sameSlots(m_workers, next, common)) {
        beginResetModel();
        m_workers = next;
        endResetModel();
        return;
    }
    // Scaling adds or removes slots at the end: insert/remove rows so the view keeps its
    // selection and scroll position.
    if (newSize < oldSize) {
        beginRemoveRows({}, int(newSize), int(oldSize) - 1);
        m_workers.resize(newSize);
        endRemoveRows();
    }
    for (std::size_t i = 0; i < common; ++i)
        m_workers[i] = next[i];
    if (common > 0)
        Q_EMIT dataChanged(index(0, 0), index(int(common) - 1, ColumnCount - 1));
    if (newSize > oldSize) {
        beginInsertRows({}, int(oldSize), int(newSize) - 1);
        m_workers.insert(m_workers.end(), next.begin() + std::ptrdiff_t(oldSize), next.end());
        endInsertRows();
    }
}

void WorkerTableModel::clear()
{
    setSnapshot(nullptr);
}

} // namespace cs::ui
