#include "charts/workerresourcechart.h"

#include "charts/chartstyle.h"
#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

WorkerResourceChart::WorkerResourceChart(TimeSeriesModel* model, Resource resource, QWidget* parent)
    : TimeChart(resource == Resource::Memory ? tr("Memory per worker") : tr("CPU per worker"),
                resource == Resource::Memory ? tr("resident MiB") : tr("% of a core"), parent)
    , m_model(model)
    , m_resource(resource)
{
    setToolTip(resource == Resource::Memory
                   ? tr("Resident memory (RSS) of each worker slot's process; a line keeps its slot's colour "
                        "across respawns, and a slot without a process is a gap")
                   : tr("CPU each worker slot's process uses, in % of one core (100 % = a whole core); a line "
                        "keeps its slot's colour across respawns"));
}

void WorkerResourceChart::refresh(double now)
{
    const TimeRange r = beginRefresh(now);
    syncLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); },
        [](int i) { return slotColor(i + 1); });
    QList<QList<QPointF>> lines;
    for (int i = 0; i < m_lines.size(); ++i)
        lines.append(m_model->points(i, r.from, r.to, columns()));
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(lines[i]);
    // Memory from 0 up (a leak reads as a slope, not as noise); CPU at least to 10 %, so an
    // idle worker's 0.3 % stays a flat line near the bottom.
    setNiceRange(m_y, visibleMax(lines) * 1.1, m_resource == Resource::Memory ? 1 : 10);
    showRange();
}

QString WorkerResourceChart::valueText(int, double value) const
{
    if (m_resource == Resource::Memory)
        return tr("%L1 MiB").arg(value, 0, 'f', 1);
    return tr("%1 % CPU").arg(value, 0, 'f', value < 10 ? 1 : 0);
}

} // namespace cs::ui
