#include "adapter/clusteradapter.h"
#include "charts/restarttimelinechart.h"
#include "models/logmodel.h"
#include "models/workertablemodel.h"
#include "widgets/banner.h"
#include "widgets/launcherpanel.h"
#include "widgets/mainwindow.h"
#include "widgets/workertableview.h"

#include "testsupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace cs;
using namespace cs::ui;
using Category = EventTimelineModel::Category;

namespace {

CliOptions testOptions()
{
    CliOptions options;
    options.mode = CliOptions::Mode::Window;
    options.config.port = 0;
    options.config.workers = 2;
    options.config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    options.config.sampleIntervalMs = 200;
    options.config.gracefulTimeoutMs = 2000;
    options.portGiven = options.workersGiven = true;
    return options;
}

int onlineRows(const QAbstractItemModel* model)
{
    int n = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        n += model->index(r, 0).data(WorkerTableModel::StateRole).toInt() == int(WorkerState::Online) ? 1 : 0;
    return n;
}

int rowOfSlot(const QAbstractItemModel* model, int slot)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, 0).data(WorkerTableModel::SlotRole).toInt() == slot)
            return r;
    return -1;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a throwaway place
        QSettings().clear();
    }

    void startKillAndWatchTheRespawn()
    {
        MainWindow window(testOptions());
        window.resize(1280, 720);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        auto* start = window.findChild<QPushButton*>(QStringLiteral("startButton"));
        QVERIFY(start);
        QVERIFY(start->isEnabled());
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY2(window.adapter()->running(), qPrintable(window.launcher()->errorText()));
        QVERIFY(!start->isEnabled());

        WorkerTableView* view = window.workerView();
        const QAbstractItemModel* rows = view->model();
        QTRY_VERIFY_WITH_TIMEOUT(rows->rowCount() == 2 && onlineRows(rows) == 2, 15000);
        QCOMPARE(rows->index(rowOfSlot(rows, 1), WorkerTableModel::State).data().toString(), QStringLiteral("online"));
        const int oldPid = rows->index(rowOfSlot(rows, 1), WorkerTableModel::Pid).data().toInt();
        QVERIFY(oldPid > 0);
        QCOMPARE(window.timelineChart()->markerCount(Category::KilledByUser), 0);

        // The context menu's SIGKILL action, as a user would pick it.
        std::unique_ptr<QMenu> menu(view->buildContextMenu(rows->index(rowOfSlot(rows, 1), 0)));
        auto* kill = menu->findChild<QAction*>(QStringLiteral("killAction"));
        QVERIFY(kill);
        QVERIFY(kill->isEnabled());
        kill->trigger();

        // The exit and the respawn reach the timeline chart's series.
        QTRY_VERIFY_WITH_TIMEOUT(window.timelineChart()->markerCount(Category::KilledByUser) == 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(window.timelineChart()->markerCount(Category::Respawn) >= 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(onlineRows(rows) == 2
                                     && rows->index(rowOfSlot(rows, 1), WorkerTableModel::Pid).data().toInt() != oldPid,
                                 15000);
        QVERIFY(rows->index(rowOfSlot(rows, 1), WorkerTableModel::Restarts).data().toInt() >= 1);
        QVERIFY(!cs::test::processAlive(oldPid));

        // Closing the window stops the cluster: no worker outlives it.
        std::vector<int> pids;
        for (int r = 0; r < rows->rowCount(); ++r)
            pids.push_back(rows->index(r, WorkerTableModel::Pid).data().toInt());
        QVERIFY(window.close());
        QVERIFY(!window.adapter()->running());
        for (int pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(!cs::test::processAlive(pid), 5000);
    }

    void refusesInvalidInputInPlace()
    {
        MainWindow window(testOptions());
        window.show();
        auto* bind = window.findChild<QLineEdit*>(QStringLiteral("bindEdit"));
        QVERIFY(bind);
        bind->setText(QStringLiteral("not-an-address"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("startButton")), Qt::LeftButton);
        QVERIFY(!window.adapter()->running());
        QVERIFY2(window.launcher()->errorText().contains(QStringLiteral("not-an-address")),
                 qPrintable(window.launcher()->errorText()));
    }

    void showsWhyTheClusterCouldNotStart()
    {
        // Take a loopback port for real, then ask the window to use it.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        QVERIFY(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        QVERIFY(::listen(fd, 4) == 0);
        QVERIFY(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        const int port = ntohs(addr.sin_port);
        auto closeFd = qScopeGuard([fd] { ::close(fd); });

        MainWindow window(testOptions());
        window.show();
        window.findChild<QSpinBox*>(QStringLiteral("portSpin"))->setValue(port);
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("startButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(window.banner()->isVisible(), 5000);
        QVERIFY(!window.adapter()->running());
        QVERIFY2(window.banner()->text().contains(QString::number(port)), qPrintable(window.banner()->text()));
        QVERIFY(window.launcher()->errorText().contains(QString::number(port)));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
