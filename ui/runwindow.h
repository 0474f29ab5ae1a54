#pragma once

#include "cli/options.h"

namespace cs::ui {

/// Creates the QApplication, fills the launcher (command-line values override saved
/// settings), shows the main window and, with Mode::WindowAndStart, starts the cluster at
/// once. Returns the application's exit code; the cluster is stopped before it returns.
int runWindow(int argc, char** argv, const cs::CliOptions& options);

} // namespace cs::ui
