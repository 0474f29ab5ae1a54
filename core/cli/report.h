#pragma once

#include "master/snapshot.h"

#include <string>

namespace cs {

/// The headless live table: a header line and one line per worker
/// (slot, pid, state, uptime, restarts, req/s, total, open conns, CPU %, RSS, core).
std::string formatTable(const Snapshot& snapshot);
/// One JSON object on one line (no trailing newline).
std::string snapshotJson(const Snapshot& snapshot);
/// One readable line for an event: "[  12.345] worker 2 ...".
std::string formatEvent(const Event& event);

} // namespace cs
