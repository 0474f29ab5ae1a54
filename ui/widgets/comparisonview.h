#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace cs::ui {

class ComparisonChart;
class ComparisonModel;

/// Runs side by side: four charts on the same axes (share per worker with Jain's index,
/// throughput with the master's CPU, latency p50/p99, per-core load) over the table of
/// every figure, failed requests included.
class ComparisonView : public QWidget {
    Q_OBJECT
public:
    /// All four charts in two rows over the table; `compact`: shares and throughput in one
    /// row, no table (under a lesson's verdict, where the height is short).
    explicit ComparisonView(ComparisonModel* model, bool compact = false, QWidget* parent = nullptr);
    QTableView* table() const { return m_table; }
    QList<ComparisonChart*> charts() const { return m_charts; }

private:
    void updateHint();

    ComparisonModel* m_model;
    QLabel* m_hint;
    QTableView* m_table;
    QList<ComparisonChart*> m_charts;
};

} // namespace cs::ui
