#pragma once

#include <QPalette>

class QChart;
class QAbstractAxis;
class QValueAxis;

namespace cs::ui {

/// Dresses a chart in the application's palette: dark theme when the window is dark,
/// background and text taken from the palette, compact margins, no animations.
void applyChartStyle(QChart* chart, const QPalette& palette);
/// Axis text and grid colours from the palette, so they read on either lightness.
void applyAxisStyle(QAbstractAxis* axis, const QPalette& palette);
/// The next "nice" axis maximum above `value` (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n), at least `floor`.
double niceCeiling(double value, double floor);
/// A heat map cell's fill for a share from 0 to 1: the palette's base colour at 0, its
/// highlight colour at 1, so it reads on light and dark themes alike.
QColor heatColor(const QPalette& palette, double share);
/// Text that reads on `background`: the palette's dark or light text, whichever contrasts.
QColor textOn(const QPalette& palette, const QColor& background);
/// Sets a value axis to [0, niceCeiling(value, floor)] with a tick count that lands every
/// tick on a round number, labelled with as many decimals as a tick step needs (a "%.Nf" in the
/// axis' label format is adjusted, the rest of it kept); does nothing when the range is
/// already that (no relayout).
void setNiceRange(QValueAxis* axis, double value, double floor);

} // namespace cs::ui
