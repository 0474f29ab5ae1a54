#include "models/logmodel.h"

#include "models/slotpalette.h"


namespace cs::ui {

QString formatClusterTime(double seconds)
{
    if (seconds < 0)
        seconds = 0;
    const auto minutes = static_cast<long long>(seconds / 60);
    const double rest = seconds - double(minutes) * 60;
    return QStringLiteral("%1:%2").arg(minutes, 2, 10, QLatin1Char('0')).arg(rest, 4, 'f', 1, QLatin1Char('0'));
}

LogModel::LogModel(int capacity, QObject* parent)
    : QAbstractTableModel(parent)
    , m_capacity(capacity > 0 ? capacity : kDefaultCapacity)
{
}

int LogModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

int LogModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Line& line = m_lines[std::size_t(index.row())];
    switch (role) {
    case SlotRole:
        return line.slot;
    case KindRole:
        return int(line.kind);
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Time: return formatClusterTime(line.time);
        case Slot: return line.slot == 0 ? tr("master") : QStringLiteral("#%1").arg(line.slot);
        case Kind: return QString::fromLatin1(eventKindName(line.kind));
        case Message: return line.text;
        default: return {};
        }
    case Qt::ForegroundRole:
        if (index.column() == Slot && line.slot > 0)
            return slotColor(line.slot);
        if (index.column() == Kind || index.column() == Message) {
            if (line.kind == EventKind::Failed || line.kind == EventKind::SpawnFailed)
                return toneColor(Tone::Error);
            if (line.kind == EventKind::Exit && line.reason != ExitReason::Clean && line.reason != ExitReason::Stopped)
                return toneColor(Tone::Error);
            if (line.kind == EventKind::Restart)
                return toneColor(Tone::Warning);
            if (line.kind == EventKind::Online)
                return toneColor(Tone::Ok);
        }
        return {};
    default:
        return {};
    }
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole) {
        switch (section) {
        case Time: return tr("Time");
        case Slot: return tr("Slot");
        case Kind: return tr("Event");
        case Message: return tr("Message");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

QString LogModel::describe(const Event& event)
{
    if (!event.message.empty())
        return QString::fromStdString(event.message);
    switch (event.kind) {
    case EventKind::Fork: return tr("started pid %1").arg(event.pid);
    case EventKind::Online: return tr("pid %1 is online").arg(event.pid);
    case EventKind::Listening: return tr("pid %1 accepts on its own listener").arg(event.pid);
    case EventKind::Exit:
        if (event.signal != 0)
            return tr("pid %1 ended by signal %2 (%3)")
                .arg(event.pid)
                .arg(event.signal)
                .arg(QString::fromLatin1(exitReasonName(event.reason)));
        return tr("pid %1 exited with code %2 (%3)")
            .arg(event.pid)
            .arg(event.exitCode)
            .arg(QString::fromLatin1(exitReasonName(event.reason)));
    case EventKind::Restart: return tr("respawn in %1 ms").arg(event.delayMs);
    case EventKind::Failed: return tr("crashed too often; no longer respawned until reset");
    case EventKind::Reset: return tr("reset by the user");
    case EventKind::Scaled:
        return event.workers == 1 ? tr("scaled to 1 worker") : tr("scaled to %1 workers").arg(event.workers);
    case EventKind::Stopped: return tr("cluster stopped");
    case EventKind::SpawnFailed: return tr("could not be started");
    case EventKind::Log: break;
    }
    return {};
}

void LogModel::addEvents(const QList<cs::Event>& events)
{
    std::vector<Line> lines;
    lines.reserve(std::size_t(events.size()));
    for (const Event& e : events)
        lines.push_back(Line { e.time, e.slot, e.kind, e.reason, describe(e) });
    append(std::move(lines));
}

void LogModel::addNote(double time, const QString& text)
{
    append({ Line { time, 0, EventKind::Log, ExitReason::None, text } });
}

void LogModel::append(std::vector<Line> lines)
{
    if (lines.empty())
        return;
    // Only the newest `capacity` of the incoming lines can survive anyway.
    if (lines.size() > std::size_t(m_capacity))
        lines.erase(lines.begin(), lines.end() - m_capacity);
    const std::size_t overflow = m_lines.size() + lines.size() > std::size_t(m_capacity)
        ? m_lines.size() + lines.size() - std::size_t(m_capacity)
        : 0;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_lines.erase(m_lines.begin(), m_lines.begin() + std::ptrdiff_t(overflow));
        endRemoveRows();
    }
    const int first = int(m_lines.size());
    beginInsertRows({}, first, first + int(lines.size()) - 1);
    for (Line& line : lines)
        m_lines.push_back(std::move(line));
    endInsertRows();
}

void LogModel::clear()
{
    beginResetModel();
    m_lines.clear();
    endResetModel();
}

} // namespace cs::ui
