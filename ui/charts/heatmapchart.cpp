#include "charts/heatmapchart.h"

#include "charts/chartstyle.h"
#include "models/heatmapmodel.h"
#include "models/slotpalette.h"

#include <algorithm>

#include <QHelpEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

namespace cs::ui {

namespace {

constexpr int kMargin = 6;
constexpr int kGap = 4;

QFont smallFont(const QFont& font)
{
    QFont small = font;
    small.setPointSizeF(font.pointSizeF() * 0.85);
    return small;
}

QFont titleFont(const QFont& font)
{
    QFont title = font;
    title.setBold(true);
    return title;
}

} // namespace

HeatMapChart::HeatMapChart(HeatMapModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
{
    setMinimumSize(kMinimumSize);
    setToolTip(tr("Each worker's samples by the CPU core it was seen running on, since the cluster started: "
                  "unpinned workers spread as the kernel moves them, pinned ones stay in one column"));
    // Repaint on the model's own changes too, so a lesson driving the model needs no window.
    connect(model, &HeatMapModel::modelReset, this, [this] { update(); });
    connect(model, &HeatMapModel::dataChanged, this, [this] { update(); });
}

void HeatMapChart::refresh()
{
    update();
}

HeatMapChart::Layout HeatMapChart::layout() const
{
    Layout l;
    const QRect inner = rect().adjusted(kMargin, kMargin / 2, -kMargin, -kMargin / 2);
    const QFontMetrics title(titleFont(font()));
    const QFontMetrics small(smallFont(font()));
    l.title = QRect(inner.left(), inner.top(), inner.width(), title.height() + kGap);
    // The sentence under the grid wraps onto a second line in a narrow chart rather than be cut.
    const int lines = small.horizontalAdvance(m_model->overview()) > inner.width() ? 2 : 1;
    const int overviewHeight = lines * small.height() + kGap;
    const int slots = std::max(m_model->slotCount(), 1);
    const int cores = std::max(m_model->coreCount(), 1);
    // Row labels: a colour chip and "#N".
    const int chip = small.height() / 2 + 2;
    const int labelWidth = chip + 4 + small.horizontalAdvance(QStringLiteral("#%1").arg(slots)) + kGap;
    const int headerHeight = small.height() + 2;
    const int room = inner.bottom() + 1 - (l.title.bottom() + 1) - headerHeight - kGap - overviewHeight;
    l.cellWidth = std::max(1, (inner.width() - labelWidth) / cores);
    // Rows no taller than a comfortable band: two workers do not fill a tall chart with two
    // slabs. The grid and the line under it sit in the middle of what is left.
    l.cellHeight = std::clamp(room / slots, 1, 4 * small.height());
    const int block = headerHeight + l.cellHeight * slots + kGap + overviewHeight;
    const int top = l.title.bottom() + 1 + std::max(0, (inner.bottom() + 1 - (l.title.bottom() + 1) - block) / 2);
    l.columnLabels = QRect(inner.left() + labelWidth, top, l.cellWidth * cores, headerHeight);
    l.grid = QRect(l.columnLabels.left(), l.columnLabels.bottom() + 1, l.cellWidth * cores, l.cellHeight * slots);
    l.rowLabels = QRect(inner.left(), l.grid.top(), labelWidth - kGap, l.grid.height());
    l.overview = QRect(inner.left(), l.grid.bottom() + 1 + kGap, inner.width(), overviewHeight);
    if (m_model->slotCount() == 0) // nothing to draw but the sentence: in the middle
        l.overview.moveTop(inner.top() + (inner.height() - overviewHeight) / 2);
    const int label = small.horizontalAdvance(QStringLiteral("cpu%1").arg(cores - 1)) + small.averageCharWidth();
    l.labelStep = std::max(1, (label + l.cellWidth - 1) / l.cellWidth);
    return l;
}

QRect HeatMapChart::cellRect(int slot, int core) const
{
    if (slot < 1 || slot > m_model->slotCount() || core < 0 || core >= m_model->coreCount())
        return {};
    const Layout l = layout();
    return QRect(l.grid.left() + core * l.cellWidth, l.grid.top() + (slot - 1) * l.cellHeight, l.cellWidth,
                 l.cellHeight);
}

QString HeatMapChart::overviewText() const
{
    return m_model->overview();
}

QString HeatMapChart::toolTipAt(const QPoint& pos) const
{
    const Layout l = layout();
    if (m_model->slotCount() > 0 && l.cellHeight > 0) {
        const int slot = (pos.y() - l.grid.top()) / l.cellHeight + 1;
        const bool inRows = pos.y() >= l.grid.top() && slot >= 1 && slot <= m_model->slotCount();
        if (inRows && l.grid.contains(pos)) {
            const int core = (pos.x() - l.grid.left()) / l.cellWidth;
            return m_model->data(m_model->index(slot - 1, core), Qt::ToolTipRole).toString();
        }
        if (inRows && l.rowLabels.contains(pos))
            return m_model->summary(slot);
    }
    return toolTip();
}

bool HeatMapChart::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        QToolTip::showText(help->globalPos(), toolTipAt(help->pos()), this);
        return true;
    }
    return QWidget::event(event);
}

