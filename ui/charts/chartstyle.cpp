#include "charts/chartstyle.h"

#include <cmath>

#include <QAbstractAxis>
#include <QChart>
#include <QFont>
#include <QGraphicsLayout>
#include <QLegend>

namespace cs::ui {

void applyChartStyle(QChart* chart, const QPalette& palette)
{
    const bool dark = palette.color(QPalette::Window).lightness() < 128;
    // setTheme resets colours and fonts, so it goes first and everything else follows.
    chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setBackgroundBrush(palette.color(QPalette::Base));
    chart->setBackgroundRoundness(4);
    chart->setBackgroundPen(QPen(palette.color(QPalette::Mid), 1));
    chart->setPlotAreaBackgroundVisible(false);
    chart->setMargins(QMargins(4, 2, 4, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    QFont title = chart->titleFont();
    title.setPointSizeF(QFont().pointSizeF());
    title.setBold(true);
    chart->setTitleFont(title);
    chart->setTitleBrush(palette.color(QPalette::WindowText));
    QLegend* legend = chart->legend();
    QFont small = QFont();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    legend->setFont(small);
    legend->setLabelColor(palette.color(QPalette::Text));
    legend->setMarkerShape(QLegend::MarkerShapeFromSeries);
}

void applyAxisStyle(QAbstractAxis* axis, const QPalette& palette)
{
    QFont small = QFont();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    axis->setLabelsFont(small);
    axis->setTitleFont(small);
    axis->setLabelsColor(palette.color(QPalette::Text));
    axis->setTitleBrush(palette.color(QPalette::Text));
    QColor grid = palette.color(QPalette::Text);
    grid.setAlpha(40);
    axis->setGridLineColor(grid);
    QColor line = palette.color(QPalette::Text);
    line.setAlpha(110);
    axis->setLinePenColor(line);
    axis->setMinorGridLineVisible(false);
}

double niceCeiling(double value, double floor)
{
    if (!(value > floor))
        return floor;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : { 1.0, 2.0, 2.5, 5.0, 10.0 })
        if (value <= step * magnitude)
            return step * magnitude;
    return 10.0 * magnitude;
}

} // namespace cs::ui
