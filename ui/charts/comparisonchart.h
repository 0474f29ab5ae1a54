#pragma once

#include <QChartView>

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
    void refresh();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    ComparisonModel* m_model;
    Kind m_kind;
};

} // namespace cs::ui
