#pragma once

#include <QSize>
#include <QWidget>

namespace cs::ui {

class HeatMapModel;

/// Where each worker ran: a grid of worker slots (rows, with their colour) by CPU cores
/// (columns), each cell tinted by the share of the worker's samples seen on that core and
/// labelled "58 %" where it fits; cells a restricted worker may not use are hatched and the
/// CPUs it is pinned to are outlined. A line under the grid sums it up ("2 of 2 workers
/// moved between cores"); a cell's tooltip says its worker's story. Qt Charts has no heat
/// map, so it is painted here.
class HeatMapChart : public QWidget {
    Q_OBJECT
public:
    explicit HeatMapChart(HeatMapModel* model, QWidget* parent = nullptr);

    /// Paints what the model holds now.
    void refresh();

    /// Narrower than the time charts: it shares a row with them and the share chart (260) in
    /// the 650 pixels a 1024-pixel window has for three charts; two cores' cells still read.
    static constexpr QSize kMinimumSize { 160, 150 };
    QSize minimumSizeHint() const override { return kMinimumSize; }
    QSize sizeHint() const override { return { 320, 220 }; }

    /// Where a cell is drawn, in the widget's pixels (for tests); empty for none.
    QRect cellRect(int slot, int core) const;
    /// The text under the grid.
    QString overviewText() const;
    /// The tooltip at a point, as a help event would show it.
    QString toolTipAt(const QPoint& pos) const;

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Layout {
        QRect title;
        QRect grid; ///< the cells, header and row labels excluded
        QRect columnLabels;
        QRect rowLabels;
        QRect overview;
        int cellWidth = 0;
        int cellHeight = 0;
        int labelStep = 1; ///< a column label every labelStep cores
    };
    Layout layout() const;

    HeatMapModel* m_model;
};

} // namespace cs::ui
