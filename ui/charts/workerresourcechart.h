#pragma once

#include "charts/timechart.h"

class QValueAxis;

namespace cs::ui {

class TimeSeriesModel;

/// What each worker slot costs over time (what `pm2 monit` users look for), one chart so
/// the grid keeps two rows: per slot, in the slot's colour, its resident memory as a thick
/// line on the left axis (MiB) and its CPU as a thin pale line on the right axis (% of one
/// core). The legend lists the slots; clicking one hides both of its lines. Lines
/// 2k and 2k + 1 are slot k + 1's memory and CPU.
class WorkerResourceChart : public TimeChart {
    Q_OBJECT
public:
    WorkerResourceChart(TimeSeriesModel* memory, TimeSeriesModel* cpu, QWidget* parent = nullptr);
    void refresh(double now) override;

    /// The CPU axis' top, in % (for tests).
    double cpuAxisMax() const;
    double memoryAxisMax() const;

protected:
    QString valueText(int line, double value) const override;
    void legendClicked(int line) override;
    void restyle() override;

private:
    TimeSeriesModel* m_memory;
    TimeSeriesModel* m_cpu;
    QValueAxis* m_cpuAxis;
};

} // namespace cs::ui
