#pragma once

#include "charts/timechart.h"
#include "models/eventtimelinemodel.h"

#include <array>

class QCategoryAxis;
class QScatterSeries;

namespace cs::ui {

/// Exits and respawns on the same time axis as the other charts, one row per slot: a
/// marker shape and colour per kind of exit (crash signal, exit code, killed by user,
/// timeout), for a slot that failed, a user's reset and each respawn, so a kill followed by
/// its respawn reads left to right. The legend lists the kinds that are on the chart.
class RestartTimelineChart : public TimeChart {
    Q_OBJECT
public:
    explicit RestartTimelineChart(EventTimelineModel* model, QWidget* parent = nullptr);
    /// Reads the markers and the slot count (the rows) from the model.
    void refresh(double now) override;

    /// The slots that carry a label on the y axis (for tests): every one while they fit the
    /// plot's height, else every n-th, so that many slots do not print over each other.
    QStringList slotLabels() const;

    /// Points the chart shows for a category (for tests: what reached the series).
    int markerCount(EventTimelineModel::Category category) const;
    /// Where the index-th marker of a category is drawn, in the view's pixels, and its size.
    QPointF markerPosition(EventTimelineModel::Category category, int index) const;
    qreal markerSize(EventTimelineModel::Category category) const;
    /// The legend's entries that are shown.
    QStringList legendNames() const;

protected:
    void restyle() override;

private:
    EventTimelineModel* m_model;
    QCategoryAxis* m_slots;
    std::array<QScatterSeries*, EventTimelineModel::kCategoryCount> m_series {};
    std::array<bool, EventTimelineModel::kCategoryCount> m_listed {}; ///< in the legend: has markers
    /// Rows for slots 1..count, labelled every `step`-th; markers shrink to the row height.
    void layoutSlots(int count);

    int m_slotCount = 0;
    int m_labelStep = 0;
    double m_markerScale = 0;
};

} // namespace cs::ui
