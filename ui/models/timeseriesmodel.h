#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include <QAbstractTableModel>
#include <QList>
#include <QPointF>
#include <QStringList>

namespace cs::ui {

/// Every sample of one chart since the cluster started: row = a time, column 0 = time (s
/// since the cluster started), column 1 + i = series i. Series can be added and removed
/// while running (a worker slot scaled up or down); a sample that lacks a series holds NaN,
/// which charts skip.
///
/// Memory stays bounded however long the cluster runs: the last kFullSeconds keep every
/// sample; older samples are folded into buckets (kBucketSeconds wide at first) that keep
/// each series' minimum, maximum and mean, so a one-sample spike an hour ago is still there
/// as a bucket's maximum. When there are more than kMaxBuckets buckets, neighbours merge
/// and the width doubles. Rows are the buckets (oldest first), then the full-resolution
/// samples; times increase down the rows. A bucket's row shows the mean (DisplayRole) and
/// its extremes (MinimumRole, MaximumRole); its time is the middle of its samples' times.
class TimeSeriesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { MinimumRole = Qt::UserRole + 1, MaximumRole, SampleCountRole };
    static constexpr double kFullSeconds = 600.0;
    static constexpr double kBucketSeconds = 10.0;
    static constexpr int kMaxBuckets = 2048;

    explicit TimeSeriesModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The tiers (tests use small ones; the defaults above otherwise). Set before appending.
    void setResolution(double fullSeconds, double bucketSeconds, int maxBuckets);
    /// Makes the series exactly `names`: new ones are added, series past the end go with
    /// their samples, the rest keep their samples under the new name.
    void setSeriesNames(const QStringList& names);
    int seriesCount() const { return int(m_names.size()); }
    QString seriesName(int series) const;

    /// Appends one sample (values[i] for series i; missing ones are NaN) and folds the
    /// samples that became older than the full-resolution span into buckets. A time earlier
    /// than the last one starts over (new run).
    void append(double time, const std::vector<double>& values);
    void clear();

    double firstTime() const;
    double latestTime() const;
    int bucketCount() const { return int(m_buckets.size()); }
    double bucketSeconds() const { return m_bucketWidth; }
    /// Every point of a series, NaNs left out; a bucket gives its maximum, so spikes survive.
    QList<QPointF> points(int series) const;
    /// The points of a series a chart `columns` pixels wide needs to draw [from, to]: one
    /// point either side of the range so lines reach the edges, and at most one per pixel
    /// column: where several samples (or buckets) share a column, their maximum (a spike is
    /// never averaged away; the MinimumRole keeps the dips for whoever needs them).
    /// `columns` <= 0: no thinning.
    QList<QPointF> points(int series, double from, double to, int columns) const;
    /// Largest value of any series (its buckets' maxima included) in [from, to]; 0 when empty.
    double maxValue(double from, double to) const;
    double maxValue() const;
    /// What the samples take on the heap, about (rows, their cells, the deque's blocks).
    std::size_t memoryBytes() const;

private:
    /// One series in one row: a sample (count 1) or a bucket of samples; count 0 = no value.
    struct Cell {
        double min;
        double max;
        double sum;
        std::uint32_t count;
    };
    struct Row {
        double first = 0; ///< time of the first sample in it
        double last = 0; ///< and of the last one
        std::vector<Cell> cells;
        double time() const { return (first + last) / 2; }
    };
    const Row& row(std::size_t i) const;
    std::size_t rowTotal() const { return m_buckets.size() + m_full.size(); }
    /// The first row whose time is >= t.
    std::size_t lowerBound(double t) const;
    void fold(); ///< moves the samples older than the full span into buckets
    void mergeBuckets(); ///< halves the bucket count by merging neighbours
    static void merge(Row& into, const Row& from);
    double bucketStart(double t) const;

    std::vector<Row> m_buckets;
    std::deque<Row> m_full;
    QStringList m_names;
    double m_fullSeconds = kFullSeconds;
    double m_bucketWidth = kBucketSeconds;
    double m_baseBucketWidth = kBucketSeconds;
    int m_maxBuckets = kMaxBuckets;
};

} // namespace cs::ui
