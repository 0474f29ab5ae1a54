#include "charts/timechart.h"

#include "charts/chartnote.h"
#include "charts/chartstyle.h"
#include "models/logmodel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QCategoryAxis>
#include <QChart>
#include <QEvent>
#include <QFontMetrics>
#include <QKeyEvent>
#include <QLegend>
#include <QLegendMarker>
#include <QLocale>
#include <QLineSeries>
#include <QMouseEvent>
#include <QPen>
#include <QResizeEvent>
#include <QRubberBand>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <QWheelEvent>

namespace cs::ui {

namespace {

/// A tick label: "0:30", "12:00", "1:02:00".
QString tickLabel(double seconds)
{
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(total / 3600)
            .arg((total % 3600) / 60, 2, 10, QLatin1Char('0'))
            .arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
}

constexpr double kHoverReach = 24; // pixels from the cursor within which a point is "hovered"
constexpr double kWheelStep = 0.8; // one wheel notch shows 80 % of the span

} // namespace

TimeChart::TimeChart(const QString& title, const QString& yTitle, QWidget* parent, QAbstractAxis* yAxis)
    // The chart goes to QChartView's constructor: QChartView(parent) makes a default chart of
    // its own, and setChart() only releases that one, never deletes it (LeakSanitizer found it).
    : QChartView(new QChart, parent)
    , m_chart(chart())
    , m_x(nullptr)
    , m_yAxis(yAxis ? yAxis : new QValueAxis)
    , m_y(qobject_cast<QValueAxis*>(m_yAxis))
    , m_note(new ChartNote(this, m_chart))
    , m_view(new TimeView(this))
    , m_ownView(m_view)
    , m_time(new QCategoryAxis)
    , m_hoverDot(new QScatterSeries)
    , m_band(new QRubberBand(QRubberBand::Rectangle, viewport()))
{
    m_x = m_time;
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(kMinimumSize);
    setFocusPolicy(Qt::StrongFocus);
    viewport()->setMouseTracking(true);
    m_chart->setTitle(title);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_yAxis, Qt::AlignLeft);
    m_time->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_yAxis->setTitleText(yTitle);
    if (m_y) {
        m_y->setLabelFormat(QStringLiteral("%.0f"));
        m_y->setTickCount(6);
        m_y->setRange(0, 10); // whole steps for the whole-number labels, until there is data
    }
    // The hovered point, drawn over the lines; not a legend entry.
    m_hoverDot->setMarkerSize(9);
    m_chart->addSeries(m_hoverDot);
    m_hoverDot->attachAxis(m_x);
    m_hoverDot->attachAxis(m_yAxis);
    for (QLegendMarker* marker : m_chart->legend()->markers(m_hoverDot))
        marker->setVisible(false);
    m_band->hide();
    connect(m_view, &TimeView::changed, this, [this] { refresh(m_now); });
    updateTimeLabels(m_view->range());
    restyle();
}

void TimeChart::setTimeView(TimeView* view)
{
    if (!view || view == m_view)
        return;
    disconnect(m_view, nullptr, this, nullptr);
    m_view = view;
    connect(m_view, &TimeView::changed, this, [this] { refresh(m_now); });
    delete m_ownView;
    m_ownView = nullptr;
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
    // The labels that fit change with the width: "0:30" squeezed into "0…" says nothing.
    m_labelled = {};
    updateTimeLabels(m_view->range());
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
        if (!line->property("csUnlisted").toBool())
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
    for (QLineSeries* line : std::as_const(m_lines))
        setLinePen(line, line->property("csColor").value<QColor>(), line->property("csWidth").toReal());
    m_hoverDot->setColor(palette().color(QPalette::Text));
    m_hoverDot->setBorderColor(palette().color(QPalette::Base));
    for (QLegendMarker* marker : m_chart->legend()->markers(m_hoverDot))
        marker->setVisible(false);
    for (int i = 0; i < m_lines.size(); ++i)
        applyHidden(i);
}

QString TimeChart::valueText(int, double value) const
{
    return QLocale().toString(value, 'f', value < 10 ? 1 : 0);
}

void TimeChart::setNote(const QString& note)
{
    m_note->setNote(note);
    clearHover();
    // The note shows every series again when it goes: the ones the user hid stay hidden.
    for (int i = 0; i < m_lines.size(); ++i)
        applyHidden(i);
}

QString TimeChart::note() const
{
    return m_note->isVisibleTo(this) ? m_note->text() : QString();
}

TimeRange TimeChart::beginRefresh(double now)
{
    m_now = now;
    m_view->setNow(now);
    return m_view->range();
}

int TimeChart::columns() const
{
    // A point every two pixels: a 2 px line cannot show more, and sixteen workers' lines over
    // a zoomed-out hour cost half as much to draw.
    const qreal plot = m_chart->plotArea().width();
    return std::max(50, int(plot > 1 ? plot : width() - 70) / 2);
}

