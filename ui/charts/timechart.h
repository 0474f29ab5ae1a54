#pragma once

#include "charts/timeview.h"

#include <QChartView>
#include <QLineSeries>
#include <QList>
#include <QSet>
#include <QSize>

class QChart;
class QCategoryAxis;
class QValueAxis;
class QAbstractAxis;
class QRubberBand;
class QScatterSeries;

namespace cs::ui {

class ChartNote;

/// The common frame of the time charts: a value y axis under a time x axis, styled from
/// the palette. What time they show is a TimeView's, shared by every time chart of the
/// window (zoom one, all follow): live, the last 60 s, by default. Subclasses feed whole
/// series with replace() in refresh(), only the visible range and at most a point per two
/// pixel columns (the models thin it, keeping maxima); nothing animates and nothing updates
/// point by point.
///
/// In the plot area: the wheel zooms around the time under the cursor, a drag selects a
/// range to zoom into, shift-drag or middle-drag pans, a double click returns to live;
/// keys (once the chart has focus): Space pauses / resumes, Home or Esc returns to live,
/// Left / Right pan, + / - zoom. Clicking a legend entry hides or shows its line (the entry
/// stays, greyed). Hovering shows the nearest point's series, value and time.
class TimeChart : public QChartView {
    Q_OBJECT
public:
    /// `yAxis` replaces the default value axis (the chart takes it); m_y is then null.
    TimeChart(const QString& title, const QString& yTitle, QWidget* parent = nullptr,
              QAbstractAxis* yAxis = nullptr);

    /// Re-reads the model for the view's range, with `now` the newest data's time.
    virtual void refresh(double now) = 0;
    /// Shares `view` (the window's one) instead of the chart's own; the chart does not own it.
    void setTimeView(TimeView* view);
    TimeView* timeView() const { return m_view; }

    /// Small enough for three charts side by side in a 1024-pixel window (two of them beside
    /// the share chart), large enough to read.
    static constexpr QSize kMinimumSize { 200, 150 };
    /// A sentence over the chart instead of its lines (empty: the lines again).
    void setNote(const QString& note);
    QString note() const;
    /// The names of the lines, in order: what the legend lists.
    QStringList lineNames() const;
    /// Points on all lines together (for tests: whether data reached the chart).
    int pointCount() const;
    /// The points line `i` shows now (for tests).
    QList<QPointF> linePoints(int i) const;
    QString title() const;
    /// The x axis' range and tick labels as drawn (for tests).
    TimeRange axisRange() const;
    QStringList timeLabels() const;

    /// Hides or shows line `i` as a click on its legend entry does; kept across refreshes.
    void setLineHidden(int i, bool hidden);
    bool lineHidden(int i) const { return m_hidden.contains(i); }
    /// The hover text for a point in the view's pixels: "#2: 1,234 req/s at 01:05.0" for the
    /// nearest visible point, empty when none is near.
    QString hoverTextAt(const QPoint& pos) const;
    /// The text of the latest hover (for tests).
    QString hoverText() const { return m_hoverText; }
    /// Where time `t` (and value `y` of line `line`; -1: of the left axis) is drawn, in the viewport's pixels.
    QPoint positionOf(double t, double y, int line = 0) const;
    /// The time at a viewport pixel column.
    double timeAt(const QPoint& pos) const;
    QRectF plotRect() const; ///< the plot area in viewport pixels

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    bool viewportEvent(QEvent* event) override;
    /// Restyles after a palette change (light/dark switch).
    virtual void restyle();
    /// A value of line `line` with its unit, as the hover says it ("1,234 req/s").
    virtual QString valueText(int line, double value) const;
    /// A click on line `line`'s legend entry: hides or shows it.
    virtual void legendClicked(int line);
    /// Leaves line `line` out of the legend (it is a companion of a listed line).
    void unlist(int line);

    /// Call first in refresh(): records `now` and returns the range to draw.
    TimeRange beginRefresh(double now);
    /// Call last in refresh(): the x axis to the view's range, with its tick labels.
    void showRange();
    /// How many points a line of the plot gets at most: one per two pixel columns.
    int columns() const;
    /// The largest y of the visible lines' points (hidden lines do not set the scale).
    double visibleMax(const QList<QList<QPointF>>& lines) const;
    /// Makes exactly `count` line series exist, each with a colour from `color(i)` and a name
    /// from `name(i)`, attached to both axes: lines past `count` go, so the legend lists
    /// only the series the model has now.
    template<typename NameFn, typename ColorFn>
    void syncLines(int count, NameFn name, ColorFn color);
    void removeLastLine();
    /// Shows the legend only while every line's entry fits the chart's width: a row of
    /// unnamed colour swatches cut off at the edge says less than none (the worker table
    /// shows each slot's colour).
    void fitLegend();
    QLineSeries* makeLine(const QString& name, const QColor& color, qreal width = 2.0);
    /// A line's pen (flat caps, bevel joins), its colour and width kept where restyle() finds
    /// them again after a theme change.
    static void setLinePen(QLineSeries* line, const QColor& color, qreal width);

    QChart* m_chart;
    QValueAxis* m_x; ///< the time axis (a category axis: its labels are "m:ss" ticks)
    QAbstractAxis* m_yAxis;
    QValueAxis* m_y; ///< m_yAxis when it is a value axis, else null
    QList<QLineSeries*> m_lines;
    ChartNote* m_note;

private:
    enum class Drag { None, Select, Pan };
    void applyHidden(int i);
    bool nearestPoint(const QPoint& pos, int* line, QPointF* point) const;
    void updateHover(const QPoint& pos, const QPoint& global);
    void clearHover();
    void updateTimeLabels(const TimeRange& range);
    bool inPlot(const QPoint& pos) const;

    TimeView* m_view;
    TimeView* m_ownView;
    QCategoryAxis* m_time;
    double m_now = 0;
    QSet<int> m_hidden;
    QScatterSeries* m_hoverDot;
    QString m_hoverText;
    QRubberBand* m_band;
    Drag m_drag = Drag::None;
    QPoint m_pressAt;
    TimeRange m_pressRange;
    double m_tickStep = 0;
    TimeRange m_labelled;
};

template<typename NameFn, typename ColorFn>
void TimeChart::syncLines(int count, NameFn name, ColorFn color)
{
    while (m_lines.size() > count)
        removeLastLine();
    for (int i = 0; i < int(m_lines.size()); ++i)
        if (const QString wanted = name(i); m_lines[i]->name() != wanted)
            m_lines[i]->setName(wanted);
    while (m_lines.size() < count) {
        const int i = int(m_lines.size());
        m_lines.append(makeLine(name(i), color(i)));
        applyHidden(i);
    }
    fitLegend();
}

} // namespace cs::ui
