#include "charts/latencychart.h"

#include "charts/chartstyle.h"
#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

LatencyChart::LatencyChart(TimeSeriesModel* model, QWidget* parent)
    : TimeChart(tr("Latency (all workers)"), tr("ms"), parent)
    , m_model(model)
{
    m_y->setLabelFormat(QStringLiteral("%.1f"));
    setToolTip(tr("Median (p50) and 99th-percentile (p99) time to serve a request, per sample interval"));
}

void LatencyChart::refresh(double now)
{
    syncLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); },
        [](int i) { return latencyColor(i == 0 ? Percentile::P50 : Percentile::P99); });
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(m_model->points(i));
    setNiceRange(m_y, m_model->maxValue() * 1.1, 0.5);
    const double top = m_y->max();
    m_y->setLabelFormat(top < 1 ? QStringLiteral("%.2f") : top < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    slide(now);
}

} // namespace cs::ui
