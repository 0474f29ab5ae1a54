#pragma once

#include "master/snapshot.h"

#include <array>
#include <deque>

#include <QAbstractTableModel>
#include <QList>
#include <QPointF>

namespace cs::ui {

/// The exits and respawns of the last window (60 s), one row each, for the restart
/// timeline: x = cluster time, y = slot. Normal exits (clean, drained, cluster stop) are
/// left out: the timeline is about what went wrong and how the master reacted.
class EventTimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Category { Crash, ExitCode, KilledByUser, Timeout, Respawn, Failed, SpawnFailed };
    static constexpr int kCategoryCount = 7;
    enum Column { Time, Slot, What, Detail, ColumnCount };
    enum Role { CategoryRole = Qt::UserRole + 1 };

    explicit EventTimelineModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setWindowSeconds(double seconds) { m_window = seconds; }
    /// Keeps the events that belong on the timeline.
    void addEvents(const QList<cs::Event>& events);
    /// Drops markers older than `now` minus the window.
    void slideTo(double now);
    void clear();

    /// Which category an event falls in; false when it is not shown.
    static bool categorize(const Event& event, Category* category);
    static QString categoryName(Category category);

    int count(Category category) const { return m_counts[std::size_t(category)]; }
    QList<QPointF> points(Category category) const;

private:
    struct Marker {
        double time = 0;
        int slot = 0;
        Category category = Category::Crash;
        QString detail;
    };
    std::deque<Marker> m_markers;
    std::array<int, kCategoryCount> m_counts {};
    double m_window = 60.0;
};

} // namespace cs::ui
