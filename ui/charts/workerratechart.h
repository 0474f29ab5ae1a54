#pragma once

#include "charts/timechart.h"

namespace cs::ui {

class TimeSeriesModel;

/// Requests per second of each worker slot. Series i is slot i + 1 and
/// keeps the slot's colour across respawns, so a dip and recovery read as one line.
class WorkerRateChart : public TimeChart {
    Q_OBJECT
public:
    explicit WorkerRateChart(TimeSeriesModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;

protected:
    QString valueText(int line, double value) const override;

private:
    TimeSeriesModel* m_model;
};

} // namespace cs::ui
