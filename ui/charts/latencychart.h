#pragma once

#include "charts/timechart.h"

namespace cs::ui {

class TimeSeriesModel;

/// Median and 99th-percentile latency of all workers over the last 60 s (series 0 = p50,
/// series 1 = p99 of the model).
class LatencyChart : public TimeChart {
    Q_OBJECT
public:
    explicit LatencyChart(TimeSeriesModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;

private:
    TimeSeriesModel* m_model;
};

} // namespace cs::ui
