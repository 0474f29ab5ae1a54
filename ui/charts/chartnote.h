#pragma once

#include <QLabel>

class QChart;

namespace cs::ui {

/// A sentence shown in the middle of a chart instead of its data, when the data is unknown
/// (not zero): e.g. request counts of a program that is not the built-in worker. It keeps
/// itself centred over its parent and hides the chart's series while shown, so nobody reads
/// a flat line at zero as a measurement.
class ChartNote : public QLabel {
    Q_OBJECT
public:
    ChartNote(QWidget* chartView, QChart* chart);

    /// Empty hides the note and shows the series again.
    void setNote(const QString& text);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void place();
    void restyle();

    QChart* m_chart;
};

} // namespace cs::ui
