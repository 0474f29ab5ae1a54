#include "charts/chartstyle.h"

#include <algorithm>
#include <cmath>

#include <QAbstractAxis>
#include <QChart>
#include <QFont>
#include <QGraphicsLayout>
#include <QLegend>
#include <QRegularExpression>
#include <QValueAxis>

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

QColor heatColor(const QPalette& palette, double share)
{
    const QColor base = palette.color(QPalette::Base);
    const QColor hot = palette.color(QPalette::Highlight);
    // Anything seen at all gets a visible tint (a 2 % cell is not the empty one).
    const double t = share <= 0 ? 0.0 : 0.15 + 0.85 * std::min(share, 1.0);
    const auto mix = [t](int a, int b) { return int(std::lround(a + (b - a) * t)); };
    return QColor(mix(base.red(), hot.red()), mix(base.green(), hot.green()), mix(base.blue(), hot.blue()));
}

QColor textOn(const QPalette& palette, const QColor& background)
{
    const QColor text = palette.color(QPalette::Text);
    const QColor highlighted = palette.color(QPalette::HighlightedText);
    const auto distance = [&](const QColor& c) { return std::abs(c.lightness() - background.lightness()); };
    return distance(text) >= distance(highlighted) ? text : highlighted;
}

double niceCeiling(double value, double floor)
{
    if (!(value > floor))
        return floor;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : { 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0 })
        if (value <= step * magnitude * (1 + 1e-9))
            return step * magnitude;
    return 10.0 * magnitude;
}

void setNiceRange(QValueAxis* axis, double value, double floor)
{
    const double top = niceCeiling(value, floor);
    if (axis->min() == 0 && std::abs(axis->max() - top) < 1e-9 * top)
        return;
    // Intervals per leading digit, so every tick is a round number (1.5 -> 0.5 steps, ...).
    const double lead = top / std::pow(10.0, std::floor(std::log10(top) + 1e-9));
    int intervals = 5;
    if (std::abs(lead - 1.5) < 1e-6 || std::abs(lead - 3) < 1e-6 || std::abs(lead - 6) < 1e-6)
        intervals = 3;
    else if (std::abs(lead - 2) < 1e-6 || std::abs(lead - 4) < 1e-6 || std::abs(lead - 8) < 1e-6)
        intervals = 4;
    axis->setRange(0, top);
    axis->setTickCount(intervals + 1);
    // As many decimals as the step needs: a 0-1 axis in whole numbers read 0, 0, 0, 1, 1, 1.
    const double step = top / intervals;
    const int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    static const QRegularExpression fixed(QStringLiteral("%\\.\\d+f"));
    QString format = axis->labelFormat();
    format.replace(fixed, QStringLiteral("%.%1f").arg(decimals));
    if (format != axis->labelFormat())
        axis->setLabelFormat(format);
}

} // namespace cs::ui
