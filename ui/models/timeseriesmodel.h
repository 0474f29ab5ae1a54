#pragma once

#include <deque>
#include <vector>

#include <QAbstractTableModel>
#include <QList>
#include <QPointF>
#include <QStringList>

namespace cs::ui {

/// A sliding window of samples for one chart: row = sample time, column 0 = time (s since
/// the cluster started), column 1 + i = series i. Series can be added and removed while
/// running (a worker slot scaled up or down); a sample that lacks a series holds NaN, which
/// charts skip.
/// Rows older than the window are dropped, so memory stays bounded.
class TimeSeriesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit TimeSeriesModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setWindowSeconds(double seconds) { m_window = seconds; }
    double windowSeconds() const { return m_window; }
    /// Makes the series exactly `names`: new ones are added, series past the end go with
    /// their samples, the rest keep their samples under the new name.
    void setSeriesNames(const QStringList& names);
    int seriesCount() const { return int(m_names.size()); }
    QString seriesName(int series) const;

    /// Appends one sample (values[i] for series i; missing ones are NaN) and drops the rows
    /// that slid out of the window. A time earlier than the last one starts over (new run).
    void append(double time, const std::vector<double>& values);
    void clear();

    double latestTime() const { return m_rows.empty() ? 0.0 : m_rows.back().time; }
    /// The series' points in the window, NaNs left out: what a chart hands to replace().
    QList<QPointF> points(int series) const;
    /// Largest value of any series in the window (0 when empty).
    double maxValue() const;

private:
    struct Row {
        double time = 0;
        std::vector<double> values;
    };
    std::deque<Row> m_rows;
    QStringList m_names;
    double m_window = 60.0;
};

} // namespace cs::ui
