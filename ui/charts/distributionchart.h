#pragma once

#include <QChartView>

class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QLineSeries;
class QValueAxis;

namespace cs::ui {

class ChartNote;
class WorkerTableModel;

/// Each worker's share of all requests and of all accepted connections since the cluster
/// started, against the even share (dashed), with Jain's fairness index in the title: the
/// picture of how well a policy spreads the load.
class DistributionChart : public QChartView {
    Q_OBJECT
public:
    explicit DistributionChart(WorkerTableModel* model, QWidget* parent = nullptr);
    void refresh();
    /// A sentence over the chart instead of its bars (empty: the bars again).
    void setNote(const QString& note);
    QString note() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void restyle();

    WorkerTableModel* m_model;
    QChart* m_chart;
    QBarSeries* m_bars;
    QBarSet* m_requests;
    QBarSet* m_connections;
    QLineSeries* m_even;
    QBarCategoryAxis* m_x;
    QValueAxis* m_y;
    QStringList m_categories;
    QString m_baseToolTip;
    ChartNote* m_note;
};

} // namespace cs::ui
