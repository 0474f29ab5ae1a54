#pragma once

#include <QChartView>

class QBarSeries;
class QComboBox;
class QToolButton;
class QBarSet;
class QBarCategoryAxis;
class QLineSeries;
class QValueAxis;

namespace cs::ui {

class ChartNote;
class ShareModel;

/// Each worker's share of the requests and of the accepted connections over the span the
/// ShareModel holds (the last load run, or since start: chosen in the chart's corner, with a
/// Reset beside it), against the even share (dashed), with Jain's fairness index in the
/// title: the picture of how well a policy spreads the load.
class DistributionChart : public QChartView {
    Q_OBJECT
public:
    explicit DistributionChart(ShareModel* model, QWidget* parent = nullptr);
    void refresh();
    /// A sentence over the chart instead of its bars (empty: the bars again).
    void setNote(const QString& note);
    QString note() const;

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void restyle();

    ShareModel* m_model;
    QWidget* m_controls; ///< the span choice and Reset, in the top-right corner
    QComboBox* m_scope;
    QToolButton* m_reset;
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
