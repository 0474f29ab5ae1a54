#pragma once

#include "charts/timechart.h"

#include <QString>

class QLogValueAxis;

namespace cs::ui {

class TimeSeriesModel;

/// The workers' clocks count whole microseconds: a request served faster is measured as
/// 0. Such a value is drawn on the 1 µs line (a log axis cannot place 0), and its line's
/// legend entry says "p50 < 1 µs", so the line there is not read as exactly 1 µs.
constexpr double kResolutionMs = 0.001;

/// How latencies from `lowMs` to `highMs` are shown: in µs when all are under 1 ms (a
/// "0.004 ms" label reads worse than "4 µs"), else in ms; on a log axis from the power of
/// ten below the lowest to the one above the highest, so no line runs along the frame.
struct LatencyScale {
    double perMs = 1; ///< units per ms: 1 or 1000
    bool micros = false;
    double bottom = 0.1; ///< in the unit
    double top = 10;
};
LatencyScale latencyScale(double lowMs, double highMs);

/// How long the workers take to serve a request (median and 99th percentile of all workers
/// per sample interval, series 0 = p50, series 1 = p99 of the model).
/// Measured inside the workers, so it is server time, not the client's round trip. The y
/// axis is logarithmic: a 0.2 ms median and a 20 ms tail both stay readable on one chart.
class LatencyChart : public TimeChart {
    Q_OBJECT
public:
    /// The model's values are in ms: NaN for an interval without requests (a gap), 0 for one
    /// measured under the resolution.
    explicit LatencyChart(TimeSeriesModel* model, QWidget* parent = nullptr);
    void refresh(double now) override;

    /// The y axis as the reader sees it (for tests): its range and title.
    double axisMin() const;
    double axisMax() const;
    QString axisTitle() const;

protected:
    void restyle() override;
    QString valueText(int line, double value) const override;

private:
    void setRange(const LatencyScale& scale);

    TimeSeriesModel* m_model;
    QLogValueAxis* m_log;
    double m_perMs = 1; ///< the unit the lines are drawn in: 1 (ms) or 1000 (µs)
};

} // namespace cs::ui
