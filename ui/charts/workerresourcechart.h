#pragma once

#include "charts/timechart.h"

namespace cs::ui {

class TimeSeriesModel;

/// What each worker slot costs over time, one line per slot in the slot's colour (what
/// `pm2 monit` users look for): its resident memory in MiB, or its CPU in % of one core.
/// Two instances sit side by side; the worker table has the current values.
class WorkerResourceChart : public TimeChart {
    Q_OBJECT
public:
    enum class Resource { Memory, Cpu };
    WorkerResourceChart(TimeSeriesModel* model, Resource resource, QWidget* parent = nullptr);
    void refresh(double now) override;
    Resource resource() const { return m_resource; }

protected:
    QString valueText(int line, double value) const override;

private:
    TimeSeriesModel* m_model;
    Resource m_resource;
};

} // namespace cs::ui
