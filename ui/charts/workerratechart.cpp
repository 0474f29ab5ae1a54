#include "charts/workerratechart.h"

#include "charts/chartstyle.h"
#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

WorkerRateChart::WorkerRateChart(TimeSeriesModel* model, QWidget* parent)
    : TimeChart(tr("Requests/s per worker"), tr("req/s"), parent)
    , m_model(model)
{
    setToolTip(tr("Requests each worker serves per second; a line keeps its slot's colour across respawns "
                  "(the worker table shows each slot's colour, also when there are too many lines to name here)"));
}

void WorkerRateChart::refresh(double now)
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
    setNiceRange(m_y, visibleMax(lines) * 1.1, 10);
    showRange();
}

QString WorkerRateChart::valueText(int, double value) const
{
    return tr("%L1 req/s").arg(value, 0, 'f', value < 10 ? 1 : 0);
}

} // namespace cs::ui