double TimeChart::visibleMax(const QList<QList<QPointF>>& lines) const
{
    double best = 0;
    for (int i = 0; i < lines.size(); ++i) {
        if (m_hidden.contains(i))
            continue;
        for (const QPointF& p : lines[i])
            best = std::max(best, p.y());
    }
    return best;
}

void TimeChart::showRange()
{
    const TimeRange r = m_view->range();
    if (m_x->min() != r.from || m_x->max() != r.to)
        m_x->setRange(r.from, r.to);
    updateTimeLabels(r);
    // Dense lines over a long span (a zoomed-out hour: a point every two pixels) are drawn
    // without antialiasing, which halves their cost and looks the same at that density; the
    // live minute always smooth.
    qsizetype most = 0;
    for (const QLineSeries* line : std::as_const(m_lines))
        most = std::max(most, qsizetype(line->count()));
    const bool smooth = r.span() <= 300 || most < columns() * 2 / 3;
    if (renderHints().testFlag(QPainter::Antialiasing) != smooth)
        setRenderHint(QPainter::Antialiasing, smooth);
    // The hovered point may have left the range or changed: look again where the mouse is.
    if (!m_hoverText.isEmpty() && underMouse()) {
        const QPoint global = QCursor::pos();
        updateHover(viewport()->mapFromGlobal(global), global);
    }
}

void TimeChart::updateTimeLabels(const TimeRange& r)
{
    // Round ticks ("0:30", "1:00"), as many as fit the width, at most 7.
    const QFontMetrics metrics(m_x->labelsFont());
    const int label = metrics.horizontalAdvance(QStringLiteral("00:00")) + 3 * metrics.averageCharWidth();
    const qreal plot = m_chart->plotArea().width() > 1 ? m_chart->plotArea().width() : width() - 70;
    const int fitting = std::clamp(int(plot / label), 2, 7);
    static constexpr double kSteps[] = { 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14400, 28800, 86400 };
    double step = kSteps[std::size(kSteps) - 1];
    for (double s : kSteps) {
        if (r.span() / s <= fitting) {
            step = s;
            break;
        }
    }
    // A label centred on the right edge would be cut by the chart's frame: a tick that close
    // goes unlabelled (the left edge has the y axis' room).
    const double margin = r.span() * (label / 2.0) / std::max<qreal>(plot, 1);
    const double first = std::ceil(r.from / step - 1e-9) * step;
    const double last = std::floor((r.to - margin) / step + 1e-9) * step;
    // Labels change only when a tick enters or leaves, or the step changes.
    if (step == m_tickStep && m_labelled == TimeRange { first, last })
        return;
    m_tickStep = step;
    m_labelled = { first, last };
    for (const QString& old : m_time->categoriesLabels())
        m_time->remove(old);
    m_time->setStartValue(first - step);
    for (double t = first; t <= last + 1e-9; t += step)
        m_time->append(tickLabel(t), t);
    // Removing and appending categories may move the range: put it back.
    m_time->setRange(r.from, r.to);
}

TimeRange TimeChart::axisRange() const
{
    return { m_x->min(), m_x->max() };
}

