#pragma once

#include "master/snapshot.h"

#include <cstdint>
#include <map>
#include <optional>

#include <QList>
#include <QObject>
#include <QString>

namespace cs::ui {

/// Each worker's share of requests and of accepted connections over a chosen span: the last
/// load run (the default: one lesson at a time, so two runs that each went to a different
/// worker do not read 50/50), or since the cluster started. The one source of the share chart
/// and of the status bar's fairness.
class ShareModel : public QObject {
    Q_OBJECT
public:
    enum class Scope {
        LastLoadRun, ///< since the latest load run (or reset) began; since start before any
        SinceStart,
    };
    struct Row {
        int slot = 0;
        double requestShare = 0; ///< percent of the span's requests
        double connectionShare = 0;
    };

    explicit ShareModel(QObject* parent = nullptr);

    /// The cluster's cumulative counters now.
    void setSnapshot(const Snapshot& snapshot);
    /// A new cluster: no counts, no marks.
    void clear();
    /// The load panel's run begins now: the last-load-run span starts here. Load from
    /// outside the window marks its own runs: requests after kQuietSeconds without any.
    void markLoadRun();
    /// The load panel's run has ended: load seen from now on may be a run from outside.
    void endLoadRun();
    /// The user's reset: the span starts now, whatever ran before.
    void resetNow();
    void setScope(Scope scope);
    Scope scope() const { return m_scope; }
    /// True once a load run (or a reset) has marked where the last span begins.
    bool marked() const { return m_mark != Mark::None; }
    /// What the numbers are over, for titles and the status bar: "last load run", "since reset",
    /// "since start".
    QString scopeText() const;

    QList<Row> rows() const;
    std::uint64_t requests() const; ///< in the span, over every worker
    /// Jain's index over every worker of the cluster (one that got nothing counts as 0);
    /// nullopt before the span's first request, or when requests are not counted.
    std::optional<double> requestFairness() const;
    std::optional<double> connectionFairness() const;

Q_SIGNALS:
    void changed();

private:
    struct Counts {
        std::uint64_t requests = 0;
        std::uint64_t connections = 0;
    };
    enum class Mark { None, LoadRun, Reset };
    Counts spanOf(int slot) const;
    std::optional<double> fairness(bool requests) const;

    static constexpr double kQuietSeconds = 3.0;

    std::map<int, Counts> m_now; ///< by slot, the slots of the latest snapshot
    std::map<int, Counts> m_base; ///< by slot, at the mark
    Mark m_mark = Mark::None;
    Scope m_scope = Scope::LastLoadRun;
    bool m_requestsCounted = true;
    bool m_seen = false; ///< a snapshot has been counted
    std::uint64_t m_lastTotal = 0; ///< requests of the last snapshot, over every worker
    double m_lastActivity = -1; ///< cluster time of the last snapshot that saw new requests
    double m_lastTime = 0; ///< cluster time of the last snapshot
    bool m_panelRun = false; ///< the load panel's run is under way
};

} // namespace cs::ui
