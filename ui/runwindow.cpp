#include "runwindow.h"

#include "adapter/clusteradapter.h"
#include "widgets/mainwindow.h"

#include <csignal>

#include <sys/socket.h>
#include <unistd.h>

#include <QApplication>
#include <QIcon>
#include <QSocketNotifier>
#include <QTimer>

// Outside any namespace, as Q_INIT_RESOURCE wants. cs_ui is a static library: the linker
// would drop the icons' registration object, which nothing else refers to; calling its
// initializer keeps it and registers the icons before the first use.
static void registerIconResources()
{
    Q_INIT_RESOURCE(clusterscope_icons);
}

namespace cs::ui {

namespace {

int g_signalPipe[2] = { -1, -1 };

void onTerminate(int)
{
    // Async-signal-safe: only a write; the GUI thread does the real work.
    const char byte = 1;
    [[maybe_unused]] const auto ignored = ::write(g_signalPipe[1], &byte, 1);
}

/// SIGINT/SIGTERM (Ctrl+C in the terminal, a session logout) close the window like its
/// close button does, so the cluster stops gracefully instead of dying with the process;
/// nobody is asked then whether to keep it running (a remembered "keep" is honoured).
void closeOnTerminationSignals(MainWindow* window)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalPipe) != 0)
        return; // without it the workers still die with us (PR_SET_PDEATHSIG), only less gracefully
    auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, window);
    QObject::connect(notifier, &QSocketNotifier::activated, window, [window, notifier] {
        char byte;
        [[maybe_unused]] const auto ignored = ::read(g_signalPipe[0], &byte, 1);
        notifier->setEnabled(false);
        window->closeWithoutAsking();
    });
    struct sigaction action {};
    action.sa_handler = onTerminate;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

} // namespace

QIcon applicationIcon()
{
    registerIconResources();
    QIcon builtIn;
    for (int size : { 16, 22, 24, 32, 48, 64, 128, 256, 512 })
        builtIn.addFile(QStringLiteral(":/icons/clusterscope-%1.png").arg(size), QSize(size, size));
    return QIcon::fromTheme(QStringLiteral("clusterscope"), builtIn);
}

int runWindow(int argc, char** argv, const cs::CliOptions& options)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Clusterscope"));
    QApplication::setApplicationName(QStringLiteral("clusterscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Clusterscope"));
    QApplication::setApplicationVersion(QStringLiteral(CLUSTERSCOPE_VERSION));
    QApplication::setDesktopFileName(QString::fromLatin1(kDesktopFileName));
    QApplication::setWindowIcon(applicationIcon());
    registerMetaTypes();

    MainWindow window(options);
    closeOnTerminationSignals(&window);
    window.show();
    if (options.mode == CliOptions::Mode::WindowAndStart)
        QTimer::singleShot(0, &window, &MainWindow::startCluster);
    if (!options.replayFile.empty())
        QTimer::singleShot(0, &window, [&window, &options] { window.openRecording(QString::fromStdString(options.replayFile)); });
    // The window's closeEvent stops the cluster gracefully; the adapter's destructor (with the
    // window) makes sure of it if the application quits another way.
    return app.exec();
}

} // namespace cs::ui
