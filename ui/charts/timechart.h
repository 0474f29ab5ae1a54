#pragma once

#include <QChartView>
#include <QLineSeries>
#include <QList>
#include <QSize>

class QChart;
class QValueAxis;
class QAbstractAxis;

namespace cs::ui {

class ChartNote;

/// The common frame of the live charts: a value y axis under a time x axis that slides
/// over the last 60 s of cluster time, styled from the palette. Subclasses feed whole
/// series with replace() in refresh(); nothing animates and nothing updates point by point.
class TimeChart : public QChartView {
    Q_OBJECT
public:
    /// `yAxis` replaces the default value axis (the chart takes it); m_y is then null.
    TimeChart(const QString& title, const QString& yTitle, QWidget* parent = nullptr,
              QAbstractAxis* yAxis = nullptr);

    /// Re-reads the model and slides the time axis so that `now` is the right edge.
    virtual void refresh(double now) = 0;
    static constexpr double kWindowSeconds = 60.0;
    /// Small enough for three charts side by side in a 1024-pixel window, large enough to read.
    static constexpr QSize kMinimumSize { 210, 150 };
    /// A sentence over the chart instead of its lines (empty: the lines again).
    void setNote(const QString& note);
    QString note() const;
    /// The names of the lines, in order: what the legend lists.
    QStringList lineNames() const;
    /// Points on all lines together (for tests: whether data reached the chart).
    int pointCount() const;
    QString title() const;

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    /// Restyles after a palette change (light/dark switch).
    virtual void restyle();
    void slide(double now);
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

    QChart* m_chart;
    QValueAxis* m_x;
    QAbstractAxis* m_yAxis;
    QValueAxis* m_y; ///< m_yAxis when it is a value axis, else null
    QList<QLineSeries*> m_lines;
    ChartNote* m_note;
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
    }
    fitLegend();
}

} // namespace cs::ui
