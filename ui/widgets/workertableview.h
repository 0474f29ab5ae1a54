#pragma once

#include <QTableView>

class QMenu;
class QSortFilterProxyModel;

namespace cs::ui {

class WorkerTableModel;

/// The worker table, sortable on numbers, with a context menu to signal a worker (SIGTERM,
/// SIGKILL), to make that worker crash (chaos only) and to reset a failed slot.
class WorkerTableView : public QTableView {
    Q_OBJECT
public:
    explicit WorkerTableView(WorkerTableModel* model, QWidget* parent = nullptr);

    void setChaos(bool chaos) { m_chaos = chaos; }
    /// The context menu for a row of the view (a proxy index). Caller owns the menu.
    QMenu* buildContextMenu(const QModelIndex& index);
    /// The slot shown at a view row, or 0.
    int slotAt(const QModelIndex& index) const;
    /// The width that shows every column whole, a vertical scroll bar included.
    int fullWidth() const;
    /// The height that shows the header and `rows` rows.
    int heightForRows(int rows) const;

Q_SIGNALS:
    void signalRequested(int slot, int signal);
    void crashRequested(int slot);
    void resetRequested(int slot);

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    WorkerTableModel* m_model;
    QSortFilterProxyModel* m_proxy;
    bool m_chaos = false;
    int m_columnsWidth = 0; ///< every column at the width it was given
};

} // namespace cs::ui
