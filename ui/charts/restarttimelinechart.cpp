#include "charts/restarttimelinechart.h"

#include "models/slotpalette.h"

#include <QCategoryAxis>
#include <QChart>
#include <QGraphicsLayout>
#include <QLegend>
#include <QLegendMarker>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

namespace cs::ui {

namespace {

using Category = EventTimelineModel::Category;

struct MarkerStyle {
    QScatterSeries::MarkerShape shape;
    qreal size;
    /// Where in its slot's row the marker sits: what went wrong (and what the user did about
    /// it) in the upper half, how the master answered in the lower half. An exit and its
    /// respawn share an instant, and so do the last crash and "slot failed" (the star takes
    /// the place of the respawn that did not come): both stay visible.
    qreal offset;
};

MarkerStyle styleOf(Category category)
{
    switch (category) {
    case Category::Crash: return { QScatterSeries::MarkerShapeCircle, 14, 0.2 };
    case Category::ExitCode: return { QScatterSeries::MarkerShapeRectangle, 12, 0.2 };
    case Category::KilledByUser: return { QScatterSeries::MarkerShapeRotatedRectangle, 13, 0.2 };
    case Category::Timeout: return { QScatterSeries::MarkerShapePentagon, 13, 0.2 };
    case Category::Respawn: return { QScatterSeries::MarkerShapeTriangle, 11, -0.2 };
    case Category::Failed: return { QScatterSeries::MarkerShapeStar, 18, -0.2 };
    case Category::SpawnFailed: return { QScatterSeries::MarkerShapeRectangle, 12, 0.2 };
    case Category::Reset: return { QScatterSeries::MarkerShapeRotatedRectangle, 13, 0.2 }; // a user's act, like a kill
    }
    return { QScatterSeries::MarkerShapeCircle, 10, 0.2 };
}

} // namespace

RestartTimelineChart::RestartTimelineChart(EventTimelineModel* model, QWidget* parent)
    : TimeChart(tr("Exits and respawns"), tr("slot"), parent, new QCategoryAxis)
    , m_model(model)
    , m_slots(static_cast<QCategoryAxis*>(m_yAxis))
{
    m_slots->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
    for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i) {
        const auto category = Category(i);
        const MarkerStyle style = styleOf(category);
        auto* series = new QScatterSeries;
        series->setName(EventTimelineModel::categoryName(category));
        series->setMarkerShape(style.shape);
        series->setMarkerSize(style.size);
        m_chart->addSeries(series);
        for (QLegendMarker* marker : m_chart->legend()->markers(series))
            marker->setVisible(false); // until the first marker of its kind
        series->attachAxis(m_x);
        series->attachAxis(m_slots);
        m_series[std::size_t(i)] = series;
    }
    layoutSlots(1);
    // The rows' labels and markers follow the plot's height, known once the chart is laid out.
    connect(m_chart, &QChart::plotAreaChanged, this, [this] { layoutSlots(m_model->slotCount()); });
    restyle();
    setToolTip(tr("Every unexpected exit (shape and colour say why) and every respawn, per worker slot, "
                  "since the cluster started"));
}

void RestartTimelineChart::restyle()
{
    TimeChart::restyle();
    for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i) {
        QScatterSeries* series = m_series[std::size_t(i)];
        if (!series)
            continue; // called from the base constructor, before the series exist
        series->setColor(eventColor(Category(i)));
        series->setBorderColor(palette().color(QPalette::Base));
    }
}

// The plot's rows get a label each while the labels fit its height; with many slots, every
// n-th slot is labelled at its row (1, 5, 9, ...) and the markers shrink to their row, so
// 64 slots read as a dense column rather than as overprinted text.
void RestartTimelineChart::layoutSlots(int count)
{
    count = std::max(count, 1);
    const double plotHeight = std::max<qreal>(m_chart->plotArea().height(), 1);
    const double labelHeight = fontMetrics().height() * 1.4;
    const int fitting = std::max(1, int(plotHeight / labelHeight));
    const int step = (count + fitting - 1) / fitting;
    // Full-size markers want about 30 px of row; never under 55 % of their size (smaller,
    // a triangle is all border).
    const double markerScale = std::clamp(plotHeight / count / 30.0, 0.55, 1.0);
    if (count != m_slotCount || step != m_labelStep) {
        m_slotCount = count;
        m_labelStep = step;
        for (const QString& label : m_slots->categoriesLabels())
            m_slots->remove(label);
        m_slots->setStartValue(0.5);
        if (step == 1) {
            // A band per slot, its name in the middle.
            m_slots->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
            for (int slot = 1; slot <= count; ++slot)
                m_slots->append(QStringLiteral("#%1").arg(slot), slot + 0.5);
        } else {
            // A name on the row of every step-th slot.
            m_slots->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
            for (int slot = 1; slot <= count; slot += step)
                m_slots->append(QStringLiteral("#%1").arg(slot), slot);
        }
        m_slots->setRange(0.5, count + 0.5);
    }
    if (markerScale != m_markerScale) {
        m_markerScale = markerScale;
        for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i)
            m_series[std::size_t(i)]->setMarkerSize(styleOf(Category(i)).size * markerScale);
    }
}

QStringList RestartTimelineChart::slotLabels() const
{
    return m_slots->categoriesLabels();
}

void RestartTimelineChart::refresh(double now)
{
    const TimeRange r = beginRefresh(now);
    layoutSlots(m_model->slotCount());
    bool legendChanged = false;
    for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i) {
        const double offset = styleOf(Category(i)).offset;
        QList<QPointF> points = m_model->points(Category(i), r.from, r.to);
        for (QPointF& p : points)
            p.setY(p.y() + offset);
        QScatterSeries* series = m_series[std::size_t(i)];
        series->replace(points);
        // The legend names what is on the chart, not every kind there could be: eight
        // entries would not fit under a laptop-sized chart.
        if (bool& listed = m_listed[std::size_t(i)]; listed != !points.isEmpty()) {
            listed = !points.isEmpty();
            for (QLegendMarker* marker : m_chart->legend()->markers(series))
                marker->setVisible(listed);
            legendChanged = true;
        }
    }
    // The legend lays its entries out again only when told: else a shown entry keeps the
    // place (and the width) it had while hidden.
    if (legendChanged)
        m_chart->legend()->layout()->invalidate();
    showRange();
}

int RestartTimelineChart::markerCount(EventTimelineModel::Category category) const
{
    return m_series[std::size_t(category)]->count();
}

QPointF RestartTimelineChart::markerPosition(EventTimelineModel::Category category, int index) const
{
    QScatterSeries* series = m_series[std::size_t(category)];
    return mapFromScene(m_chart->mapToScene(m_chart->mapToPosition(series->at(index), series)));
}

qreal RestartTimelineChart::markerSize(EventTimelineModel::Category category) const
{
    return m_series[std::size_t(category)]->markerSize();
}

QStringList RestartTimelineChart::legendNames() const
{
    QStringList names;
    for (QLegendMarker* marker : m_chart->legend()->markers())
        if (marker->isVisible())
            names.append(marker->label());
    return names;
}

} // namespace cs::ui
