#include "cli/headless.h"
#include "cli/options.h"
#include "control/ctl.h"
#include "record/exportcommand.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#ifdef CLUSTERSCOPE_WITH_UI
#include "runwindow.h"
#endif

int main(int argc, char** argv)
{
    // `clusterscope ctl ...` talks to a running cluster; everything else starts one.
    if (argc > 1 && std::string(argv[1]) == "ctl")
        return cs::control::runCtl({ argv + 2, argv + argc });
    if (argc > 1 && std::string(argv[1]) == "export-csv")
        return cs::runExportCsv({ argv + 2, argv + argc });
    auto parsed = cs::parseCommandLine(argc, argv);
    if (const auto* error = std::get_if<cs::CliError>(&parsed)) {
        std::fprintf(stderr, "clusterscope: %s\n", error->message.c_str());
        return 2;
    }
    auto& options = std::get<cs::CliOptions>(parsed);
    switch (options.mode) {
    case cs::CliOptions::Mode::Help:
        std::fputs(cs::usageText().c_str(), stdout);
        return 0;
    case cs::CliOptions::Mode::Version:
        std::printf("clusterscope %s\n", CLUSTERSCOPE_VERSION);
        return 0;
    case cs::CliOptions::Mode::Headless:
        return cs::runHeadless(options);
    case cs::CliOptions::Mode::Window:
    case cs::CliOptions::Mode::WindowAndStart:
        break;
    }
#ifdef CLUSTERSCOPE_WITH_UI
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if ((display && *display) || (wayland && *wayland) || (platform && *platform))
        return cs::ui::runWindow(argc, argv, options);
    std::fprintf(stderr, "clusterscope: no display found; run with --headless, or under a desktop session.\n");
#else
    std::fprintf(stderr, "clusterscope: this build has no window; run with --headless.\n");
#endif
    return 2;
}
