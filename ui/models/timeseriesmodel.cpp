#include "models/timeseriesmodel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cs::ui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

} // namespace

TimeSeriesModel::TimeSeriesModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

int TimeSeriesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(rowTotal());
}

int TimeSeriesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 1 + int(m_names.size());
}

const TimeSeriesModel::Row& TimeSeriesModel::row(std::size_t i) const
{
    return i < m_buckets.size() ? m_buckets[i] : m_full[i - m_buckets.size()];
}

QVariant TimeSeriesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = row(std::size_t(index.row()));
    if (index.column() == 0)
        return role == Qt::DisplayRole || role == Qt::EditRole ? QVariant(r.time()) : QVariant();
    const std::size_t series = std::size_t(index.column() - 1);
    if (series >= r.cells.size() || r.cells[series].count == 0)
        return {};
    const Cell& c = r.cells[series];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole: return c.sum / c.count;
    case MinimumRole: return c.min;
    case MaximumRole: return c.max;
    case SampleCountRole: return c.count;
    default: return {};
    }
}

QVariant TimeSeriesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section <= m_names.size())
        return section == 0 ? tr("Time (s)") : m_names[section - 1];
    return QAbstractTableModel::headerData(section, orientation, role);
}

void TimeSeriesModel::setResolution(double fullSeconds, double bucketSeconds, int maxBuckets)
{
    clear();
    m_fullSeconds = fullSeconds;
    m_bucketWidth = m_baseBucketWidth = bucketSeconds;
    m_maxBuckets = std::max(maxBuckets, 2);
}