QStringList TimeChart::timeLabels() const
{
    return m_time->categoriesLabels();
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

QList<QPointF> TimeChart::linePoints(int i) const
{
    return i >= 0 && i < m_lines.size() ? m_lines[i]->points() : QList<QPointF>();
}

QString TimeChart::title() const
{
    return m_chart->title();
}

void TimeChart::setLinePen(QLineSeries* line, const QColor& color, qreal width)
{
    line->setProperty("csColor", color);
    line->setProperty("csWidth", width);
    // Bevel joins and flat caps: round ones made the stroker trace an arc at every vertex,
    // which cost the most of drawing an hour of 16 workers (a point per pixel column).
    QPen pen(color, width);
    pen.setCapStyle(Qt::FlatCap);
    pen.setJoinStyle(Qt::BevelJoin);
    line->setPen(pen);
}

QLineSeries* TimeChart::makeLine(const QString& name, const QColor& color, qreal width)
{
    auto* line = new QLineSeries;
    line->setName(name);
    m_chart->addSeries(line);
    line->attachAxis(m_x);
    line->attachAxis(m_yAxis);
    setLinePen(line, color, width);
    line->setVisible(m_note->isHidden()); // a line added under a note stays hidden with the others
    // The dot stays on top of the lines.
    m_chart->removeSeries(m_hoverDot);
    m_chart->addSeries(m_hoverDot);
    m_hoverDot->attachAxis(m_x);
    m_hoverDot->attachAxis(m_yAxis);
    for (QLegendMarker* marker : m_chart->legend()->markers(m_hoverDot))
        marker->setVisible(false);
    for (QLegendMarker* marker : m_chart->legend()->markers(line))
        connect(marker, &QLegendMarker::clicked, this, [this, line] {
            if (const int i = int(m_lines.indexOf(line)); i >= 0)
                legendClicked(i);
        });
    return line;
}

void TimeChart::legendClicked(int line)
{
    setLineHidden(line, !m_hidden.contains(line));
}

void TimeChart::unlist(int line)
{
    if (line < 0 || line >= m_lines.size() || m_lines[line]->property("csUnlisted").toBool())
        return;
    m_lines[line]->setProperty("csUnlisted", true);
    applyHidden(line);
}

void TimeChart::setLineHidden(int i, bool hidden)
{
    if (i < 0 || i >= m_lines.size())
        return;
    if (hidden)
        m_hidden.insert(i);
    else
        m_hidden.remove(i);
    applyHidden(i);
    clearHover();
    refresh(m_now); // the y scale follows the lines that are shown
}

void TimeChart::applyHidden(int i)
{
    QLineSeries* line = m_lines[i];
    const bool hidden = m_hidden.contains(i);
    line->setVisible(!hidden && m_note->isHidden());
    // A hidden line keeps its legend entry, greyed, so it can be clicked back.
    const QColor color = line->property("csColor").value<QColor>();
    const bool listed = !line->property("csUnlisted").toBool();
    for (QLegendMarker* marker : m_chart->legend()->markers(line)) {
        marker->setVisible(listed && m_note->isHidden());
        QColor label = palette().color(hidden ? QPalette::PlaceholderText : QPalette::Text);
        marker->setLabelBrush(label);
        QColor swatch = color;
        swatch.setAlphaF(hidden ? 0.25f : 1.0f);
        marker->setBrush(swatch);
        QPen pen = marker->pen();
        pen.setColor(swatch);
        marker->setPen(pen);
    }
}

QRectF TimeChart::plotRect() const
{
    const QRectF scene = m_chart->mapToScene(m_chart->plotArea()).boundingRect();
    return mapFromScene(scene).boundingRect();
}

bool TimeChart::inPlot(const QPoint& pos) const
{
    return plotRect().adjusted(-1, -1, 1, 1).contains(pos);
}

double TimeChart::timeAt(const QPoint& pos) const
{
    const QPointF scene = mapToScene(pos);
    // The hover dot is on the time axis in every chart, lines or not (the restart timeline).
    return m_chart->mapToValue(m_chart->mapFromScene(scene), m_hoverDot).x();
}

QPoint TimeChart::positionOf(double t, double y, int line) const
{
    QAbstractSeries* series = line >= 0 && line < m_lines.size() ? static_cast<QAbstractSeries*>(m_lines[line]) : m_hoverDot;
    const QPointF at = m_chart->mapToPosition(QPointF(t, y), series);
    return mapFromScene(m_chart->mapToScene(at));
}

void TimeChart::wheelEvent(QWheelEvent* event)
{
    const QPoint pos = event->position().toPoint();
    const int delta = event->angleDelta().y() != 0 ? event->angleDelta().y() : event->angleDelta().x();
    // Outside the plot the wheel is the surrounding scroll area's (the chart grid scrolls).
    if (!inPlot(pos) || delta == 0) {
        event->ignore();
        return;
    }
    m_view->zoom(timeAt(pos), std::pow(kWheelStep, delta / 120.0));
    event->accept();
}

void TimeChart::mousePressEvent(QMouseEvent* event)
{
    const QPoint pos = event->position().toPoint();
    if (inPlot(pos)) {
        const bool pan = event->button() == Qt::MiddleButton
            || (event->button() == Qt::LeftButton && event->modifiers().testFlag(Qt::ShiftModifier));
        if (pan || event->button() == Qt::LeftButton) {
            m_drag = pan ? Drag::Pan : Drag::Select;
            m_pressAt = pos;
            m_pressRange = m_view->range();
            clearHover();
            setFocus(Qt::MouseFocusReason);
            event->accept();
            return;
        }
    }
    QChartView::mousePressEvent(event); // the legend's markers take their clicks here
}

void TimeChart::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint pos = event->position().toPoint();
    const QRectF plot = plotRect();
    if (m_drag == Drag::Select) {
        const int x = std::clamp(pos.x(), int(plot.left()), int(plot.right()));
        m_band->setGeometry(QRect(QPoint(std::min(x, m_pressAt.x()), int(plot.top())),
                                  QPoint(std::max(x, m_pressAt.x()), int(plot.bottom()))));
        m_band->setVisible(std::abs(x - m_pressAt.x()) > 2);
        event->accept();
        return;
    }
    if (m_drag == Drag::Pan) {
        const double perPixel = m_pressRange.span() / std::max<qreal>(plot.width(), 1);
        const double shift = -(pos.x() - m_pressAt.x()) * perPixel;
        m_view->select(m_pressRange.from + shift, m_pressRange.to + shift);
        event->accept();
        return;
    }
    QChartView::mouseMoveEvent(event);
    updateHover(pos, event->globalPosition().toPoint());
}

