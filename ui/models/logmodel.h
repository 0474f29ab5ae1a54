#pragma once

#include "master/snapshot.h"

#include <deque>

#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace cs::ui {

/// The cluster's events and the workers' output lines, newest last, bounded in memory:
/// past `capacity` lines the oldest are dropped.
class LogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Slot, Kind, Message, ColumnCount };
    enum Role { SlotRole = Qt::UserRole + 1, KindRole };
    static constexpr int kDefaultCapacity = 5000;

    explicit LogModel(int capacity = kDefaultCapacity, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void addEvents(const QList<cs::Event>& events);
    /// A note from the window itself (launch failures, load summaries), at cluster time `time`.
    void addNote(double time, const QString& text);
    void clear();
    int capacity() const { return m_capacity; }

private:
    struct Line {
        double time = 0;
        int slot = 0;
        EventKind kind = EventKind::Log;
        ExitReason reason = ExitReason::None;
        QString text;
    };
    static QString describe(const Event& event);
    void append(std::vector<Line> lines);

    std::deque<Line> m_lines;
    int m_capacity;
};

/// "12:05.3": cluster time as minutes and seconds.
QString formatClusterTime(double seconds);

} // namespace cs::ui
