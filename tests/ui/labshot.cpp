// Takes the README's lab screenshots from real runs: opens the window and its lab, runs a
// policy comparison or a lesson on a real cluster, waits for its end, and grabs the screen.
// Not a test: tests/ui/labshot.sh runs it under Xvfb at the sizes the README shows.
// Usage: cs-labshot compare|LESSON-ID OUTPUT.png

#include "models/comparisonmodel.h"
#include "widgets/labwindow.h"
#include "widgets/mainwindow.h"

#include "testsupport.h"

#include <cstdio>

#include <QApplication>
#include <QPixmap>
#include <QScreen>
#include <QTimer>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Clusterscope"));
    QApplication::setApplicationName(QStringLiteral("clusterscope"));
    if (argc != 3) {
        std::fprintf(stderr, "usage: cs-labshot compare|LESSON-ID OUTPUT.png\n");
        return 2;
    }
    const QString what = QString::fromLocal8Bit(argv[1]);
    const QString out = QString::fromLocal8Bit(argv[2]);
    cs::CliOptions options;
    options.mode = cs::CliOptions::Mode::Window;
    options.config.port = 0;
    options.config.workers = 2;
    options.config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    options.portGiven = options.workersGiven = true;
    cs::ui::MainWindow window(options);
    const QRect screen = QGuiApplication::primaryScreen()->availableGeometry();
    window.setGeometry(screen);
    window.show();
    cs::ui::LabWindow* lab = window.lab();
    // The lab over the monitor's right part, the charts it names visible beside it where room allows.
    const QSize size(std::min(1200, screen.width()), std::min(screen.height() - 40, 800));
    lab->resize(size);
    lab->move(screen.right() - size.width(), screen.top() + 30);
    lab->show();

    auto grab = [&] {
        QTimer::singleShot(1500, &app, [&] {
            const QPixmap shot = QGuiApplication::primaryScreen()->grabWindow(0);
            const bool saved = shot.save(out);
            std::fprintf(stderr, "%s %s\n", saved ? "wrote" : "could not write", qPrintable(out));
            app.exit(saved ? 0 : 1);
        });
    };
    QObject::connect(lab, &cs::ui::LabWindow::comparisonDone, &app, [&](const QStringList&, bool completed) {
        if (!completed)
            app.exit(1);
        grab();
    });
    QObject::connect(lab, &cs::ui::LabWindow::lessonJudged, &app, [&](const QString&, bool, const QString& text) {
        std::fprintf(stderr, "%s\n", qPrintable(text));
        grab();
    });
    QTimer::singleShot(500, &app, [&] {
        QString problem;
        if (what == QLatin1String("compare")) {
            lab->showPage(cs::ui::LabWindow::Page::Compare);
            lab->setComparisonForm({ cs::Policy::RoundRobin, cs::Policy::LeastConnections, cs::Policy::Shared,
                                     cs::Policy::ReusePort },
                                   2, 4, 4, true, QStringLiteral("/"));
            problem = lab->runComparison();
        } else {
            lab->showPage(cs::ui::LabWindow::Page::Lessons);
            problem = lab->runLesson(what);
        }
        if (!problem.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(problem));
            app.exit(1);
        }
    });
    return app.exec();
}