void TimeChart::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_drag == Drag::None) {
        QChartView::mouseReleaseEvent(event);
        return;
    }
    const Drag drag = m_drag;
    m_drag = Drag::None;
    m_band->hide();
    const QPoint pos = event->position().toPoint();
    // A click without a drag selects nothing.
    if (drag == Drag::Select && std::abs(pos.x() - m_pressAt.x()) >= 5) {
        const QRectF plot = plotRect();
        const int x = std::clamp(pos.x(), int(plot.left()), int(plot.right()));
        m_view->select(timeAt(m_pressAt), timeAt(QPoint(x, m_pressAt.y())));
    }
    event->accept();
}

void TimeChart::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (inPlot(event->position().toPoint())) {
        m_view->reset();
        event->accept();
        return;
    }
    QChartView::mouseDoubleClickEvent(event);
}

void TimeChart::keyPressEvent(QKeyEvent* event)
{
    const double span = m_view->range().span();
    const double centre = (m_view->range().from + m_view->range().to) / 2;
    switch (event->key()) {
    case Qt::Key_Space: m_view->togglePause(); break;
    case Qt::Key_Home:
    case Qt::Key_Escape: m_view->reset(); break;
    case Qt::Key_Left: m_view->pan(-span / 10); break;
    case Qt::Key_Right: m_view->pan(span / 10); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: m_view->zoom(centre, kWheelStep); break;
    case Qt::Key_Minus: m_view->zoom(centre, 1 / kWheelStep); break;
    default: QChartView::keyPressEvent(event); return;
    }
    event->accept();
}

void TimeChart::leaveEvent(QEvent* event)
{
    QChartView::leaveEvent(event);
    clearHover();
}

bool TimeChart::viewportEvent(QEvent* event)
{
    // Over a point the tooltip is the point's; elsewhere the chart's own description.
    if (event->type() == QEvent::ToolTip && !m_hoverText.isEmpty())
        return true;
    return QChartView::viewportEvent(event);
}

bool TimeChart::nearestPoint(const QPoint& pos, int* line, QPointF* point) const
{
    if (!inPlot(pos) || !m_note->isHidden())
        return false;
    *line = -1;
    double bestDistance = kHoverReach;
    const double t = timeAt(pos);
    for (int i = 0; i < m_lines.size(); ++i) {
        if (m_hidden.contains(i))
            continue;
        const QList<QPointF> points = m_lines[i]->points();
        // The points nearest in time (an envelope has two at one time): a few either side.
        const auto at = std::lower_bound(points.begin(), points.end(), t,
                                         [](const QPointF& p, double time) { return p.x() < time; });
        const qsizetype middle = at - points.begin();
        for (qsizetype k = std::max<qsizetype>(0, middle - 3); k < std::min(points.size(), middle + 3); ++k) {
            const QPoint drawn = positionOf(points[k].x(), points[k].y(), i);
            const double distance = std::hypot(drawn.x() - pos.x(), drawn.y() - pos.y());
            if (distance < bestDistance) {
                bestDistance = distance;
                *line = i;
                *point = points[k];
            }
        }
    }
    return *line >= 0;
}

QString TimeChart::hoverTextAt(const QPoint& pos) const
{
    int line = -1;
    QPointF point;
    if (!nearestPoint(pos, &line, &point))
        return {};
    return tr("%1: %2 at %3").arg(m_lines[line]->name(), valueText(line, point.y()), formatClusterTime(point.x()));
}

void TimeChart::updateHover(const QPoint& pos, const QPoint& global)
{
    int line = -1;
    QPointF point;
    if (!nearestPoint(pos, &line, &point)) {
        clearHover();
        return;
    }
    const QString text = tr("%1: %2 at %3").arg(m_lines[line]->name(), valueText(line, point.y()), formatClusterTime(point.x()));
    // The dot marks the point the text is about.
    if (m_hoverDot->count() != 1 || m_hoverDot->at(0) != point)
        m_hoverDot->replace(QList<QPointF> { point });
    if (text != m_hoverText || !QToolTip::isVisible())
        QToolTip::showText(global, text, viewport());
    m_hoverText = text;
}

void TimeChart::clearHover()
{
    if (m_hoverText.isEmpty() && m_hoverDot->count() == 0)
        return;
    m_hoverText.clear();
    m_hoverDot->clear();
    QToolTip::hideText();
}

} // namespace cs::ui
