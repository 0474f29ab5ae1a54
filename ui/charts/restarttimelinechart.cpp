#include "charts/restarttimelinechart.h"

#include "models/slotpalette.h"

#include <QCategoryAxis>
#include <QChart>
#include <QLegend>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

namespace cs::ui {

namespace {

using Category = EventTimelineModel::Category;

struct MarkerStyle {
    QScatterSeries::MarkerShape shape;
    qreal size;
};

MarkerStyle styleOf(Category category)
{
    switch (category) {
    case Category::Crash: return { QScatterSeries::MarkerShapeCircle, 14 };
    case Category::ExitCode: return { QScatterSeries::MarkerShapeRectangle, 12 };
    case Category::KilledByUser: return { QScatterSeries::MarkerShapeRotatedRectangle, 13 };
    case Category::Timeout: return { QScatterSeries::MarkerShapePentagon, 13 };
    case Category::Respawn: return { QScatterSeries::MarkerShapeTriangle, 11 };
    case Category::Failed: return { QScatterSeries::MarkerShapeStar, 18 };
    case Category::SpawnFailed: return { QScatterSeries::MarkerShapeRectangle, 12 };
    }
    return { QScatterSeries::MarkerShapeCircle, 10 };
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
        series->attachAxis(m_x);
        series->attachAxis(m_slots);
        m_series[std::size_t(i)] = series;
    }
    setSlotCount(1);
    restyle();
    setToolTip(tr("Every unexpected exit (shape and colour say why) and every respawn, per worker slot, "
                  "over the last 60 seconds"));
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

void RestartTimelineChart::setSlotCount(int count)
{
    count = std::max(count, 1);
    if (count == m_slotCount)
        return;
    m_slotCount = count;
    for (const QString& label : m_slots->categoriesLabels())
        m_slots->remove(label);
    m_slots->setStartValue(0.5);
    for (int slot = 1; slot <= count; ++slot)
        m_slots->append(QStringLiteral("#%1").arg(slot), slot + 0.5);
    m_slots->setRange(0.5, count + 0.5);
}

void RestartTimelineChart::refresh(double now)
{
    for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i) {
        // An exit and its immediate respawn share an instant: exits sit in the upper half of
        // the slot's row and respawns in the lower half, so both stay visible.
        const double offset = Category(i) == Category::Respawn ? -0.2 : 0.2;
        QList<QPointF> points = m_model->points(Category(i));
        for (QPointF& p : points)
            p.setY(p.y() + offset);
        m_series[std::size_t(i)]->replace(points);
    }
    slide(now);
}

int RestartTimelineChart::markerCount(EventTimelineModel::Category category) const
{
    return m_series[std::size_t(category)]->count();
}

} // namespace cs::ui
