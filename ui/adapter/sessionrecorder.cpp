#include "adapter/sessionrecorder.h"

namespace cs::ui {

namespace {
/// About 14 hours at a snapshot every 500 ms; older snapshots give way (the file keeps all).
constexpr std::size_t kMaxSnapshots = 100'000;
constexpr std::size_t kMaxEvents = 100'000;
}

SessionRecorder::SessionRecorder(QObject* parent)
    : QObject(parent)
{
}

SessionRecorder::~SessionRecorder() = default;

void SessionRecorder::begin(const ClusterConfig& config)
{
    stopFile();
    m_session = {};
    m_session.header.started = isoTimeNow();
    m_session.header.cluster = config;
    m_lastSequence = 0;
}

QString SessionRecorder::startFile(const QString& path)
{
    stopFile();
    const std::string error = m_file.open(path.toStdString(), m_session.header);
    if (!error.empty())
        return QString::fromStdString(error);
    // What came before, in the order it happened, then the live lines follow.
    std::size_t next = 0;
    for (const Snapshot& s : m_session.snapshots) {
        for (; next < m_session.events.size() && m_session.events[next].time <= s.clusterUptimeSeconds; ++next)
            m_file.append(m_session.events[next]);
        m_file.append(s);
    }
    for (; next < m_session.events.size(); ++next)
        m_file.append(m_session.events[next]);
    m_fileOpen = true;
    Q_EMIT fileRecordingChanged(true);
    checkFile();
    return {};
}

void SessionRecorder::stopFile()
{
    if (!m_fileOpen)
        return;
    m_fileOpen = false;
    m_file.close();
    Q_EMIT fileRecordingChanged(false);
}

void SessionRecorder::addSnapshot(const std::shared_ptr<const Snapshot>& snapshot)
{
    // The adapter may hand the same snapshot twice (a stop, a coalesced call): once is enough.
    if (!snapshot || (snapshot->sequence == m_lastSequence && !m_session.snapshots.empty()))
        return;
    m_lastSequence = snapshot->sequence;
    if (m_session.snapshots.size() >= kMaxSnapshots)
        m_session.snapshots.erase(m_session.snapshots.begin(), m_session.snapshots.begin() + kMaxSnapshots / 10);
    m_session.snapshots.push_back(*snapshot);
    if (m_file.recording()) {
        m_file.append(*snapshot);
        checkFile();
    }
}

void SessionRecorder::addEvents(const QList<Event>& events)
{
    if (m_session.events.size() + std::size_t(events.size()) > kMaxEvents)
        m_session.events.erase(m_session.events.begin(), m_session.events.begin() + kMaxEvents / 10);
    for (const Event& e : events) {
        m_session.events.push_back(e);
        m_file.append(e);
    }
    checkFile();
}

void SessionRecorder::checkFile()
{
    // The Recorder stops by itself when a write fails: said once, here.
    if (!m_fileOpen || m_file.recording())
        return;
    m_fileOpen = false;
    Q_EMIT fileRecordingChanged(false);
    Q_EMIT fileFailed(QString::fromStdString(m_file.note()));
}

} // namespace cs::ui
