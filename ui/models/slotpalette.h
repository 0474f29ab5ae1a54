#pragma once

#include <QColor>

namespace cs::ui {

/// One colour per worker slot, the same in the table and every chart, stable across
/// respawns (slot N always gets colour N). Mid-tone hues that read on light and dark themes.
QColor slotColor(int slot);

/// A mid-tone colour for a worker state name's severity: ok, warning, error, muted.
enum class Tone { Ok, Warning, Error, Muted };
QColor toneColor(Tone tone);

} // namespace cs::ui
