#include "adapter/clusteradapter.h"
#include "charts/coreloadchart.h"
#include "charts/heatmapchart.h"
#include "charts/latencychart.h"
#include "charts/restarttimelinechart.h"
#include "charts/timechart.h"
#include "charts/workerratechart.h"
#include "charts/workerresourcechart.h"
#include "models/workertablemodel.h"
#include "widgets/chartgrid.h"
#include "widgets/foldingpanes.h"
#include "widgets/launcherpanel.h"
#include "widgets/loadpanel.h"
#include "widgets/logview.h"
#include "widgets/mainwindow.h"
#include "widgets/workertableview.h"

#include "testsettings.h"
#include "testsupport.h"
#include "windowtestoptions.h"

#include <QChart>
#include <QChartView>
#include <QHeaderView>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QTest>

using namespace cs;
using namespace cs::ui;

namespace {

CliOptions testOptions()
{
    return cs::test::windowTestOptions();
}

// What a chart needs to be read at all: a 60 s axis with a few labels, a y axis, a title
// and a one-line legend.
constexpr QSize kLeastChart { 200, 140 };

QList<QChartView*> charts(const MainWindow& window)
{
    return { static_cast<QChartView*>(window.coreChart()), window.rateChart(), window.latencyChart(),
             window.resourceChart(), window.findChild<QChartView*>(QStringLiteral("distributionChart")),
             window.timelineChart() };
}

/// A widget's rectangle in the window's coordinates.
QRect inWindow(const QWidget* widget, const QWidget* window)
{
    return QRect(widget->mapTo(window, QPoint(0, 0)), widget->size());
}

/// Resizes the window and waits until its layout has caught up: the chart grid fills the
/// scroll area's width.
bool resizeAndSettle(MainWindow& window, const QSize& size)
{
    window.resize(size);
    auto* scroll = window.findChild<QScrollArea*>(QStringLiteral("chartScroll"));
    return cs::test::waitFor([&] {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        return window.size() == size && scroll && window.chartGrid()->width() >= scroll->viewport()->width() - 1
            && window.chartGrid()->width() <= scroll->viewport()->width();
    }, std::chrono::milliseconds(5000));
}

} // namespace

class TestLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        cs::test::isolateSettings();
        // One cluster serving requests for every size, so the charts carry their live titles,
        // legends and axes (the share chart's title grows with the fairness index).
        m_window = std::make_unique<MainWindow>(testOptions());
        m_window->resize(1280, 800);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTest::mouseClick(m_window->findChild<QPushButton*>(QStringLiteral("startButton")), Qt::LeftButton);
        QVERIFY2(m_window->adapter()->running(), qPrintable(m_window->launcher()->errorText()));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->adapter()->snapshot() && m_window->adapter()->snapshot()->port != 0
                                     && m_window->workerModel()->rowCount() == 2,
                                 20000);
        const auto port = m_window->adapter()->snapshot()->port;
        QTRY_VERIFY_WITH_TIMEOUT(cs::test::httpGet(port, "/").status == 200, 20000);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(cs::test::httpGet(port, "/").status, 200);
        // The requests reached every chart that counts them.
        QTRY_VERIFY_WITH_TIMEOUT(m_window->latencyChart()->pointCount() > 0 && m_window->rateChart()->lineNames().size() == 2,
                                 10000);
    }

    void cleanupTestCase()
    {
        if (m_window)
            m_window->close();
        m_window.reset();
    }

    void fitsTheWindow_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::addColumn<int>("columns"); // of charts
        QTest::newRow("1024x640") << QSize(1024, 640) << 3;
        QTest::newRow("1024x700") << QSize(1024, 700) << 3;
        QTest::newRow("1280x800") << QSize(1280, 800) << 3;
        QTest::newRow("1600x1000") << QSize(1600, 1000) << 3;
    }

    void fitsTheWindow()
    {
        QFETCH(QSize, size);
        QFETCH(int, columns);
        MainWindow& window = *m_window;
        QVERIFY2(window.minimumSizeHint().width() <= size.width() && window.minimumSizeHint().height() <= size.height(),
                 qPrintable(QStringLiteral("the window cannot be this small: it needs %1x%2")
                                .arg(window.minimumSizeHint().width())
                                .arg(window.minimumSizeHint().height())));
        QVERIFY2(resizeAndSettle(window, size), qPrintable(QStringLiteral("the window is %1x%2")
                                                               .arg(window.width())
                                                               .arg(window.height())));
        QCOMPARE(window.chartGrid()->columns(), columns);

        // Every chart whole, in view without scrolling, at least the least readable size,
        // apart from every other one, and its title fits its width.
        auto* scroll = window.findChild<QScrollArea*>(QStringLiteral("chartScroll"));
        const QRect view = inWindow(scroll->viewport(), &window);
        const QList<QChartView*> all = charts(window);
        for (QChartView* chart : all) {
            QVERIFY(chart);
            const QRect r = inWindow(chart, &window);
            const QString name = chart->objectName();
            QVERIFY2(chart->isVisible(), qPrintable(name));
            QVERIFY2(r.width() >= kLeastChart.width() && r.height() >= kLeastChart.height(),
                     qPrintable(QStringLiteral("%1 is %2x%3").arg(name).arg(r.width()).arg(r.height())));
            QVERIFY2(view.contains(r), qPrintable(QStringLiteral("%1 is not all in view").arg(name)));
            const QString title = chart->chart()->title();
            const int titleWidth = QFontMetrics(chart->chart()->titleFont()).horizontalAdvance(title);
            QVERIFY2(titleWidth + 8 <= r.width(),
                     qPrintable(QStringLiteral("%1: \"%2\" is %3 px wide in a %4 px chart").arg(name, title).arg(titleWidth).arg(r.width())));
            for (QChartView* other : all)
                if (other != chart)
                    QVERIFY2(!r.intersects(inWindow(other, &window)),
                             qPrintable(QStringLiteral("%1 overlaps %2").arg(name, other->objectName())));
        }
        // The heat map (painted, not a Qt chart) shares a cell with the share chart, as its
        // second tab: shown, it is whole, at its own least size, in view, beside the others.
        QTabWidget* tabs = window.spreadTabs();
        QCOMPARE(tabs->indexOf(window.heatMapChart()), 1);
        tabs->setCurrentWidget(window.heatMapChart());
        QApplication::processEvents();
        const QRect heat = inWindow(window.heatMapChart(), &window);
        QVERIFY(window.heatMapChart()->isVisible());
        QVERIFY2(heat.width() >= HeatMapChart::kMinimumSize.width() && heat.height() >= kLeastChart.height(),
                 qPrintable(QStringLiteral("the heat map is %1x%2").arg(heat.width()).arg(heat.height())));
        QVERIFY2(view.contains(heat), "the heat map is not all in view");
        for (QChartView* other : all)
            if (other->objectName() != QStringLiteral("distributionChart"))
                QVERIFY2(!heat.intersects(inWindow(other, &window)), qPrintable(other->objectName()));
        tabs->setCurrentIndex(0);
        QApplication::processEvents();
        QVERIFY(!scroll->verticalScrollBar()->isVisible());

        // The left column shows what it holds without scrolling (as tabs if need be) and
        // both its panes are reachable.
        auto* controls = window.findChild<QScrollArea*>(QStringLiteral("controlScroll"));
        QVERIFY(controls);
        QVERIFY2(!controls->verticalScrollBar()->isVisible(), "the left column scrolls");
        QVERIFY2(!controls->horizontalScrollBar()->isVisible(), "the left column is cut at the side");
        for (QWidget* pane : { static_cast<QWidget*>(window.launcher()), static_cast<QWidget*>(window.loadPanel()) }) {
            if (window.controlPanes()->isFolded())
                QVERIFY(window.controlPanes()->tabs()->indexOf(pane->parentWidget()) >= 0
                        || window.controlPanes()->tabs()->indexOf(pane) >= 0);
            else
                QVERIFY(pane->isVisible());
        }
        if (window.controlPanes()->isFolded()) {
            // Each tab whole: the launcher's buttons and the load's Run button inside the column.
            QTabWidget* tabs = window.controlPanes()->tabs();
            for (int i = 0; i < tabs->count(); ++i) {
                tabs->setCurrentIndex(i);
                QVERIFY(tabs->currentWidget()->isVisible());
            }
            tabs->setCurrentIndex(0);
        }
        for (const char* name : { "startButton", "stopButton", "scaleUpButton" }) {
            auto* button = window.findChild<QPushButton*>(QString::fromLatin1(name));
            QVERIFY(button && button->isVisible());
            QVERIFY2(inWindow(controls->viewport(), &window).contains(inWindow(button, &window)), name);
        }

        // The worker table shows every column whole; the log is beside it or a tab away.
        WorkerTableView* table = window.workerView();
        if (window.bottomPanes()->isFolded())
            window.bottomPanes()->tabs()->setCurrentWidget(table);
        QTRY_VERIFY(table->isVisible());
        QVERIFY2(!table->horizontalScrollBar()->isVisible(),
                 qPrintable(QStringLiteral("the table's columns need %1 px, it has %2")
                                .arg(table->horizontalHeader()->length())
                                .arg(table->viewport()->width())));
        QVERIFY(inWindow(table, &window).bottom() < window.height());
        if (window.bottomPanes()->isFolded())
            QVERIFY(window.bottomPanes()->tabs()->indexOf(window.logView()) >= 0);
        else
            QVERIFY(window.logView()->isVisible() && !inWindow(window.logView(), &window).intersects(inWindow(table, &window)));
    }

private:
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
