#pragma once

#include <QChartView>

class QLabel;

namespace cs::ui {

class ComparisonModel;

/// One figure of the compared runs as bars, every run on the same axes: each worker's share
/// (Jain's index under each run), throughput with the master's CPU, latency p50/p99, or each
/// core's load. Reads the ComparisonModel only; redraws when it is reset.
class ComparisonChart : public QChartView {
    Q_OBJECT
public:
    enum class Kind { Shares, Throughput, Latency, CoreLoad };
    ComparisonChart(ComparisonModel* model, Kind kind, QWidget* parent = nullptr);

    Kind kind() const { return m_kind; }
    QString title() const;
    /// The legend's text (HTML), for tests.
    QString legendText() const;
    void refresh();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void placeLegend();

    ComparisonModel* m_model;
    Kind m_kind;
    /// Our own legend under the plot: Qt Charts 6.4 cut short names in its legend to nothing.
    QLabel* m_legend;
};

} // namespace cs::ui
