#pragma once

#include "lab/lesson.h"

#include <QDialog>
#include <QHash>
#include <QStringList>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QListView;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTabWidget;

namespace cs::ui {

class ClusterAdapter;
class ComparisonModel;
class ComparisonView;
class LabSequencer;
class LauncherPanel;
class LoadAdapter;
class RunRecorder;
class RunStore;

/// The lab, a window of its own beside the monitor: Lessons (each sets up a cluster and a
/// load, runs, and ends with a verdict from what this machine measured), Compare policies
/// (one load against each chosen policy in turn, then the comparison), and Runs (every load
/// run kept, on disk; select some to compare them side by side, or delete them). One
/// sequencer runs the steps one after another; the progress bar at the bottom shows the
/// step and the time left, with Cancel.
class LabWindow : public QDialog {
    Q_OBJECT
public:
    enum class Page { Lessons, Compare, Runs };

    /// `runsDirectory`: where runs are kept (empty: in memory only).
    LabWindow(ClusterAdapter* cluster, LoadAdapter* load, LauncherPanel* launcher, const QString& runsDirectory,
              QWidget* parent = nullptr);

    RunStore* store() const { return m_store; }
    RunRecorder* recorder() const { return m_recorder; }
    LabSequencer* sequencer() const { return m_sequencer; }
    ComparisonModel* comparison() const { return m_comparison; }
    ComparisonView* comparisonView() const { return m_comparisonView; }
    /// The shown lesson's runs, compared under its verdict.
    ComparisonModel* lessonComparison() const { return m_lessonComparison; }
    /// The default runs directory: runs/ under the XDG data directory of the application.
    static QString defaultRunsDirectory();

    void showPage(Page page);
    /// Selects these runs in the runs list (the comparison follows the selection).
    void selectRuns(const QStringList& ids);
    /// Runs lesson `id`; empty when it started, else why not.
    QString runLesson(const QString& id);
    /// Runs the compare-policies form as filled; empty when it started, else why not.
    QString runComparison();
    QString verdictText() const;
    /// The comparison form, for tests: policies to run, workers, connections, seconds, keep-alive, path.
    void setComparisonForm(const QList<Policy>& policies, int workers, int connections, int seconds, bool keepAlive,
                           const QString& path);

Q_SIGNALS:
    /// A lesson ended with its verdict.
    void lessonJudged(QString id, bool asExpected, QString text);
    /// A policy comparison ended (completed or not).
    void comparisonDone(QStringList runIds, bool completed);

private:
    QWidget* buildLessons();
    QWidget* buildCompare();
    QWidget* buildRuns();
    void showLesson(int row);
    void showVerdict(bool asExpected, const QString& text);
    void showLessonRuns(const QStringList& ids);
    void onProgress(int step, int steps, const QString& label, int secondsLeft, double fraction);
    void onFinished(const QStringList& runIds, bool completed, const QString& message);
    void compareSelection();
    void setBusy(bool busy);
    QString startSteps(const std::vector<lab::LessonStep>& steps);

    ClusterAdapter* m_cluster;
    LoadAdapter* m_load;
    LauncherPanel* m_launcher;
    RunStore* m_store;
    RunRecorder* m_recorder;
    LabSequencer* m_sequencer;
    ComparisonModel* m_comparison;
    ComparisonModel* m_lessonComparison; ///< the runs of the lesson shown, under its verdict
    std::vector<lab::Lesson> m_lessons;

    QTabWidget* m_tabs;
    // Lessons
    QListWidget* m_lessonList;
    QLabel* m_lessonTitle;
    QLabel* m_lessonText;
    QPushButton* m_runLesson;
    QLabel* m_verdict;
    QPushButton* m_lessonRuns;
    QString m_verdictPlain;
    QString m_runningLesson; ///< the lesson the sequencer runs; empty for a comparison
    QHash<QString, std::pair<bool, QString>> m_verdicts; ///< by lesson id: as expected, and the text
    QHash<QString, QStringList> m_lessonRunIds; ///< by lesson id: the runs of its last verdict
    // Compare
    QList<QCheckBox*> m_policies;
    QSpinBox* m_workers;
    QSpinBox* m_connections;
    QSpinBox* m_seconds;
    QRadioButton* m_keepAlive;
    QRadioButton* m_newConnection;
    QComboBox* m_path;
    QPushButton* m_runCompare;
    QLabel* m_compareNote;
    // Runs
    QListView* m_runList;
    QPushButton* m_deleteRuns;
    ComparisonView* m_comparisonView;
    ComparisonView* m_lessonView; ///< under the verdict; hidden for a lesson that sends no load
    // Progress
    QWidget* m_progressRow;
    QLabel* m_progressText;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
};

} // namespace cs::ui
