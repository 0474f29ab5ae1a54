#include "runwindow.h"

#include "adapter/clusteradapter.h"
#include "widgets/mainwindow.h"

#include <QApplication>
#include <QIcon>
#include <QTimer>

namespace cs::ui {

int runWindow(int argc, char** argv, const cs::CliOptions& options)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Clusterscope"));
    QApplication::setApplicationName(QStringLiteral("clusterscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Clusterscope"));
    QApplication::setApplicationVersion(QStringLiteral(CLUSTERSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("clusterscope"));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("utilities-system-monitor")));
    registerMetaTypes();

    MainWindow window(options);
    window.show();
    if (options.mode == CliOptions::Mode::WindowAndStart)
        QTimer::singleShot(0, &window, &MainWindow::startCluster);
    const int code = app.exec();
    // The window's closeEvent stopped the cluster gracefully; the adapter's destructor (with
    // the window) makes sure of it if the app quit another way.
    return code;
}

} // namespace cs::ui
