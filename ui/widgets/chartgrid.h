#pragma once

#include <QList>
#include <QWidget>

namespace cs::ui {

/// The charts, laid out in as many columns as the width holds (three, two or one) so that
/// none is squeezed below its minimum size: row after row, the last chart of an odd row
/// spanning the rest. With three columns a row of two charts gives the first a third of the
/// width when that is enough for it, else both take half; a full row is shared evenly, or,
/// when one chart needs more than its share, by each chart's least width plus an even part
/// of the rest. It reports
/// the height its rows need for a width (heightForWidth), so a scroll area around it
/// scrolls instead of squeezing the charts when the window is short.
class ChartGrid : public QWidget {
    Q_OBJECT
public:
    explicit ChartGrid(QWidget* parent = nullptr);

    /// Appends a chart (the grid takes it as a child); order is reading order.
    void addChart(QWidget* chart);
    /// Columns used at the current width.
    int columns() const { return m_columns; }

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

    static constexpr int kSpacing = 6;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Cell {
        QWidget* chart;
        int row;
        double left; ///< fraction of the width
        double right;
    };
    /// Where each chart goes with `columns` columns; empty when some chart would not fit `width`.
    QList<Cell> arrange(int columns, int width) const;
    /// The arrangement for a width: the most columns that fit.
    QList<Cell> arrangeFor(int width, int* columns = nullptr) const;
    int heightOf(const QList<Cell>& cells) const;

    QList<QWidget*> m_charts;
    int m_columns = 0;
};

} // namespace cs::ui
