#pragma once

#include <QWidget>

class QAction;
class QLineEdit;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QTableView;

namespace cs::ui {

class LogModel;

/// The log: time, slot and event per line, a filter box (any column, case-insensitive),
/// and it follows new lines while scrolled to the bottom. Rows keep one line each (they
/// stream in by the thousand); the selected line is shown whole, wrapped and selectable,
/// in a pane under the table, and Ctrl+C copies the selected lines.
class LogView : public QWidget {
    Q_OBJECT
public:
    explicit LogView(LogModel* model, QWidget* parent = nullptr);
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    QTableView* table() const { return m_view; }
    /// The selected line as the detail pane shows it (empty when none is selected).
    QString detailText() const;
    /// The selected lines as text, one per line: what Copy puts on the clipboard.
    QString selectedText() const;
    /// The height that shows the filter, the header and `lines` lines (no detail pane).
    int heightForLines(int lines) const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showDetail();
    void fitDetail();
    QString lineText(int proxyRow) const;

    LogModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QLineEdit* m_filter;
    QTableView* m_view;
    QPlainTextEdit* m_detail;
    QAction* m_copy;
    bool m_follow = true;
};

} // namespace cs::ui
