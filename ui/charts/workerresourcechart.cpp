#include "charts/workerresourcechart.h"

#include "charts/chartstyle.h"
#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

WorkerResourceChart::WorkerResourceChart(TimeSeriesModel* memory, TimeSeriesModel* cpu, QWidget* parent)
    : TimeChart(tr("Memory and CPU per worker"), tr("MiB (thick)"), parent)
    , m_memory(memory)
    , m_cpu(cpu)
    , m_cpuAxis(new QValueAxis)
{
    m_chart->addAxis(m_cpuAxis, Qt::AlignRight);
    m_cpuAxis->setTitleText(tr("CPU % (thin)"));
    m_cpuAxis->setLabelFormat(QStringLiteral("%.0f"));
    m_cpuAxis->setGridLineVisible(false); // one grid (the memory axis') is enough
    setNiceRange(m_cpuAxis, 10, 10);
    restyle();
    setToolTip(tr("Per worker slot, in the slot's colour: resident memory (RSS, thick line, left axis) and CPU "
                  "(thin pale line, right axis, 100 % = one whole core). A line keeps its slot across respawns; a slot "
                  "without a process is a gap. Click a slot in the legend to hide its lines."));
}

void WorkerResourceChart::restyle()
{
    TimeChart::restyle();
    if (!m_cpuAxis)
        return; // called from the base constructor
    applyAxisStyle(m_cpuAxis, palette());
    m_cpuAxis->setGridLineVisible(false);
}

void WorkerResourceChart::refresh(double now)
{
    const TimeRange r = beginRefresh(now);
    const int slots = std::min(m_memory->seriesCount(), m_cpu->seriesCount());
    const int before = int(m_lines.size());
    syncLines(
        2 * slots, [this](int i) { return m_memory->seriesName(i / 2); },
        [](int i) { return slotColor(i / 2 + 1); });
    // A new CPU line: on the right axis, thin and paler, and not in the legend (its slot's
    // memory line stands for both). Not dashed: a dash pattern over a zoomed-out hour cost
    // five times the drawing of every other line together.
    for (int i = before | 1; i < m_lines.size(); i += 2) {
        QLineSeries* line = m_lines[i];
        if (line->attachedAxes().contains(m_cpuAxis))
            continue;
        line->detachAxis(m_yAxis);
        line->attachAxis(m_cpuAxis);
        QColor pale = line->property("csColor").value<QColor>();
        pale.setAlphaF(0.6f);
        setLinePen(line, pale, 1.2);
        unlist(i);
    }
    QList<QList<QPointF>> memory;
    QList<QList<QPointF>> cpu;
    for (int i = 0; i < m_lines.size(); ++i) {
        const TimeSeriesModel* model = i % 2 == 0 ? m_memory : m_cpu;
        QList<QPointF> points = model->points(i / 2, r.from, r.to, columns());
        m_lines[i]->replace(points);
        // visibleMax() reads hidden lines by index: keep the other kind's place empty.
        (i % 2 == 0 ? memory : cpu).append(std::move(points));
        (i % 2 == 0 ? cpu : memory).append(QList<QPointF>());
    }
    setNiceRange(m_y, visibleMax(memory) * 1.1, 1);
    setNiceRange(m_cpuAxis, visibleMax(cpu) * 1.1, 10);
    showRange();
}

void WorkerResourceChart::legendClicked(int line)
{
    const int memory = line - line % 2;
    const bool hide = !lineHidden(memory);
    setLineHidden(memory + 1, hide);
    setLineHidden(memory, hide);
}

QString WorkerResourceChart::valueText(int line, double value) const
{
    if (line % 2 == 0)
        return tr("%L1 MiB").arg(value, 0, 'f', 1);
    return tr("%1 % CPU").arg(value, 0, 'f', value < 10 ? 1 : 0);
}

double WorkerResourceChart::cpuAxisMax() const
{
    return m_cpuAxis->max();
}

double WorkerResourceChart::memoryAxisMax() const
{
    return m_y->max();
}

} // namespace cs::ui
