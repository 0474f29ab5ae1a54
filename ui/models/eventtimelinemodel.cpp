#include "models/eventtimelinemodel.h"

#include "models/logmodel.h"

#include <algorithm>

namespace cs::ui {

EventTimelineModel::EventTimelineModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int EventTimelineModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_markers.size());
}

int EventTimelineModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTimelineModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Marker& m = m_markers[std::size_t(index.row())];
    if (role == CategoryRole)
        return int(m.category);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Time: return formatClusterTime(m.time);
    case Slot: return m.slot;
    case What: return categoryName(m.category);
    case Detail: return m.detail;
    default: return {};
    }
}

QVariant EventTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole) {
        switch (section) {
        case Time: return tr("Time");
        case Slot: return tr("Slot");
        case What: return tr("What");
        case Detail: return tr("Detail");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

bool EventTimelineModel::categorize(const Event& event, Category* category)
{
    switch (event.kind) {
    case EventKind::Restart:
        *category = Category::Respawn;
        return true;
    case EventKind::Failed:
        *category = Category::Failed;
        return true;
    case EventKind::SpawnFailed:
        *category = Category::SpawnFailed;
        return true;
    case EventKind::Reset:
        *category = Category::Reset;
        return true;
    case EventKind::Exit:
        switch (event.reason) {
        case ExitReason::Crash:
            *category = Category::Crash;
            return true;
        case ExitReason::ExitCode:
            *category = Category::ExitCode;
            return true;
        case ExitReason::KilledByUser:
            *category = Category::KilledByUser;
            return true;
        case ExitReason::Timeout:
        case ExitReason::MemoryLimit:
        case ExitReason::ChannelError:
            *category = Category::Timeout;
            return true;
        case ExitReason::None:
        case ExitReason::Clean:
        case ExitReason::Stopped:
        case ExitReason::SpawnFailed: // reported as its own event kind
            return false;
        }
        return false;
    default:
        return false;
    }
}

QString EventTimelineModel::categoryName(Category category)
{
    switch (category) {
    case Category::Crash: return tr("Crash (signal)");
    case Category::ExitCode: return tr("Exit code");
    case Category::KilledByUser: return tr("Killed by user");
    case Category::Timeout: return tr("Timeout / limit");
    case Category::Respawn: return tr("Respawn");
    case Category::Failed: return tr("Slot failed");
    case Category::SpawnFailed: return tr("Could not start");
    case Category::Reset: return tr("Reset");
    }
    return {};
}

bool EventTimelineModel::markerFor(const Event& event, Marker* marker)
{
    Category category;
    if (event.kind == EventKind::Fork) {
        // A reset starts its process without a Restart event (nothing crashed): the fork that
        // follows it is that slot's respawn. Other forks (start, scale up, a respawn already
        // announced by its Restart) add nothing.
        if (!m_awaitingFork.remove(event.slot))
            return false;
        *marker = Marker { event.time, event.slot, Category::Respawn, tr("pid %1, after the reset").arg(event.pid) };
        return true;
    }
    if (!categorize(event, &category))
        return false;
    if (category == Category::Reset)
        m_awaitingFork.insert(event.slot);
    else
        m_awaitingFork.remove(event.slot); // a respawn or failure of its own speaks for the reset's process
    QString detail;
    if (event.kind == EventKind::Exit)
        detail = event.signal != 0 ? tr("pid %1, signal %2").arg(event.pid).arg(event.signal)
                                   : tr("pid %1, code %2").arg(event.pid).arg(event.exitCode);
    else if (event.kind == EventKind::Restart)
        detail = tr("after %1 ms").arg(event.delayMs);
    else
        detail = QString::fromStdString(event.message);
    *marker = Marker { event.time, event.slot, category, detail };
    return true;
}

void EventTimelineModel::addEvents(const QList<cs::Event>& events)
{
    std::vector<Marker> fresh;
    for (const Event& e : events) {
        Marker marker;
        if (markerFor(e, &marker))
            fresh.push_back(std::move(marker));
    }
    if (fresh.empty())
        return;
    const int first = int(m_markers.size());
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    for (Marker& m : fresh) {
        ++m_counts[std::size_t(m.category)];
        m_markers.push_back(std::move(m));
    }
    endInsertRows();
    if (int(m_markers.size()) > m_capacity) {
        const int drop = int(m_markers.size()) - m_capacity;
        beginRemoveRows({}, 0, drop - 1);
        for (int i = 0; i < drop; ++i)
            --m_counts[std::size_t(m_markers[std::size_t(i)].category)];
        m_markers.erase(m_markers.begin(), m_markers.begin() + drop);
        endRemoveRows();
    }
}

void EventTimelineModel::clear()
{
    beginResetModel();
    m_markers.clear();
    m_counts = {};
    m_awaitingFork.clear();
    endResetModel();
}

QList<QPointF> EventTimelineModel::points(Category category, double from, double to) const
{
    // Markers come in time order: skip to the range by binary search.
    const auto first = std::lower_bound(m_markers.begin(), m_markers.end(), from,
                                        [](const Marker& m, double t) { return m.time < t; });
    QList<QPointF> out;
    for (auto it = first; it != m_markers.end() && it->time <= to; ++it)
        if (it->category == category)
            out.append(QPointF(it->time, it->slot));
    return out;
}

QList<QPointF> EventTimelineModel::points(Category category) const
{
    QList<QPointF> out;
    for (const Marker& m : m_markers)
        if (m.category == category)
            out.append(QPointF(m.time, m.slot));
    return out;
}

} // namespace cs::ui
