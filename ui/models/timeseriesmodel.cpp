#include "models/timeseriesmodel.h"

#include <cmath>
#include <limits>

namespace cs::ui {

TimeSeriesModel::TimeSeriesModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int TimeSeriesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TimeSeriesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 1 + int(m_names.size());
}

QVariant TimeSeriesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    if (index.column() == 0)
        return row.time;
    const std::size_t series = std::size_t(index.column() - 1);
    if (series >= row.values.size() || std::isnan(row.values[series]))
        return {};
    return row.values[series];
}

QVariant TimeSeriesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section <= m_names.size())
        return section == 0 ? tr("Time (s)") : m_names[section - 1];
    return QAbstractTableModel::headerData(section, orientation, role);
}

void TimeSeriesModel::setSeriesNames(const QStringList& names)
{
    if (names.size() < m_names.size()) {
        // A series that is gone takes its history along: were it to come back (a slot scaled
        // up again), its line must not start with the old one's samples.
        beginRemoveColumns({}, 1 + int(names.size()), int(m_names.size()));
        m_names.resize(names.size());
        for (Row& row : m_rows)
            if (row.values.size() > std::size_t(names.size()))
                row.values.resize(std::size_t(names.size()));
        endRemoveColumns();
    }
    const int old = int(m_names.size());
    if (names.size() > old) {
        beginInsertColumns({}, 1 + old, int(names.size()));
        for (int i = old; i < names.size(); ++i)
            m_names.append(names[i]);
        endInsertColumns();
    }
    const int renamed = std::min(old, int(names.size()));
    bool changed = false;
    for (int i = 0; i < renamed; ++i) {
        if (m_names[i] != names[i]) {
            m_names[i] = names[i];
            changed = true;
        }
    }
    if (changed)
        Q_EMIT headerDataChanged(Qt::Horizontal, 1, renamed);
}

QString TimeSeriesModel::seriesName(int series) const
{
    return series >= 0 && series < m_names.size() ? m_names[series] : QString();
}

void TimeSeriesModel::append(double time, const std::vector<double>& values)
{
    if (!m_rows.empty() && time < m_rows.back().time)
        clear();
    // Keep one row older than the window so lines reach the chart's left edge.
    std::size_t drop = 0;
    while (drop + 1 < m_rows.size() && m_rows[drop + 1].time < time - m_window)
        ++drop;
    if (drop > 0) {
        beginRemoveRows({}, 0, int(drop) - 1);
        m_rows.erase(m_rows.begin(), m_rows.begin() + std::ptrdiff_t(drop));
        endRemoveRows();
    }
    Row row { time, values };
    row.values.resize(std::size_t(m_names.size()), std::numeric_limits<double>::quiet_NaN());
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_rows.push_back(std::move(row));
    endInsertRows();
}

void TimeSeriesModel::clear()
{
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

QList<QPointF> TimeSeriesModel::points(int series) const
{
    QList<QPointF> out;
    if (series < 0 || series >= m_names.size())
        return out;
    out.reserve(qsizetype(m_rows.size()));
    for (const Row& row : m_rows) {
        if (std::size_t(series) >= row.values.size())
            continue; // the series did not exist yet
        const double v = row.values[std::size_t(series)];
        if (!std::isnan(v))
            out.append(QPointF(row.time, v));
    }
    return out;
}

double TimeSeriesModel::maxValue() const
{
    double best = 0;
    for (const Row& row : m_rows)
        for (double v : row.values)
            if (!std::isnan(v) && v > best)
                best = v;
    return best;
}

} // namespace cs::ui
