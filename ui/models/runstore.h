#pragma once

#include "lab/runsummary.h"
#include "load/loadoptions.h"
#include "load/loadsummary.h"
#include "master/clusterconfig.h"
#include "master/snapshot.h"

#include <optional>
#include <vector>

#include <QAbstractListModel>
#include <QDateTime>
#include <QString>

namespace cs::ui {

/// One load run (or lab step) as kept: what ran, what was recorded, and its figures.
struct LabRun {
    QString id; ///< unique; the file's name without its extension
    QDateTime when; ///< when it started
    ClusterConfig cluster;
    std::optional<LoadOptions> load; ///< none: the step sent no load (the crash loop)
    std::vector<Snapshot> snapshots; ///< the first one is the baseline, from just before the load
    std::vector<Event> events;
    std::optional<LoadSummary> loadSummary;
    lab::RunSummary summary; ///< from the three above

    /// "shared · 2 workers · 4 keep-alive conn. · /" (then " · pinned" when it was): what ran, in one line.
    QString label() const;
};

/// The runs kept so far, newest last, and on disk under `directory` (the XDG data
/// directory's runs/ in the window), so they survive a restart; the runs list reads it.
class RunStore : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { IdRole = Qt::UserRole };
    /// Reads the runs stored in `directory` (empty: keeps them in memory only).
    explicit RunStore(const QString& directory, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    QString directory() const { return m_directory; }
    const std::vector<LabRun>& runs() const { return m_runs; }
    const LabRun* find(const QString& id) const;
    int rowOf(const QString& id) const;
    /// Keeps a run (computes its summary, gives it an id, stores it); returns its id.
    QString add(LabRun run);
    /// Forgets these runs and deletes their files.
    void remove(const QStringList& ids);
    /// A problem storing or reading a run: one sentence; empty when none.
    QString lastProblem() const { return m_problem; }

Q_SIGNALS:
    void added(QString id);

private:
    QString m_directory;
    std::vector<LabRun> m_runs;
    QString m_problem;
};

} // namespace cs::ui
