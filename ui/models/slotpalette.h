#pragma once

#include "models/eventtimelinemodel.h"

#include <QColor>

namespace cs::ui {

// The window's one palette: every series colour of every chart and table comes from here,
// so no two meanings share a colour by accident. Slot colours are the workers' identity
// and stay clear of everything else: saturated hues that are neither the event hues (red
// crash, orange exit, gold timeout, green respawn) nor the neutral tones of the cores,
// the latency lines and the share bars. tst_slotpalette measures the distances (CIEDE2000).

/// Slot colours before they repeat (slot N and N + kSlotColorCount share one).
constexpr int kSlotColorCount = 10;
/// Core colours before they repeat.
constexpr int kCoreColorCount = 6;

/// One colour per worker slot, the same in the table and every chart, stable across
/// respawns (slot N always gets colour N). Mid-tone hues that read on light and dark themes.
QColor slotColor(int slot);

/// One muted colour per CPU core (0-based), unlike any slot's, so nobody reads a core as a worker.
QColor coreColor(int core);

enum class Percentile { P50, P99 };
/// The latency chart's lines: a neutral median and a warm tail.
QColor latencyColor(Percentile percentile);

/// The restart timeline's marker colour for a kind of event (crash red, respawn green, ...).
QColor eventColor(EventTimelineModel::Category category);

enum class Share { Requests, Connections };
/// The share-per-worker chart's bars: neutral, because they are per metric, not per slot.
QColor shareColor(Share share);

/// A mid-tone colour for a worker state name's severity: ok, warning, error, muted.
enum class Tone { Ok, Warning, Error, Muted };
QColor toneColor(Tone tone);

} // namespace cs::ui
