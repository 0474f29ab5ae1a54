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
    setToolTip(tr("How busy each CPU core is (all processes, not only the cluster), since the cluster started"));
}

void CoreLoadChart::refresh(double now)
{
    const TimeRange r = beginRefresh(now);
    syncLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); }, coreColor);
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(m_model->points(i, r.from, r.to, columns()));
    showRange();
}

QString CoreLoadChart::valueText(int, double value) const
{
    return tr("%1 % busy").arg(value, 0, 'f', 0);
}

} // namespace cs::ui
