#include "widgets/workertableview.h"

#include "models/workertablemodel.h"

#include <csignal>

#include <QContextMenuEvent>
#include <QHeaderView>
#include <QMenu>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QStyle>

namespace cs::ui {

WorkerTableView::WorkerTableView(WorkerTableModel* model, QWidget* parent)
    : QTableView(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("workerTable"));
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(WorkerTableModel::SortRole);
    // Rows are refreshed every sample: keep the chosen order as values change.
    m_proxy->setDynamicSortFilter(true);
    setModel(m_proxy);
    setSortingEnabled(true);
    sortByColumn(WorkerTableModel::Slot, Qt::AscendingOrder);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setAlternatingRowColors(true);
    setShowGrid(false);
    setWordWrap(false);
    verticalHeader()->hide();
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    // Widths measured once (header text or the widest expected value), not per update:
    // resize-to-contents would relayout the table on every sample. Tight enough that every
    // column shows whole in a 1024-pixel window.
    const QFontMetrics cells = fontMetrics();
    const QFontMetrics headers(horizontalHeader()->font());
    QString longestState;
    for (WorkerState state : { WorkerState::Starting, WorkerState::Online, WorkerState::Draining,
                               WorkerState::BackingOff, WorkerState::Failed, WorkerState::Stopped })
        if (const QString name = QString::fromLatin1(stateName(state));
            cells.horizontalAdvance(name) > cells.horizontalAdvance(longestState))
            longestState = name;
    const QString widest[WorkerTableModel::ColumnCount] = {
        QStringLiteral("#88"), QStringLiteral("4194304"), longestState, QStringLiteral("59 m 59 s"), QStringLiteral("99"),
        QStringLiteral("999999"), QStringLiteral("999999999"), QStringLiteral("9999"), QStringLiteral("100.0 %"),
        QStringLiteral("999.9 MiB"), QStringLiteral("99"),
    };
    const int swatch = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this) + 6;
    for (int c = 0; c < WorkerTableModel::ColumnCount; ++c) {
        const int header = headers.horizontalAdvance(model->headerData(c, Qt::Horizontal).toString()) + 12;
        const int content = cells.horizontalAdvance(widest[c]) + 8 + (c == WorkerTableModel::Slot ? swatch : 0);
        setColumnWidth(c, std::max(header, content));
        m_columnsWidth += std::max(header, content);
    }
    setToolTip(tr("One row per worker slot; right-click a worker to signal it"));
}

int WorkerTableView::fullWidth() const
{
    // Not the header's length: the last section stretches to whatever width the view has.
    return m_columnsWidth + 2 * frameWidth() + verticalScrollBar()->sizeHint().width();
}

int WorkerTableView::heightForRows(int rows) const
{
    return horizontalHeader()->sizeHint().height() + rows * verticalHeader()->defaultSectionSize() + 2 * frameWidth();
}

int WorkerTableView::slotAt(const QModelIndex& index) const
{
    if (!index.isValid())
        return 0;
    return index.model()->data(index.siblingAtColumn(0), WorkerTableModel::SlotRole).toInt();
}

QMenu* WorkerTableView::buildContextMenu(const QModelIndex& index)
{
    const int slot = slotAt(index);
    auto* menu = new QMenu(this);
    const QModelIndex source = m_proxy->mapToSource(index);
    const WorkerSample* worker = m_model->workerAt(source.row());
    const bool alive = worker && worker->pid != 0;

    QAction* term = menu->addAction(tr("Stop worker #%1 gracefully (SIGTERM)").arg(slot));
    term->setObjectName(QStringLiteral("termAction"));
    term->setToolTip(tr("The worker drains and exits; the master respawns it"));
    term->setEnabled(alive);
    connect(term, &QAction::triggered, this, [this, slot] { Q_EMIT signalRequested(slot, SIGTERM); });

    QAction* kill = menu->addAction(tr("Kill worker #%1 (SIGKILL)").arg(slot));
    kill->setObjectName(QStringLiteral("killAction"));
    kill->setToolTip(tr("The worker dies at once, dropping its connections; the master respawns it"));
    kill->setEnabled(alive);
    connect(kill, &QAction::triggered, this, [this, slot] { Q_EMIT signalRequested(slot, SIGKILL); });

    QAction* crash = menu->addAction(tr("Crash worker #%1 (SIGABRT)").arg(slot));
    crash->setObjectName(QStringLiteral("crashAction"));
    crash->setEnabled(m_chaos && alive);
    crash->setToolTip(m_chaos ? tr("The worker aborts as if it had a bug; the master counts a crash and respawns it")
                              : tr("Start the cluster with chaos enabled to use this"));
    connect(crash, &QAction::triggered, this, [this, slot] { Q_EMIT crashRequested(slot); });

    menu->addSeparator();
    QAction* reset = menu->addAction(tr("Reset failed slot #%1").arg(slot));
    reset->setObjectName(QStringLiteral("resetAction"));
    reset->setEnabled(worker && worker->state == WorkerState::Failed);
    connect(reset, &QAction::triggered, this, [this, slot] { Q_EMIT resetRequested(slot); });
    menu->setToolTipsVisible(true);
    return menu;
}

void WorkerTableView::contextMenuEvent(QContextMenuEvent* event)
{
    const QModelIndex index = indexAt(event->pos());
    if (!index.isValid())
        return;
    QMenu* menu = buildContextMenu(index);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(event->globalPos());
}

} // namespace cs::ui
