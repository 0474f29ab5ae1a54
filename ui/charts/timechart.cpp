#include "charts/timechart.h"

#include "charts/chartnote.h"
#include "charts/chartstyle.h"

#include <algorithm>

#include <QChart>
#include <QEvent>
#include <QFontMetrics>
#include <QResizeEvent>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>

namespace cs::ui {

TimeChart::TimeChart(const QString& title, const QString& yTitle, QWidget* parent, QAbstractAxis* yAxis)
    // The chart goes to QChartView's constructor: QChartView(parent) makes a default chart of
    // its own, and setChart() only releases that one, never deletes it (LeakSanitizer found it).
    : QChartView(new QChart, parent)
    , m_chart(chart())
    , m_x(new QValueAxis)
    , m_yAxis(yAxis ? yAxis : new QValueAxis)
    , m_y(qobject_cast<QValueAxis*>(m_yAxis))
    , m_note(new ChartNote(this, m_chart))
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(kMinimumSize);
    m_chart->setTitle(title);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_yAxis, Qt::AlignLeft);
    m_x->setLabelFormat(QStringLiteral("%.0f s"));
    m_x->setTickCount(7); // every 10 s over the 60 s window; fewer when narrow (resizeEvent)
    m_x->setRange(0, kWindowSeconds);
    m_yAxis->setTitleText(yTitle);
    if (m_y) {
        m_y->setLabelFormat(QStringLiteral("%.0f"));
        m_y->setTickCount(6);
        m_y->setRange(0, 1);
    }
    restyle();
}

void TimeChart::changeEvent(QEvent* event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        restyle();
}

void TimeChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    // A label every 10 s where they fit, else every 20 s: "60 s" squeezed into "6…" says nothing.
    const QFontMetrics metrics(m_x->labelsFont());
    const int label = metrics.horizontalAdvance(QStringLiteral("60 s")) + 3 * metrics.averageCharWidth();
    const int plot = width() - 70; // less the y axis' labels and title, about
    const int ticks = plot >= 6 * label ? 7 : 4;
    if (m_x->tickCount() != ticks)
        m_x->setTickCount(ticks);
    fitLegend();
}

void TimeChart::fitLegend()
{
    // Charts whose legend lists something else than lines keep it as they set it; a note
    // over the chart hides the legend itself.
    if (m_lines.isEmpty() || !m_note->isHidden())
        return;
    const QFontMetrics metrics(m_chart->legend()->font());
    int needed = 0;
    for (const QLineSeries* line : std::as_const(m_lines))
        needed += metrics.horizontalAdvance(line->name()) + metrics.height() + 3 * metrics.averageCharWidth();
    const bool fits = needed <= width() - 2 * metrics.averageCharWidth();
    if (m_chart->legend()->isVisible() != fits)
        m_chart->legend()->setVisible(fits);
}

void TimeChart::restyle()
{
    applyChartStyle(m_chart, palette());
    applyAxisStyle(m_x, palette());
    applyAxisStyle(m_yAxis, palette());
    // setTheme recolours series: put our colours back.
    for (QLineSeries* line : std::as_const(m_lines)) {
        QPen pen = line->pen();
        pen.setColor(line->property("csColor").value<QColor>());
        pen.setWidthF(line->property("csWidth").toReal());
        line->setPen(pen);
    }
}

void TimeChart::setNote(const QString& note)
{
    m_note->setNote(note);
}

QString TimeChart::note() const
{
    return m_note->isVisibleTo(this) ? m_note->text() : QString();
}

void TimeChart::slide(double now)
{
    const double right = std::max(now, kWindowSeconds);
    m_x->setRange(right - kWindowSeconds, right);
}

void TimeChart::removeLastLine()
{
    QLineSeries* line = m_lines.takeLast();
    m_chart->removeSeries(line);
    delete line;
}

QStringList TimeChart::lineNames() const
{
    QStringList names;
    for (const QLineSeries* line : m_lines)
        names.append(line->name());
    return names;
}

int TimeChart::pointCount() const
{
    int points = 0;
    for (const QLineSeries* line : m_lines)
        points += line->count();
    return points;
}

QString TimeChart::title() const
{
    return m_chart->title();
}

QLineSeries* TimeChart::makeLine(const QString& name, const QColor& color, qreal width)
{
    auto* line = new QLineSeries;
    line->setName(name);
    line->setProperty("csColor", color);
    line->setProperty("csWidth", width);
    m_chart->addSeries(line);
    line->attachAxis(m_x);
    line->attachAxis(m_yAxis);
    QPen pen(color, width);
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    line->setPen(pen);
    line->setVisible(m_note->isHidden()); // a line added under a note stays hidden with the others
    return line;
}

} // namespace cs::ui
