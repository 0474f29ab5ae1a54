#pragma once

#include "charts/timechart.h"

namespace cs::ui {

class TimeSeriesModel;

/// Requests per second of each worker slot over the last 60 s. Series i is slot i + 1 and
/// keeps the slot's colour across respawns, so a dip and recovery read as one line.
class WorkerRateChart : public TimeChart {
    Q_OBJECT
public:
    explicit WorkerRateChart(TimeSeriesModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;

private:
    TimeSeriesModel* m_model;
};

} // namespace cs::ui
