#pragma once

#include "charts/timechart.h"

namespace cs::ui {

class TimeSeriesModel;

/// Busy % of each CPU core, one line per core.
class CoreLoadChart : public TimeChart {
    Q_OBJECT
public:
    explicit CoreLoadChart(TimeSeriesModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;

protected:
    QString valueText(int line, double value) const override;

private:
    TimeSeriesModel* m_model;
};

} // namespace cs::ui
