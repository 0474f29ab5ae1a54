#pragma once

#include <QString>

namespace cs::ui {

struct LabRun;

/// A run on disk is a recording (core/record): these two carry a LabRun to and from one.
QString runFileSuffix();
/// Writes `run` to `path`; empty, or one sentence saying what failed.
QString writeRunFile(const QString& path, const LabRun& run);
/// Reads `path` into `run` (not its id or summary); empty, or one sentence saying what failed.
QString readRunFile(const QString& path, LabRun& run);

} // namespace cs::ui
