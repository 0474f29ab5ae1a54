#pragma once

#include "master/snapshot.h"

#include <array>
#include <deque>

#include <QAbstractTableModel>
#include <QList>
#include <QPointF>
#include <QSet>

namespace cs::ui {

/// The exits and respawns since the cluster started, one row each, for the restart
/// timeline: x = cluster time, y = slot. Normal exits (clean, drained, cluster stop) are
/// left out: the timeline is about what went wrong and how the master reacted, and what
/// the user did about it (a reset, and the process it starts).
class EventTimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Category { Crash, ExitCode, KilledByUser, Timeout, Respawn, Failed, SpawnFailed, Reset };
    static constexpr int kCategoryCount = 8;
    enum Column { Time, Slot, What, Detail, ColumnCount };
    enum Role { CategoryRole = Qt::UserRole + 1 };

    explicit EventTimelineModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The most markers kept: a slot in a crash loop for days must not grow without bound
    /// (the oldest go first). Far more than a chart can show apart.
    static constexpr int kCapacity = 100000;
    void setCapacity(int capacity) { m_capacity = capacity; }
    /// Keeps the events that belong on the timeline.
    void addEvents(const QList<cs::Event>& events);
    void clear();
    /// The cluster's slots (the timeline's rows), 1..count; 0 before the first snapshot.
    void setSlotCount(int count) { m_slotCount = count; }
    int slotCount() const { return m_slotCount; }

    /// Which category an event falls in by its kind alone; false when it is not shown. (A
    /// Fork is shown only after a Reset: addEvents() knows the order, this does not.)
    static bool categorize(const Event& event, Category* category);
    static QString categoryName(Category category);

    int count(Category category) const { return m_counts[std::size_t(category)]; }
    QList<QPointF> points(Category category) const;
    /// The markers of a category whose time is in [from, to].
    QList<QPointF> points(Category category, double from, double to) const;

private:
    struct Marker {
        double time = 0;
        int slot = 0;
        Category category = Category::Crash;
        QString detail;
    };
    /// The marker an event makes, if any; tracks which slots were reset and await their fork.
    bool markerFor(const Event& event, Marker* marker);

    std::deque<Marker> m_markers;
    QSet<int> m_awaitingFork; ///< slots reset by the user whose new process has not forked yet
    std::array<int, kCategoryCount> m_counts {};
    int m_capacity = kCapacity;
    int m_slotCount = 0;
};

} // namespace cs::ui
