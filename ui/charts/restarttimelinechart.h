#pragma once

#include "charts/timechart.h"
#include "models/eventtimelinemodel.h"

#include <array>

class QCategoryAxis;
class QScatterSeries;

namespace cs::ui {

/// Exits and respawns on the same 60 s axis as the other charts, one row per slot: a
/// marker shape and colour per kind of exit (crash signal, exit code, killed by user,
/// timeout) and for each respawn, so a kill followed by its respawn reads left to right.
class RestartTimelineChart : public TimeChart {
    Q_OBJECT
public:
    explicit RestartTimelineChart(EventTimelineModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;
    /// Rows on the y axis: slots 1..count.
    void setSlotCount(int count);

    /// Points the chart shows for a category (for tests: what reached the series).
    int markerCount(EventTimelineModel::Category category) const;

protected:
    void restyle() override;

private:
    EventTimelineModel* m_model;
    QCategoryAxis* m_slots;
    std::array<QScatterSeries*, EventTimelineModel::kCategoryCount> m_series {};
    int m_slotCount = 0;
};

} // namespace cs::ui
