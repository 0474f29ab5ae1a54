#include "adapter/replayadapter.h"

#include "models/clustermodels.h"

#include <algorithm>

#include <QList>
#include <QTimer>

namespace cs::ui {

namespace {
constexpr int kTickMs = 100; // ten steps a second: smooth enough for snapshots every 500 ms
}

ReplayAdapter::ReplayAdapter(ClusterModels* models, QObject* parent)
    : QObject(parent)
    , m_models(models)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(kTickMs);
    connect(m_timer, &QTimer::timeout, this, &ReplayAdapter::tick);
}

ReplayAdapter::~ReplayAdapter() = default;

QString ReplayAdapter::open(const QString& path)
{
    auto read = readRecording(path.toStdString());
    if (auto* error = std::get_if<RecordingError>(&read))
        return QString::fromStdString(error->message);
    auto recording = std::make_unique<Recording>(std::get<Recording>(std::move(read)));
    if (recording->snapshots.empty() && recording->events.empty())
        return tr("The recording %1 holds nothing yet: no snapshot or event was recorded in it.").arg(path);
    setPlaying(false);
    const bool wasActive = active();
    m_recording = std::move(recording);
    m_path = path;
    const Recording& r = *m_recording;
    m_start = r.snapshots.empty() ? r.events.front().time : r.snapshots.front().clusterUptimeSeconds;
    m_end = r.snapshots.empty() ? 0 : r.snapshots.back().clusterUptimeSeconds;
    for (const Event& e : r.events) {
        m_start = std::min(m_start, e.time);
        m_end = std::max(m_end, e.time);
    }
    m_start = std::max(0.0, m_start);
    restart();
    if (!wasActive)
        Q_EMIT activeChanged(true);
    // It opens on the whole run, every chart drawn to its end; Play starts it over.
    seek(m_end);
    return {};
}

void ReplayAdapter::close()
{
    if (!active())
        return;
    setPlaying(false);
    m_recording.reset();
    m_path.clear();
    m_models->setRunning(false);
    Q_EMIT activeChanged(false);
}

QString ReplayAdapter::note() const
{
    return m_recording ? QString::fromStdString(m_recording->note) : QString();
}

void ReplayAdapter::seek(double seconds)
{
    if (!active())
        return;
    seconds = std::clamp(seconds, m_start, std::max(m_start, m_end));
    if (seconds < m_position)
        restart();
    applyUpTo(seconds);
    m_position = seconds;
    Q_EMIT positionChanged(m_position);
}

void ReplayAdapter::setPlaying(bool playing)
{
    playing = playing && active();
    if (playing == m_playing)
        return;
    // Play at the end starts over.
    if (playing && m_position >= m_end)
        seek(m_start);
    m_playing = playing;
    if (playing) {
        m_clock.start();
        m_timer->start();
    } else {
        m_timer->stop();
    }
    Q_EMIT playingChanged(m_playing);
}

void ReplayAdapter::setSpeed(double speed)
{
    if (speed > 0)
        m_speed = speed;
}

void ReplayAdapter::restart()
{
    m_models->setRunning(true); // everything afresh, as when a cluster starts
    m_nextSnapshot = 0;
    m_nextEvent = 0;
    m_position = -1;
}

void ReplayAdapter::applyUpTo(double seconds)
{
    const Recording& r = *m_recording;
    // In the order they happened: a snapshot's events before it, then the snapshot.
    auto eventsUpTo = [&](double t) {
        QList<Event> batch;
        while (m_nextEvent < r.events.size() && r.events[m_nextEvent].time <= t)
            batch.append(r.events[m_nextEvent++]);
        if (!batch.isEmpty())
            m_models->apply(batch);
    };
    while (m_nextSnapshot < r.snapshots.size() && r.snapshots[m_nextSnapshot].clusterUptimeSeconds <= seconds) {
        eventsUpTo(r.snapshots[m_nextSnapshot].clusterUptimeSeconds);
        m_models->apply(std::make_shared<const Snapshot>(r.snapshots[m_nextSnapshot++]));
    }
    eventsUpTo(seconds);
}

void ReplayAdapter::tick()
{
    const double elapsed = m_clock.restart() / 1000.0;
    const double next = std::min(m_end, m_position + elapsed * m_speed);
    seek(next);
    if (next >= m_end)
        setPlaying(false);
}

} // namespace cs::ui
