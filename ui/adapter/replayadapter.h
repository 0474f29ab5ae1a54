#pragma once

#include "record/recording.h"

#include <memory>

#include <QElapsedTimer>
#include <QObject>
#include <QString>

class QTimer;

namespace cs::ui {

class ClusterModels;

/// Plays a recording into the window: its snapshots and events go through
/// ClusterModels::apply, the one place data enters the models, as the live cluster's do, so
/// every chart, the table, the log and the status bar show the recording as it was at the
/// position. Forward it applies what comes next; backward it starts the models afresh and
/// applies everything up to the position again.
class ReplayAdapter : public QObject {
    Q_OBJECT
public:
    explicit ReplayAdapter(ClusterModels* models, QObject* parent = nullptr);
    ~ReplayAdapter() override;

    /// Reads `path` and shows it whole (the position at its end). One sentence on failure
    /// (nothing changes then). A recording cut off mid-line opens; note() says so.
    QString open(const QString& path);
    /// Ends the replay; the models keep its last picture, as after a stop.
    void close();
    bool active() const { return m_recording != nullptr; }
    QString path() const { return m_path; }
    /// The recording's note (cut off mid-line); empty when none.
    QString note() const;
    const Recording* recording() const { return m_recording.get(); }

    /// Cluster time, in seconds, of the recording's first and last moments.
    double start() const { return m_start; }
    double end() const { return m_end; }
    double position() const { return m_position; }
    bool playing() const { return m_playing; }
    double speed() const { return m_speed; }

public Q_SLOTS:
    /// Shows the recording as it was at cluster time `seconds` (clamped to start..end).
    void seek(double seconds);
    void setPlaying(bool playing);
    void setSpeed(double speed);

Q_SIGNALS:
    void activeChanged(bool active);
    void positionChanged(double seconds);
    void playingChanged(bool playing);

private:
    void restart(); ///< models afresh, nothing applied
    void applyUpTo(double seconds);
    void tick();

    ClusterModels* m_models;
    std::unique_ptr<Recording> m_recording;
    QString m_path;
    std::size_t m_nextSnapshot = 0;
    std::size_t m_nextEvent = 0;
    double m_start = 0;
    double m_end = 0;
    double m_position = 0;
    bool m_playing = false;
    double m_speed = 1;
    QTimer* m_timer;
    QElapsedTimer m_clock;
};

} // namespace cs::ui
