#include "charts/coreloadchart.h"

#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

CoreLoadChart::CoreLoadChart(TimeSeriesModel* model, QWidget* parent)
    : TimeChart(tr("CPU load per core"), tr("busy %"), parent)
    , m_model(model)
{
    m_y->setRange(0, 100);
    m_y->setTickCount(6);
    setToolTip(tr("How busy each CPU core is (all processes, not only the cluster), over the last 60 seconds"));
}

void CoreLoadChart::refresh(double now)
{
    syncLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); }, coreColor);
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(m_model->points(i));
    slide(now);
}

} // namespace cs::ui
