#pragma once

#include <QWidget>

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace cs::ui {

class LogModel;

/// The log: time, slot and event per line, a filter box (any column, case-insensitive),
/// and it follows new lines while scrolled to the bottom.
class LogView : public QWidget {
    Q_OBJECT
public:
    explicit LogView(LogModel* model, QWidget* parent = nullptr);
    QSortFilterProxyModel* proxy() const { return m_proxy; }

private:
    LogModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QLineEdit* m_filter;
    QTableView* m_view;
    bool m_follow = true;
};

} // namespace cs::ui
