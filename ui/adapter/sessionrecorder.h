#pragma once

#include "record/recorder.h"
#include "record/recording.h"

#include <memory>

#include <QList>
#include <QObject>
#include <QString>

namespace cs::ui {

/// What the window's cluster did since it started, kept as a Recording (so it can be exported
/// as CSV like a recording file), and, on request, written to a file as it happens (File →
/// Record to file…) through the core's Recorder: the same file `--record` makes headless.
class SessionRecorder : public QObject {
    Q_OBJECT
public:
    explicit SessionRecorder(QObject* parent = nullptr);
    ~SessionRecorder() override;

    /// A new cluster: the session starts afresh with this definition. A file being written is
    /// closed: one recording holds one cluster.
    void begin(const ClusterConfig& config);
    /// The session so far.
    const Recording& session() const { return m_session; }

    /// Writes the session so far to `path` and every snapshot and event from now on. Empty
    /// when started, else one sentence.
    QString startFile(const QString& path);
    void stopFile();
    bool recordingToFile() const { return m_fileOpen; }
    QString filePath() const { return QString::fromStdString(m_file.path()); }

public Q_SLOTS:
    void addSnapshot(const std::shared_ptr<const cs::Snapshot>& snapshot);
    void addEvents(const QList<cs::Event>& events);

Q_SIGNALS:
    /// Writing to the file started (true) or ended (false).
    void fileRecordingChanged(bool recording);
    /// The file could not be written any more (a full disk): one sentence; recording stopped.
    void fileFailed(const QString& message);

private:
    void checkFile();

    Recording m_session;
    Recorder m_file;
    bool m_fileOpen = false; ///< between startFile() and stopFile() or a failed write
    std::uint64_t m_lastSequence = 0;
};

} // namespace cs::ui
