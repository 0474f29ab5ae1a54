#include "charts/coreloadchart.h"

#include "models/timeseriesmodel.h"

#include <QColor>
#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

namespace {

QColor coreColor(int core)
{
    // Cores get their own family of hues, distinct from the slots' so nobody reads a core
    // as a worker.
    static const QRgb colors[] = { 0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0x8c564b, 0xe377c2, 0x17becf, 0xbcbd22 };
    return QColor::fromRgb(colors[core % 8]);
}

} // namespace

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
    ensureLines(
        m_model->seriesCount(), [this](int i) { return m_model->seriesName(i); }, coreColor);
    for (int i = 0; i < m_lines.size(); ++i)
        m_lines[i]->replace(m_model->points(i));
    slide(now);
}

} // namespace cs::ui
