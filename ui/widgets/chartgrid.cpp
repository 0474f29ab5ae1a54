#include "widgets/chartgrid.h"

#include <algorithm>
#include <cmath>

#include <QResizeEvent>

namespace cs::ui {

ChartGrid::ChartGrid(QWidget* parent)
    : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void ChartGrid::addChart(QWidget* chart)
{
    chart->setParent(this);
    m_charts.append(chart);
    updateGeometry();
}

QList<ChartGrid::Cell> ChartGrid::arrange(int columns, int width) const
{
    QList<Cell> cells;
    const int n = int(m_charts.size());
    int row = 0;
    for (int i = 0; i < n; row++) {
        const int inRow = std::min(columns, n - i);
        // A short row: with three columns, the first chart keeps a third when that is
        // enough for it and the second spans the rest; otherwise the row is shared evenly.
        QList<double> edges;
        if (inRow == 2 && columns == 3) {
            const int third = (width - 2 * kSpacing) / 3;
            const double split = m_charts[i]->minimumSizeHint().width() <= third
                    && m_charts[i]->minimumWidth() <= third ? 1.0 / 3 : 0.5;
            edges = { 0.0, split, 1.0 };
        } else {
            // Evenly, unless a chart needs more than its share and the others can spare it:
            // then each gets its least width and an even part of what is left.
            const double total = width + kSpacing;
            QList<int> least;
            int sum = 0;
            bool even = true;
            for (int c = 0; c < inRow; ++c) {
                const QWidget* chart = m_charts[i + c];
                least.append(std::max(chart->minimumWidth(), chart->minimumSizeHint().width()) + kSpacing);
                sum += least.back();
                even = even && least.back() <= total / inRow;
            }
            edges.append(0.0);
            if (even || sum > total) {
                for (int c = 1; c <= inRow; ++c)
                    edges.append(double(c) / inRow);
            } else {
                // Whole pixels, each edge half a pixel in, so flooring lands on it.
                const int spare = int(total - sum) / inRow;
                int at = 0;
                for (int c = 0; c < inRow; ++c) {
                    at += least[c] + spare;
                    edges.append((at + 0.5) / total);
                }
                edges.back() = 1.0;
            }
        }
        for (int c = 0; c < inRow; ++c)
            cells.append(Cell { m_charts[i + c], row, edges[c], edges[c + 1] });
        i += inRow;
    }
    // Feasible only if every chart gets at least its minimum width.
    for (const Cell& cell : cells) {
        const int cellWidth = int(std::floor((cell.right - cell.left) * (width + kSpacing))) - kSpacing;
        const int least = std::max(cell.chart->minimumWidth(), cell.chart->minimumSizeHint().width());
        if (cellWidth < least)
            return {};
    }
    return cells;
}

QList<ChartGrid::Cell> ChartGrid::arrangeFor(int width, int* columns) const
{
    for (int c = 3; c > 1; --c) {
        if (QList<Cell> cells = arrange(c, width); !cells.isEmpty()) {
            if (columns)
                *columns = c;
            return cells;
        }
    }
    if (columns)
        *columns = 1;
    return arrange(1, std::max(width, minimumSizeHint().width()));
}

int ChartGrid::heightOf(const QList<Cell>& cells) const
{
    QList<int> rows;
    for (const Cell& cell : cells) {
        while (rows.size() <= cell.row)
            rows.append(0);
        const int least = std::max(cell.chart->minimumHeight(), cell.chart->minimumSizeHint().height());
        rows[cell.row] = std::max(rows[cell.row], least);
    }
    int height = 0;
    for (int h : rows)
        height += h;
    return height + kSpacing * std::max(0, int(rows.size()) - 1);
}

int ChartGrid::heightForWidth(int width) const
{
    return heightOf(arrangeFor(width));
}

QSize ChartGrid::minimumSizeHint() const
{
    // One chart's worth: the height the rows need at a width is heightForWidth's to say
    // (a scroll area asks it), and must not be fixed here at the one-column worst.
    QSize least(0, 0);
    for (QWidget* chart : m_charts)
        least = least.expandedTo(chart->minimumSizeHint().expandedTo(chart->minimumSize()));
    return least;
}

QSize ChartGrid::sizeHint() const
{
    // Three columns of charts a little over their minimum.
    const int width = 3 * (minimumSizeHint().width() + 60) + 2 * kSpacing;
    return { width, heightForWidth(width) + 60 };
}

void ChartGrid::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    const int width = event->size().width();
    const QList<Cell> cells = arrangeFor(width, &m_columns);
    int rows = 0;
    for (const Cell& cell : cells)
        rows = std::max(rows, cell.row + 1);
    if (rows == 0)
        return;
    // The spare height goes to the rows evenly, on top of what each needs.
    QList<int> need(rows, 0);
    for (const Cell& cell : cells)
        need[cell.row] = std::max({ need[cell.row], cell.chart->minimumHeight(), cell.chart->minimumSizeHint().height() });
    int needed = kSpacing * (rows - 1);
    for (int h : need)
        needed += h;
    const int spare = std::max(0, event->size().height() - needed);
    QList<int> top(rows + 1, 0);
    for (int r = 0; r < rows; ++r)
        top[r + 1] = top[r] + need[r] + spare * (r + 1) / rows - spare * r / rows + kSpacing;
    for (const Cell& cell : cells) {
        const int left = int(std::floor(cell.left * (width + kSpacing)));
        const int right = int(std::floor(cell.right * (width + kSpacing))) - kSpacing;
        cell.chart->setGeometry(left, top[cell.row], right - left, top[cell.row + 1] - kSpacing - top[cell.row]);
    }
}

} // namespace cs::ui
