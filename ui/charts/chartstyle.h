#pragma once

#include <QPalette>

class QChart;
class QAbstractAxis;

namespace cs::ui {

/// Dresses a chart in the application's palette: dark theme when the window is dark,
/// background and text taken from the palette, compact margins, no animations.
void applyChartStyle(QChart* chart, const QPalette& palette);
/// Axis text and grid colours from the palette, so they read on either lightness.
void applyAxisStyle(QAbstractAxis* axis, const QPalette& palette);
/// The next "nice" axis maximum above `value` (1, 2, 5 x 10^n), at least `floor`.
double niceCeiling(double value, double floor);

} // namespace cs::ui
