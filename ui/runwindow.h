#pragma once

#include "cli/options.h"

#include <QIcon>

namespace cs::ui {

/// Creates the QApplication, fills the launcher (command-line values override saved
/// settings), shows the main window and, with Mode::WindowAndStart, starts the cluster at
/// once. Returns the application's exit code; the cluster is stopped before it returns.
/// The window's icon: the desktop theme's "clusterscope" when installed, else the PNG sizes
/// compiled in (Clusterscope::Resources), so it shows from the build tree too.
QIcon applicationIcon();

/// The desktop entry's id: lets Wayland and the task bar match the window with its icon.
inline constexpr const char* kDesktopFileName = "io.github.clusterscope.Clusterscope";

int runWindow(int argc, char** argv, const cs::CliOptions& options);

} // namespace cs::ui