void HeatMapChart::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette& pal = palette();
    // The frame the Qt charts beside it have (chartstyle: base colour, mid border, round 4).
    p.setPen(QPen(pal.color(QPalette::Mid), 1));
    p.setBrush(pal.color(QPalette::Base));
    p.drawRoundedRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);

    const Layout l = layout();
    p.setFont(titleFont(font()));
    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(l.title, Qt::AlignHCenter | Qt::AlignVCenter, tr("Where each worker ran"));

    const QFont small = smallFont(font());
    const QFontMetrics metrics(small);
    p.setFont(small);
    p.setPen(pal.color(QPalette::Text));
    p.drawText(l.overview, Qt::AlignHCenter | Qt::AlignVCenter | Qt::TextWordWrap, m_model->overview());

    const int slots = m_model->slotCount();
    const int cores = m_model->coreCount();
    if (slots == 0 || cores == 0)
        return;

    for (int core = 0; core < cores; core += l.labelStep) {
        const QRect column(l.grid.left() + core * l.cellWidth, l.columnLabels.top(), l.cellWidth * l.labelStep,
                           l.columnLabels.height());
        p.drawText(column.intersected(l.columnLabels), Qt::AlignLeft | Qt::AlignVCenter,
                   QStringLiteral(" cpu%1").arg(core));
    }
    const int chip = metrics.height() / 2 + 2;
    // Every row labelled while labels fit; else every n-th, as the restart timeline does.
    const int rowStep = std::max(1, (metrics.height() + l.cellHeight - 1) / std::max(l.cellHeight, 1));
    for (int slot = 1; slot <= slots; slot += rowStep) {
        const QRect row(l.rowLabels.left(), l.grid.top() + (slot - 1) * l.cellHeight, l.rowLabels.width(), l.cellHeight);
        const QRect label = QRect(row.left(), row.center().y() - metrics.height() / 2, row.width(), metrics.height());
        p.setPen(Qt::NoPen);
        p.setBrush(slotColor(slot));
        p.drawRoundedRect(QRect(label.left(), label.center().y() - chip / 2, chip, chip), 2, 2);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(label.adjusted(chip + 4, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("#%1").arg(slot));
    }

    QColor hatch = pal.color(QPalette::Text);
    hatch.setAlpha(60);
    QColor emptyLine = pal.color(QPalette::Text);
    emptyLine.setAlpha(30);
    for (int slot = 1; slot <= slots; ++slot) {
        const bool restricted = !m_model->allowedCpus(slot).isEmpty() && m_model->allowedCpus(slot).size() < cores;
        for (int core = 0; core < cores; ++core) {
            const QModelIndex index = m_model->index(slot - 1, core);
            const QRect cell = cellRect(slot, core).adjusted(0, 0, -1, -1);
            const double share = index.data(HeatMapModel::ShareRole).toDouble();
            const bool seen = index.data(HeatMapModel::CountRole).toInt() > 0;
            const QColor fill = heatColor(pal, seen ? share : 0.0);
            p.setPen(QPen(emptyLine, 1));
            p.setBrush(fill);
            p.drawRect(cell);
            const bool allowed = index.data(HeatMapModel::AllowedRole).toBool();
            if (restricted && !allowed)
                p.fillRect(cell, QBrush(hatch, Qt::BDiagPattern));
            if (restricted && allowed) {
                // Where the worker is held: outlined, so a pinned worker's one column reads as chosen.
                p.setPen(QPen(pal.color(QPalette::Text), 2));
                p.setBrush(Qt::NoBrush);
                p.drawRect(cell.adjusted(1, 1, -1, -1));
            }
            const QString text = index.data(Qt::DisplayRole).toString();
            if (seen && metrics.horizontalAdvance(text) + 4 <= cell.width() && metrics.height() <= cell.height()) {
                p.setPen(textOn(pal, fill));
                p.drawText(cell, Qt::AlignCenter, text);
            }
        }
    }
}

} // namespace cs::ui
