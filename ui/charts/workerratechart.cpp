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
    syncLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); },
        [](int i) { return slotColor(i + 1); });
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(m_model->points(i));
    setNiceRange(m_y, m_model->maxValue() * 1.1, 10);
    slide(now);
}

} // namespace cs::ui
