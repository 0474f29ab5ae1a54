#pragma once

#include "master/snapshot.h"

#include <string>

namespace cs {

/// The Prometheus text exposition format (version 0.0.4) of one snapshot: per-worker
/// requests, open connections, restarts, CPU seconds, resident memory and a latency
/// histogram (labelled by slot), per-core load, the fairness index. Names follow the
/// Prometheus conventions (base units, `_total` for counters, `_seconds`, `_bytes`).
std::string formatPrometheus(const Snapshot& snapshot);

} // namespace cs
