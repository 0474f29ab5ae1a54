// The time charts' frame: the legend, the shared view (live, zoom, select, pan, pause,
// reset), hiding a line from its legend entry, and the hover text, driven with real
// mouse and key events offscreen.
#include "charts/workerratechart.h"

#include "charts/chartstyle.h"
#include "charts/timeview.h"
#include "charts/workerresourcechart.h"
#include "models/timeseriesmodel.h"

#include <algorithm>
#include <cmath>

#include <QChart>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsTextItem>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QSet>
#include <QTest>
#include <QValueAxis>
#include <QWheelEvent>

using namespace cs::ui;

namespace {

QStringList names(int count)
{
    QStringList list;
    for (int slot = 1; slot <= count; ++slot)
        list.append(QStringLiteral("#%1").arg(slot));
    return list;
}

/// Ten minutes of two slots at 0.5 s: #1 at 100 req/s, #2 at 200, and #2 at 1,234 at 30 s.
void fill(TimeSeriesModel& model, double seconds = 600)
{
    model.setSeriesNames(names(2));
    for (int i = 0; i <= int(seconds / 0.5); ++i) {
        const double t = i * 0.5;
        model.append(t, { 100.0, t == 30 ? 1234.0 : 200.0 });
    }
}

void wheel(QWidget* viewport, const QPoint& at, int delta)
{
    QWheelEvent event(at, viewport->mapToGlobal(at), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(viewport, &event);
}

/// The viewport pixel of a time, halfway up the plot.
QPoint pixelOf(const TimeChart& chart, double t)
{
    const QRectF plot = chart.plotRect();
    return QPoint(chart.positionOf(t, 0).x(), int(plot.center().y()));
}

/// Clicks the legend entry named `name`, where it is drawn.
bool clickLegend(TimeChart& chart, const QString& name)
{
    QTest::qWait(50); // the legend lays its entries out from a posted event
    const QRectF legend = chart.chart()->legend()->sceneBoundingRect();
    for (QGraphicsItem* item : chart.scene()->items()) {
        QString text;
        if (auto* t = dynamic_cast<QGraphicsTextItem*>(item))
            text = t->toPlainText();
        else if (auto* s = dynamic_cast<QGraphicsSimpleTextItem*>(item))
            text = s->text();
        if (text != name || !legend.intersects(item->sceneBoundingRect()) || !item->isVisible())
            continue;
        const QPoint at = chart.mapFromScene(item->sceneBoundingRect().center());
        QTest::mouseClick(chart.viewport(), Qt::LeftButton, {}, at);
        return true;
    }
    return false;
}

} // namespace

class TestTimeChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // The hover text's thousands separator is the locale's: a known one here.
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    }

    void legendOnlyWhileItFits()
    {
        TimeSeriesModel model;
        model.setSeriesNames(names(2));
        model.append(1, { 10.0, 20.0 });
        WorkerRateChart chart(&model);
        chart.resize(260, 200);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(1);
        QVERIFY(chart.chart()->legend()->isVisible());

        model.setSeriesNames(names(16));
        model.append(2, std::vector<double>(16, 5.0));
        chart.refresh(2);
        QCOMPARE(chart.lineNames().size(), 16);
        QVERIFY(!chart.chart()->legend()->isVisible());
        // Wide enough for all sixteen: named again.
        chart.resize(1400, 200);
        QTRY_VERIFY(chart.chart()->legend()->isVisible());
        // Back to two workers in the narrow chart.
        chart.resize(260, 200);
        model.setSeriesNames(names(2));
        chart.refresh(3);
        QVERIFY(chart.chart()->legend()->isVisible());
    }

    // Live shows the last 60 s; the wheel zooms around the time under the cursor and leaves
    // live (new data no longer moves the axis); Home goes back to live.
    void wheelZoomsAroundTheCursorAndLeavesLive()
    {
        TimeSeriesModel model;
        fill(model);
        WorkerRateChart chart(&model);
        chart.resize(700, 320);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(600);
        QTRY_VERIFY(chart.plotRect().width() > 100);
        QVERIFY(chart.timeView()->live());
        QCOMPARE(chart.axisRange(), (TimeRange { 540, 600 }));
        QVERIFY(!chart.timeLabels().isEmpty());
        QVERIFY(chart.timeLabels().contains(QStringLiteral("9:40"))); // round ticks, m:ss

        const QPoint at = pixelOf(chart, 588); // off-centre, so keeping it in place is no accident
        const double under = chart.timeAt(at);
        wheel(chart.viewport(), at, 120);
        QVERIFY(!chart.timeView()->live());
        QCOMPARE(chart.timeView()->mode(), TimeView::Mode::Zoomed);
        const TimeRange zoomed = chart.axisRange();
        QVERIFY2(std::abs(zoomed.span() - 48) < 1e-6, qPrintable(QString::number(zoomed.span())));
        QVERIFY2(std::abs(chart.timeAt(at) - under) < 0.2, qPrintable(QString::number(chart.timeAt(at))));
        // Zooming out past everything there is shows everything, no more.
        for (int i = 0; i < 30; ++i)
            wheel(chart.viewport(), at, -120);
        QCOMPARE(chart.axisRange(), (TimeRange { 0, 600 }));
        // The whole ten minutes in the plot's width: thinned to a point per two pixel columns.
        QVERIFY2(chart.linePoints(0).size() <= chart.plotRect().width() / 2 + 8,
                 qPrintable(QString::number(chart.linePoints(0).size())));
        QVERIFY(chart.linePoints(1).contains(QPointF(30, 1234)) || [&] {
            const QList<QPointF> points = chart.linePoints(1);
            return std::any_of(points.begin(), points.end(), [](const QPointF& p) { return p.y() == 1234; });
        }());
        // New data: the view stays put.
        model.append(600.5, { 1, 1 });
        chart.refresh(600.5);
        QCOMPARE(chart.axisRange(), (TimeRange { 0, 600 }));

        chart.setFocus();
        QTest::keyClick(&chart, Qt::Key_Home);
        QVERIFY(chart.timeView()->live());
        QCOMPARE(chart.axisRange(), (TimeRange { 540.5, 600.5 }));
    }

    void dragSelectsAndShiftDragPans()
    {
        TimeSeriesModel model;
        fill(model);
        WorkerRateChart chart(&model);
        chart.resize(700, 320);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(600);
        QTRY_VERIFY(chart.plotRect().width() > 100);

        const QPoint from = pixelOf(chart, 550);
        const QPoint to = pixelOf(chart, 580);
        QTest::mousePress(chart.viewport(), Qt::LeftButton, {}, from);
        QTest::mouseMove(chart.viewport(), (from + to) / 2);
        QTest::mouseMove(chart.viewport(), to);
        QTest::mouseRelease(chart.viewport(), Qt::LeftButton, {}, to);
        const TimeRange selected = chart.axisRange();
        QVERIFY2(std::abs(selected.from - 550) < 0.3 && std::abs(selected.to - 580) < 0.3,
                 qPrintable(QStringLiteral("%1..%2").arg(selected.from).arg(selected.to)));
        QCOMPARE(chart.timeView()->mode(), TimeView::Mode::Zoomed);

        // Shift-drag 100 px to the right: back in time by 100 px worth of the span.
        const double perPixel = selected.span() / chart.plotRect().width();
        const QPoint start = pixelOf(chart, 565);
        QTest::mousePress(chart.viewport(), Qt::LeftButton, Qt::ShiftModifier, start);
        QTest::mouseMove(chart.viewport(), start + QPoint(50, 0));
        QTest::mouseMove(chart.viewport(), start + QPoint(100, 0));
        QTest::mouseRelease(chart.viewport(), Qt::LeftButton, Qt::ShiftModifier, start + QPoint(100, 0));
        const TimeRange panned = chart.axisRange();
        QVERIFY2(std::abs(panned.from - (selected.from - 100 * perPixel)) < 0.05,
                 qPrintable(QStringLiteral("%1..%2").arg(panned.from).arg(panned.to)));
        QCOMPARE(panned.span(), selected.span());

        // Keys: Right pans forward a tenth; Space: live again at this span; Space: paused.
        chart.setFocus();
        QTest::keyClick(&chart, Qt::Key_Right);
        QVERIFY(std::abs(chart.axisRange().from - (panned.from + panned.span() / 10)) < 1e-6);
        QTest::keyClick(&chart, Qt::Key_Space);
        QVERIFY(chart.timeView()->live());
        QVERIFY(std::abs(chart.axisRange().to - 600) < 1e-6);
        QVERIFY(std::abs(chart.axisRange().span() - panned.span()) < 1e-6);
        QTest::keyClick(&chart, Qt::Key_Space);
        QCOMPARE(chart.timeView()->mode(), TimeView::Mode::Paused);
        model.append(600.5, { 1, 1 });
        chart.refresh(600.5);
        QVERIFY(std::abs(chart.axisRange().to - 600) < 1e-6); // paused: no longer follows
        QTest::keyClick(&chart, Qt::Key_Escape);
        QCOMPARE(chart.axisRange(), (TimeRange { 540.5, 600.5 }));
    }

    // One view for several charts: zooming one zooms the other.
    void chartsShareOneView()
    {
        TimeSeriesModel model;
        fill(model);
        TimeView view;
        WorkerRateChart a(&model);
        WorkerRateChart b(&model);
        a.setTimeView(&view);
        b.setTimeView(&view);
        for (WorkerRateChart* chart : { &a, &b }) {
            chart->resize(500, 300);
            chart->show();
            QVERIFY(QTest::qWaitForWindowExposed(chart));
            chart->refresh(600);
        }
        QTRY_VERIFY(a.plotRect().width() > 100);
        wheel(a.viewport(), pixelOf(a, 580), 240);
        QVERIFY(!view.live());
        QCOMPARE(b.axisRange(), a.axisRange());
        QVERIFY(a.axisRange().span() < 60);
        view.reset();
        QCOMPARE(b.axisRange(), (TimeRange { 540, 600 }));
    }

    // A click on a legend entry hides its line and greys the entry; the line stays hidden
    // through refreshes (and the y scale follows the lines shown); a second click shows it.
    void legendClickHidesALine()
    {
        TimeSeriesModel model;
        fill(model, 100);
        WorkerRateChart chart(&model);
        chart.resize(600, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(100);
        QTRY_VERIFY(chart.chart()->legend()->isVisible());
        const double scaleWithBoth = static_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front())->max();
        QVERIFY(clickLegend(chart, QStringLiteral("#2")));
        QVERIFY(chart.lineHidden(1));
        QLineSeries* line = nullptr;
        for (QAbstractSeries* series : chart.chart()->series())
            if (series->name() == QStringLiteral("#2"))
                line = static_cast<QLineSeries*>(series);
        QVERIFY(line);
        QVERIFY(!line->isVisible());
        QLegendMarker* marker = chart.chart()->legend()->markers(line).front();
        QVERIFY(marker->isVisible()); // still there, to click it back
        QVERIFY(marker->labelBrush().color() != chart.palette().color(QPalette::Text));
        model.append(100.5, { 100, 200 });
        chart.refresh(100.5);
        QVERIFY(chart.lineHidden(1));
        QVERIFY(!line->isVisible());
        QCOMPARE(chart.lineNames(), names(2));
        const double scaleWithOne = static_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).front())->max();
        QVERIFY2(scaleWithOne < scaleWithBoth, qPrintable(QStringLiteral("%1 vs %2").arg(scaleWithOne).arg(scaleWithBoth)));
        // A note over the chart and away again: the hidden line stays hidden.
        chart.setNote(QStringLiteral("unknown"));
        chart.setNote({});
        QVERIFY(!line->isVisible());
        QVERIFY(clickLegend(chart, QStringLiteral("#2")));
        QVERIFY(!chart.lineHidden(1));
        QVERIFY(line->isVisible());
        QCOMPARE(marker->labelBrush().color(), chart.palette().color(QPalette::Text));
    }

    // Hovering a point tells its series, its value with the unit, and its time.
    void hoverTellsSeriesValueAndTime()
    {
        TimeSeriesModel model;
        fill(model, 60);
        WorkerRateChart chart(&model);
        chart.resize(700, 360);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.refresh(60);
        QTRY_VERIFY(chart.plotRect().width() > 100);
        const QPoint spike = chart.positionOf(30, 1234, 1);
        QTest::mouseMove(chart.viewport(), spike + QPoint(2, 3));
        QCOMPARE(chart.hoverText(), QStringLiteral("#2: 1,234 req/s at 00:30.0"));
        const QPoint low = chart.positionOf(45, 100, 0);
        QTest::mouseMove(chart.viewport(), low + QPoint(0, -2));
        QCOMPARE(chart.hoverText(), QStringLiteral("#1: 100 req/s at 00:45.0"));
        // A hidden line is not hovered.
        chart.setLineHidden(0, true);
        QVERIFY(!chart.hoverTextAt(low).startsWith(QStringLiteral("#1")));
        // Far from every line: nothing.
        QTest::mouseMove(chart.viewport(), QPoint(chart.positionOf(10, 0).x(), int(chart.plotRect().top()) + 2));
        QVERIFY(chart.hoverText().isEmpty());
    }

    // Every tick of a value axis reads differently: a 0-1 axis labelled in whole numbers read
    // 0, 0, 0, 1, 1, 1 (the memory chart before the first sample, or under 1 MiB).
    void axisTicksReadAsDistinctNumbers()
    {
        const auto labels = [](const QValueAxis& axis) {
            QStringList out;
            for (int i = 0; i < axis.tickCount(); ++i) {
                const double value = axis.min() + i * (axis.max() - axis.min()) / (axis.tickCount() - 1);
                out << QString::asprintf(axis.labelFormat().toLatin1().constData(), value);
            }
            return out;
        };
        const auto distinct = [](const QStringList& list) { return QSet<QString>(list.begin(), list.end()).size() == list.size(); };
        for (const double value : { 0.0, 0.3, 0.9, 1.0, 1.4, 2.2, 7.0, 12.0, 240.0, 0.04 }) {
            QValueAxis axis;
            axis.setLabelFormat(QStringLiteral("%.0f %%"));
            setNiceRange(&axis, value, 0.01);
            const QStringList ticks = labels(axis);
            QVERIFY2(distinct(ticks), qPrintable(QString::number(value) + QStringLiteral(": ") + ticks.join(u' ')));
            QVERIFY2(ticks.last().endsWith(QStringLiteral(" %")), qPrintable(ticks.last())); // the rest kept
        }
        // Whole numbers where the step is whole.
        QValueAxis whole;
        whole.setLabelFormat(QStringLiteral("%.1f"));
        setNiceRange(&whole, 240, 10);
        QCOMPARE(labels(whole).last(), QStringLiteral("250"));
        // The memory chart before any sample.
        TimeSeriesModel memory;
        TimeSeriesModel cpu;
        WorkerResourceChart chart(&memory, &cpu);
        chart.refresh(0);
        for (QAbstractAxis* axis : chart.chart()->axes(Qt::Vertical)) {
            const QStringList ticks = labels(*qobject_cast<QValueAxis*>(axis));
            QVERIFY2(distinct(ticks), qPrintable(ticks.join(u' ')));
        }
    }
};

QTEST_MAIN(TestTimeChart)
#include "tst_timechart.moc"