void TimeSeriesModel::setSeriesNames(const QStringList& names)
{
    if (names.size() < m_names.size()) {
        // A series that is gone takes its history along: were it to come back (a slot scaled
        // up again), its line must not start with the old one's samples.
        beginRemoveColumns({}, 1 + int(names.size()), int(m_names.size()));
        m_names.resize(names.size());
        const auto cut = [&](Row& r) {
            if (r.cells.size() > std::size_t(names.size()))
                r.cells.resize(std::size_t(names.size()));
        };
        std::for_each(m_buckets.begin(), m_buckets.end(), cut);
        std::for_each(m_full.begin(), m_full.end(), cut);
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

double TimeSeriesModel::firstTime() const
{
    return rowTotal() == 0 ? 0.0 : row(0).first;
}

double TimeSeriesModel::latestTime() const
{
    return m_full.empty() ? (m_buckets.empty() ? 0.0 : m_buckets.back().last) : m_full.back().last;
}

void TimeSeriesModel::append(double time, const std::vector<double>& values)
{
    if (rowTotal() > 0 && time < latestTime())
        clear();
    Row r { time, time, {} };
    r.cells.reserve(std::size_t(m_names.size()));
    for (int i = 0; i < m_names.size(); ++i) {
        const double v = std::size_t(i) < values.size() ? values[std::size_t(i)] : kNaN;
        r.cells.push_back(std::isnan(v) ? Cell { 0, 0, 0, 0 } : Cell { v, v, v, 1 });
    }
    const int at = int(rowTotal());
    beginInsertRows({}, at, at);
    m_full.push_back(std::move(r));
    endInsertRows();
    fold();
}

void TimeSeriesModel::clear()
{
    if (rowTotal() == 0 && m_bucketWidth == m_baseBucketWidth)
        return;
    beginResetModel();
    m_buckets.clear();
    m_buckets.shrink_to_fit();
    m_full.clear();
    m_full.shrink_to_fit();
    m_bucketWidth = m_baseBucketWidth;
    endResetModel();
}

double TimeSeriesModel::bucketStart(double t) const
{
    return std::floor(t / m_bucketWidth) * m_bucketWidth;
}

void TimeSeriesModel::merge(Row& into, const Row& from)
{
    into.first = std::min(into.first, from.first);
    into.last = std::max(into.last, from.last);
    if (into.cells.size() < from.cells.size())
        into.cells.resize(from.cells.size(), Cell { 0, 0, 0, 0 });
    for (std::size_t i = 0; i < from.cells.size(); ++i) {
        const Cell& f = from.cells[i];
        if (f.count == 0)
            continue;
        Cell& c = into.cells[i];
        if (c.count == 0) {
            c = f;
            continue;
        }
        c.min = std::min(c.min, f.min);
        c.max = std::max(c.max, f.max);
        c.sum += f.sum;
        c.count += f.count;
    }
}

void TimeSeriesModel::fold()
{
    const double limit = latestTime() - m_fullSeconds;
    while (m_full.size() > 1 && m_full.front().last < limit) {
        const int at = int(m_buckets.size());
        if (!m_buckets.empty() && bucketStart(m_full.front().first) == bucketStart(m_buckets.back().first)) {
            // Into the bucket it falls in: one row fewer, then the bucket above it changed.
            const Row folded = std::move(m_full.front());
            beginRemoveRows({}, at, at);
            m_full.pop_front();
            endRemoveRows();
            merge(m_buckets.back(), folded);
            Q_EMIT dataChanged(index(at - 1, 0), index(at - 1, int(m_names.size())));
        } else {
            // The first sample of a new bucket: the same row, now counted as a bucket.
            m_buckets.push_back(std::move(m_full.front()));
            m_full.pop_front();
        }
    }
    if (int(m_buckets.size()) > m_maxBuckets)
        mergeBuckets();
}

void TimeSeriesModel::mergeBuckets()
{
    // Rare (each time the oldest data's span doubles): a reset is simpler than row moves.
    beginResetModel();
    while (int(m_buckets.size()) > m_maxBuckets) {
        m_bucketWidth *= 2;
        std::vector<Row> merged;
        merged.reserve(m_buckets.size() / 2 + 1);
        for (Row& r : m_buckets) {
            if (!merged.empty() && bucketStart(r.first) == bucketStart(merged.back().first))
                merge(merged.back(), r);
            else
                merged.push_back(std::move(r));
        }
        m_buckets = std::move(merged);
    }
    endResetModel();
}

std::size_t TimeSeriesModel::lowerBound(double t) const
{
    std::size_t low = 0;
    std::size_t high = rowTotal();
    while (low < high) {
        const std::size_t mid = (low + high) / 2;
        if (row(mid).time() < t)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

QList<QPointF> TimeSeriesModel::points(int series) const
{
    return points(series, -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(), 0);
}

QList<QPointF> TimeSeriesModel::points(int series, double from, double to, int columns) const
{
    QList<QPointF> out;
    if (series < 0 || series >= m_names.size() || rowTotal() == 0)
        return out;
    const auto s = std::size_t(series);
    // One row beyond each end, so the lines run to the chart's edges.
    std::size_t begin = lowerBound(from);
    if (begin > 0)
        --begin;
    const std::size_t end = std::min(lowerBound(to) + 1, rowTotal());
    if (begin >= end)
        return out;
    const auto cellOf = [&](std::size_t i) -> const Cell* {
        const Row& r = row(i);
        return s < r.cells.size() && r.cells[s].count > 0 ? &r.cells[s] : nullptr;
    };
    if (columns <= 0 || end - begin <= std::size_t(columns)) {
        out.reserve(qsizetype(end - begin));
        for (std::size_t i = begin; i < end; ++i)
            if (const Cell* c = cellOf(i))
                out.append(QPointF(row(i).time(), c->max));
        return out;
    }
    // More rows than pixel columns: per column, the highest value at the column's mean time
    // (max decimation). The rows beyond the range get columns of their own.
    const double width = (to - from) / columns;
    out.reserve(columns + 4);
    long current = std::numeric_limits<long>::min();
    double maxV = 0, timeSum = 0;
    std::size_t inColumn = 0;
    const auto flush = [&] {
        if (inColumn > 0)
            out.append(QPointF(timeSum / double(inColumn), maxV));
    };
    for (std::size_t i = begin; i < end; ++i) {
        const Cell* c = cellOf(i);
        if (!c)
            continue;
        const double t = row(i).time();
        const long column = std::clamp(long(std::floor((t - from) / width)), -1L, long(columns));
        if (column != current) {
            flush();
            current = column;
            inColumn = 0;
            timeSum = 0;
            maxV = c->max;
        } else {
            maxV = std::max(maxV, c->max);
        }
        timeSum += t;
        ++inColumn;
    }
    flush();
    return out;
}

double TimeSeriesModel::maxValue(double from, double to) const
{
    double best = 0;
    if (rowTotal() == 0)
        return best;
    std::size_t begin = lowerBound(from);
    if (begin > 0)
        --begin;
    const std::size_t end = std::min(lowerBound(to) + 1, rowTotal());
    for (std::size_t i = begin; i < end; ++i)
        for (const Cell& c : row(i).cells)
            if (c.count > 0 && c.max > best)
                best = c.max;
    return best;
}

double TimeSeriesModel::maxValue() const
{
    return maxValue(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
}

std::size_t TimeSeriesModel::memoryBytes() const
{
    // The heap blocks: each row's cells (plus malloc's header), the bucket vector, and the
    // deque's 512-byte blocks and map.
    constexpr std::size_t kMallocOverhead = 16;
    std::size_t bytes = m_buckets.capacity() * sizeof(Row);
    const auto cells = [&](const Row& r) {
        if (r.cells.capacity() > 0)
            bytes += r.cells.capacity() * sizeof(Cell) + kMallocOverhead;
    };
    std::for_each(m_buckets.begin(), m_buckets.end(), cells);
    std::for_each(m_full.begin(), m_full.end(), cells);
    const std::size_t perBlock = std::max<std::size_t>(1, 512 / sizeof(Row));
    const std::size_t blocks = m_full.size() / perBlock + 1;
    bytes += blocks * (512 + kMallocOverhead) + (blocks + 8) * sizeof(void*);
    return bytes;
}

} // namespace cs::ui
