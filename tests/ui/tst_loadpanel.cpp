#include "adapter/clusteradapter.h"
#include "adapter/loadadapter.h"
#include "widgets/loadpanel.h"

#include "testsettings.h"
#include "testsupport.h"

#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace cs;
using namespace cs::ui;

namespace {

/// A cluster of `workers` built-in workers on a free port, all online; `latest` follows its
/// snapshots. False when they did not come up in time.
bool startOnline(ClusterAdapter& adapter, std::shared_ptr<const Snapshot>& latest, int workers)
{
    QObject::connect(&adapter, &ClusterAdapter::snapshotReady, &adapter, [&latest](std::shared_ptr<const Snapshot> s) { latest = s; });
    ClusterConfig config;
    config.port = 0;
    config.workers = workers;
    config.workerProgram = cs::test::binDir() + "/clusterscope-worker";
    config.sampleIntervalMs = 100;
    adapter.start(config);
    return adapter.running() && cs::test::waitFor([&] {
        QCoreApplication::processEvents();
        if (!latest || latest->port == 0 || int(latest->workers.size()) != workers)
            return false;
        for (const WorkerSample& w : latest->workers)
            if (w.state != WorkerState::Online)
                return false;
        return true;
    }, std::chrono::seconds(15));
}

} // namespace

class TestLoadPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { cs::test::isolateSettings(); }

    void startIsRefusedWithoutACluster()
    {
        LoadPanel panel;
        auto* start = panel.findChild<QPushButton*>(QStringLiteral("loadStartButton"));
        QVERIFY(start);
        QVERIFY(!start->isEnabled());
        panel.start(); // no target: nothing happens
        QVERIFY(!panel.running());
    }

    void runsLoadAgainstTheClusterAndSummarizes()
    {
        ClusterAdapter adapter;
        std::shared_ptr<const Snapshot> latest;
        QVERIFY(startOnline(adapter, latest, 2));

        LoadPanel panel;
        panel.findChild<QSpinBox*>(QStringLiteral("loadDuration"))->setValue(1);
        panel.findChild<QSpinBox*>(QStringLiteral("loadConnections"))->setValue(2);
        panel.findChild<QSpinBox*>(QStringLiteral("loadRate"))->setValue(200);
        panel.setTarget(QString::fromStdString(latest->bindAddress), latest->port, int(latest->workers.size()));
        auto* start = panel.findChild<QPushButton*>(QStringLiteral("loadStartButton"));
        QVERIFY(start->isEnabled());
        QSignalSpy finished(&panel, &LoadPanel::finished);
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(panel.running());
        QVERIFY(finished.wait(10000));
        QVERIFY(!panel.running());
        const QString summary = finished.at(0).at(0).toString();
        QVERIFY2(summary.contains(QStringLiteral("requests")), qPrintable(summary));
        QVERIFY2(!summary.startsWith(QStringLiteral("0 requests")), qPrintable(summary));
        // The cluster saw the load.
        QTRY_VERIFY_WITH_TIMEOUT(latest->totalRequests >= 50, 5000);
    }

    void jainCountsTheWorkerThatGotNothing()
    {
        // Issue 17: one worker answered everything, the other nothing; the panel said
        // "Jain 1.00" because it counted only the worker that answered.
        ClusterAdapter adapter;
        std::shared_ptr<const Snapshot> latest;
        QVERIFY(startOnline(adapter, latest, 2));

        LoadPanel panel;
        // One keep-alive connection stays with the worker it was handed to: a 100/0 split.
        panel.findChild<QSpinBox*>(QStringLiteral("loadDuration"))->setValue(1);
        panel.findChild<QSpinBox*>(QStringLiteral("loadConnections"))->setValue(1);
        panel.findChild<QSpinBox*>(QStringLiteral("loadRate"))->setValue(200);
        panel.findChild<QRadioButton*>(QStringLiteral("loadKeepAlive"))->setChecked(true);
        panel.setTarget(QString::fromStdString(latest->bindAddress), latest->port, int(latest->workers.size()));
        QSignalSpy finished(&panel, &LoadPanel::finished);
        panel.start();
        QVERIFY(finished.wait(10000));
        const QString summary = panel.summaryText();
        QVERIFY2(!summary.startsWith(QStringLiteral("0 requests")), qPrintable(summary));
        QVERIFY2(summary.contains(QStringLiteral("Jain 0.50 over 2 workers")), qPrintable(summary));
        // The cluster agrees: one slot served them all.
        QTRY_VERIFY_WITH_TIMEOUT(latest->totalRequests > 0 && latest->fairness && *latest->fairness == 0.5, 5000);
    }

    void stopEndsTheLoadEarly()
    {
        ClusterAdapter adapter;
        std::shared_ptr<const Snapshot> latest;
        QVERIFY(startOnline(adapter, latest, 1));
        LoadPanel panel;
        panel.findChild<QSpinBox*>(QStringLiteral("loadDuration"))->setValue(60);
        panel.findChild<QSpinBox*>(QStringLiteral("loadRate"))->setValue(100);
        panel.setTarget(QString::fromStdString(latest->bindAddress), latest->port, int(latest->workers.size()));
        QSignalSpy finished(&panel, &LoadPanel::finished);
        panel.start();
        QVERIFY(panel.running());
        QTest::mouseClick(panel.findChild<QPushButton*>(QStringLiteral("loadStopButton")), Qt::LeftButton);
        // The generator ends on its own thread; its summary arrives as a signal, long before
        // the 60 s the run was set for.
        QElapsedTimer clock;
        clock.start();
        QVERIFY(finished.wait(5000));
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!panel.running());
        QCOMPARE(finished.count(), 1);
        QVERIFY(panel.findChild<QPushButton*>(QStringLiteral("loadStartButton"))->isEnabled());
    }

    // The adapter is the only way to the generator: a second start is refused in words, and
    // an adapter that goes away mid-run ends its load at once.
    void adapterRefusesASecondRunAndEndsItsLoadWhenItGoes()
    {
        ClusterAdapter adapter;
        std::shared_ptr<const Snapshot> latest;
        QVERIFY(startOnline(adapter, latest, 1));
        cs::LoadOptions options;
        options.host = latest->bindAddress;
        options.port = latest->port;
        options.connections = 2;
        options.durationSeconds = 60;
        options.rate = 100;
        auto* load = new LoadAdapter;
        int progressed = 0;
        connect(load, &LoadAdapter::progressed, this, [&] { ++progressed; });
        QVERIFY(load->start(options).isEmpty());
        QVERIFY(load->running());
        QVERIFY2(!load->start(options).isEmpty(), "a second run while one runs");
        QTRY_VERIFY_WITH_TIMEOUT(progressed >= 2, 5000);
        QElapsedTimer clock;
        clock.start();
        delete load;
        QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
        // What it had queued went with it (the sanitized pass would see a late delivery).
        QCoreApplication::processEvents();
    }
};

QTEST_MAIN(TestLoadPanel)
#include "tst_loadpanel.moc"
