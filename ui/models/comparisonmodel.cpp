#include "models/comparisonmodel.h"

#include "models/runstore.h"

#include <cmath>
#include <limits>

namespace cs::ui {

namespace {

constexpr int kFixedRows = 8; // Requests .. MasterCpu
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

} // namespace

ComparisonModel::ComparisonModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ComparisonModel::setRuns(const std::vector<const LabRun*>& runs)
{
    beginResetModel();
    m_summaries.clear();
    m_labels.clear();
    m_maxWorkers = 0;
    m_maxCores = 0;
    for (const LabRun* run : runs) {
        m_summaries.push_back(run->summary);
        m_labels.append(run->label());
        m_maxWorkers = std::max(m_maxWorkers, int(run->summary.slots.size()));
        m_maxCores = std::max(m_maxCores, int(run->summary.coreBusyPercent.size()));
    }
    endResetModel();
}

QString ComparisonModel::shortLabel(int column) const
{
    const QString separator = QStringLiteral(" · ");
    const QStringList mine = m_labels.value(column).split(separator);
    QStringList differ;
    for (int part = 0; part < mine.size(); ++part) {
        bool same = true;
        for (const QString& other : m_labels)
            same = same && other.split(separator).value(part) == mine[part];
        if (!same)
            differ << mine[part];
    }
    return differ.isEmpty() ? mine.value(0) : differ.join(QLatin1Char('\n'));
}

int ComparisonModel::rowOf(Figure figure, int which) const
{
    if (figure == Figure::WorkerShare)
        return kFixedRows + which - 1;
    if (figure == Figure::CoreLoad)
        return kFixedRows + m_maxWorkers + which;
    return int(figure);
}

std::pair<ComparisonModel::Figure, int> ComparisonModel::figureAt(int row) const
{
    if (row < kFixedRows)
        return { Figure(row), 0 };
    if (row < kFixedRows + m_maxWorkers)
        return { Figure::WorkerShare, row - kFixedRows + 1 };
    return { Figure::CoreLoad, row - kFixedRows - m_maxWorkers };
}

double ComparisonModel::value(Figure figure, int column, int which) const
{
    if (column < 0 || column >= runCount())
        return kNone;
    const lab::RunSummary& s = m_summaries[std::size_t(column)];
    switch (figure) {
    case Figure::Requests:
        return double(s.requests);
    case Figure::Throughput:
        return s.requestsPerSecond;
    case Figure::P50:
        return s.p50Ms;
    case Figure::P99:
        return s.p99Ms;
    case Figure::Failed:
        return s.loadMeasured ? double(s.failed) : kNone;
    case Figure::Jain:
        return s.jain ? *s.jain : kNone;
    case Figure::MaxShare:
        return s.requests ? s.maxShare : kNone;
    case Figure::MasterCpu:
        return s.masterCpuPercent;
    case Figure::WorkerShare:
        for (const lab::SlotFigures& f : s.slots)
            if (f.slot == which)
                return s.requests ? f.share : kNone;
        return kNone;
    case Figure::CoreLoad:
        return which >= 0 && which < int(s.coreBusyPercent.size()) ? s.coreBusyPercent[std::size_t(which)] : kNone;
    }
    return kNone;
}

int ComparisonModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || m_summaries.empty() ? 0 : kFixedRows + m_maxWorkers + m_maxCores;
}

int ComparisonModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : runCount();
}

QVariant ComparisonModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const auto [figure, which] = figureAt(index.row());
    const double v = value(figure, index.column(), which);
    if (role == Qt::UserRole)
        return std::isnan(v) ? QVariant() : QVariant(v);
    if (role == Qt::TextAlignmentRole)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    if (std::isnan(v))
        return QStringLiteral("–");
    switch (figure) {
    case Figure::Requests:
    case Figure::Failed:
        return QStringLiteral("%L1").arg(qulonglong(v));
    case Figure::Throughput:
        return QStringLiteral("%L1").arg(v, 0, 'f', 0);
    case Figure::P50:
    case Figure::P99:
        return QStringLiteral("%1").arg(v, 0, 'f', 2);
    case Figure::Jain:
        return QStringLiteral("%1").arg(v, 0, 'f', 2);
    case Figure::MaxShare:
    case Figure::WorkerShare:
        return QStringLiteral("%1 %").arg(v * 100, 0, 'f', 1);
    case Figure::MasterCpu:
    case Figure::CoreLoad:
        return QStringLiteral("%1 %").arg(v, 0, 'f', 0);
    }
    return {};
}

QVariant ComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role == Qt::ToolTipRole && orientation == Qt::Horizontal)
        return m_labels.value(section);
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal) {
        // What tells the runs apart; the tooltip has the whole label.
        return shortLabel(section);
    }
    const auto [figure, which] = figureAt(section);
    switch (figure) {
    case Figure::Requests:
        return tr("Requests");
    case Figure::Throughput:
        return tr("Throughput (req/s)");
    case Figure::P50:
        return tr("Latency p50 (ms)");
    case Figure::P99:
        return tr("Latency p99 (ms)");
    case Figure::Failed:
        return tr("Failed requests");
    case Figure::Jain:
        return tr("Jain's index");
    case Figure::MaxShare:
        return tr("Busiest worker's share");
    case Figure::MasterCpu:
        return tr("Master CPU");
    case Figure::WorkerShare:
        return tr("Worker %1 share").arg(which);
    case Figure::CoreLoad:
        return tr("Core %1 load").arg(which);
    }
    return {};
}

} // namespace cs::ui
