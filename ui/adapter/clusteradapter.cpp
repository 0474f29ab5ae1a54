#include "adapter/clusteradapter.h"

#include "cli/handover.h"
#include "cli/report.h"
#include "control/client.h"
#include "control/clustercommands.h"
#include "control/controlserver.h"
#include "export/metricsserver.h"
#include "export/prometheus.h"
#include "messages/wording.h"

#include <chrono>
#include <csignal>

#include <unistd.h>

#include <QMetaObject>
#include <QMetaType>

namespace cs::ui {

void registerMetaTypes()
{
    qRegisterMetaType<cs::Event>("cs::Event");
    qRegisterMetaType<QList<cs::Event>>("QList<cs::Event>");
    qRegisterMetaType<std::shared_ptr<const cs::Snapshot>>("std::shared_ptr<const cs::Snapshot>");
    qRegisterMetaType<cs::ClusterConfig>("cs::ClusterConfig");
}

ClusterAdapter::ClusterAdapter(QObject* parent)
    : QObject(parent)
    , m_cluster(std::make_unique<Cluster>())
{
    registerMetaTypes();
}

ClusterAdapter::~ClusterAdapter()
{
    if (m_client)
        m_client->detach(); // its thread ends: nothing is posted to this object after
    // Destroying the Cluster stops it fast and joins the master thread, so no notifier call
    // can race with this object's destruction; queued calls die with the QObject.
    stopMetrics(false); // no signal: the window that listens may be half destroyed
    stopControl();
    m_cluster.reset();
}

bool ClusterAdapter::running() const
{
    if (m_client)
        return m_running;
    return m_cluster && m_cluster->running();
}

std::shared_ptr<const Snapshot> ClusterAdapter::snapshot() const
{
    if (m_client) {
        static const auto none = std::make_shared<const Snapshot>();
        return m_lastAttached ? m_lastAttached : none;
    }
    return m_cluster->snapshot();
}

QString ClusterAdapter::attach(const QString& path)
{
    if (running())
        return tr("A cluster is running in this window; stop it or detach before attaching to another.");
    auto client = std::make_unique<control::ControlClient>();
    // The client's thread: keep what came, post one delivery at a time.
    auto post = [this] {
        if (!m_pending.exchange(true))
            QMetaObject::invokeMethod(this, &ClusterAdapter::deliverAttached, Qt::QueuedConnection);
    };
    const std::string error = client->attach(
        path.toStdString(),
        { .snapshot = [this, post](std::shared_ptr<const Snapshot> s) {
              std::lock_guard lock(m_attachedMutex);
              m_attachedSnapshot = std::move(s);
              post();
          },
          .events = [this, post](std::vector<Event> events) {
              std::lock_guard lock(m_attachedMutex);
              m_attachedEvents.insert(m_attachedEvents.end(), events.begin(), events.end());
              post();
          },
          .refused = [this, post](std::string message) {
              std::lock_guard lock(m_attachedMutex);
              m_attachedMessages.push_back(tr("The cluster refused: %1").arg(QString::fromStdString(message)).toStdString());
              post();
          },
          .closed = [this, post](std::string why) {
              std::lock_guard lock(m_attachedMutex);
              m_attachedMessages.push_back(tr("The attached cluster is gone: %1.").arg(QString::fromStdString(why)).toStdString());
              m_attachedClosed = true;
              post();
          } });
    if (!error.empty())
        return QString::fromStdString(error);
    m_client = std::move(client);
    m_attachedName = QString::fromStdString(m_client->name());
    m_config = ClusterConfig {}; // not ours: nothing of the launcher's applies
    m_lastSequence = ~std::uint64_t(0);
    setRunning(true);
    return {};
}

void ClusterAdapter::detach()
{
    if (!m_client)
        return;
    m_client->detach();
    setRunning(false);
    m_client.reset();
    m_lastAttached.reset();
    m_attachedName.clear();
    std::lock_guard lock(m_attachedMutex);
    m_attachedSnapshot.reset();
    m_attachedEvents.clear();
    m_attachedMessages.clear();
    m_attachedClosed = false;
}

void ClusterAdapter::deliverAttached()
{
    m_pending.store(false);
    if (!m_client)
        return;
    std::shared_ptr<const Snapshot> snap;
    std::vector<Event> taken;
    std::vector<std::string> messages;
    bool closed = false;
    {
        std::lock_guard lock(m_attachedMutex);
        snap = std::move(m_attachedSnapshot);
        taken.swap(m_attachedEvents);
        messages.swap(m_attachedMessages);
        closed = m_attachedClosed;
    }
    if (!taken.empty())
        Q_EMIT eventsArrived(QList<cs::Event>(taken.begin(), taken.end()));
    if (snap && snap->sequence != m_lastSequence) {
        m_lastSequence = snap->sequence;
        m_lastAttached = snap;
        Q_EMIT snapshotReady(snap);
    }
    if (closed) {
        m_attachedGone = true;
        detach();
        m_attachedGone = false;
    }
    for (const std::string& message : messages)
        Q_EMIT attachedMessage(QString::fromStdString(message));
}

void ClusterAdapter::start(const cs::ClusterConfig& config)
{
    if (m_client) {
        Q_EMIT launchFailed(tr("This window is attached to cluster %1; detach before starting one.").arg(m_attachedName),
                            int(ConfigField::None));
        return;
    }
    if (m_cluster->running()) {
        Q_EMIT launchFailed(tr("The cluster is already running; stop it before starting it again."), int(ConfigField::None));
        return;
    }
    // A fresh Cluster per run: the previous one has stopped, and its counters and event
    // queue must not leak into the new run.
    stopMetrics();
    stopControl();
    m_cluster = std::make_unique<Cluster>();
    m_cluster->setNotifier([this] {
        // Master thread: post at most one delivery at a time; deliver() takes everything.
        if (!m_pending.exchange(true))
            QMetaObject::invokeMethod(this, &ClusterAdapter::deliver, Qt::QueuedConnection);
    });
    m_lastSequence = ~std::uint64_t(0);
    const Cluster::StartResult result = m_cluster->start(config);
    if (!result.ok) {
        Q_EMIT launchFailed(QString::fromStdString(result.error), int(result.field));
        return;
    }
    m_config = config;
    setRunning(true);
    startMetrics();
    startControl();
}

// `clusterscope ctl` reaches the window's cluster as it reaches a headless one. A failure
// (another cluster of that name) costs the window nothing but this socket.
void ClusterAdapter::startControl()
{
    m_control = std::make_unique<control::ControlServer>();
    Cluster* cluster = m_cluster.get();
    const std::string name = std::to_string(cluster->snapshot()->port);
    const std::string error = m_control->start(
        name, control::socketPath(name),
        { .snapshotJson = [cluster] { return snapshotJson(*cluster->snapshot()); },
          .command = [cluster](const control::Request& request) {
              return control::carryOut(*cluster, request, { .stop = [cluster] { cluster->stop(Cluster::StopMode::Graceful); },
                                                            .restart = [cluster] { cluster->rollingRestart(); } });
          },
          .note = {} },
        std::chrono::milliseconds(m_config.sampleIntervalMs > 0 ? m_config.sampleIntervalMs : 500));
    if (!error.empty()) {
        m_control.reset();
        return;
    }
    m_controlSocket = QString::fromStdString(m_control->path());
}

void ClusterAdapter::stopControl()
{
    if (!m_control)
        return;
    m_control->stop();
    m_control.reset();
    m_controlSocket.clear();
}

void ClusterAdapter::startMetrics()
{
    if (m_metricsPort < 0 || m_metricsPort > 65535)
        return;
    m_metrics = std::make_unique<MetricsServer>();
    // The server's own thread renders each scrape from the newest snapshot; Cluster::snapshot()
    // is thread-safe and the cluster outlives the server (stopMetrics() comes first).
    Cluster* cluster = m_cluster.get();
    const std::string error = m_metrics->start("127.0.0.1", std::uint16_t(m_metricsPort),
                                               [cluster] { return formatPrometheus(*cluster->snapshot()); });
    if (!error.empty()) {
        m_metrics.reset();
        Q_EMIT metricsFailed(QString::fromStdString(error));
        return;
    }
    m_metricsUrl = QString::fromStdString(httpUrl("127.0.0.1", m_metrics->port(), "/metrics"));
    Q_EMIT metricsUrlChanged(m_metricsUrl);
}

void ClusterAdapter::stopMetrics(bool notify)
{
    if (!m_metrics)
        return;
    m_metrics->stop();
    m_metrics.reset();
    m_metricsUrl.clear();
    if (notify)
        Q_EMIT metricsUrlChanged(QString());
}

void ClusterAdapter::stop()
{
    if (m_client) {
        m_client->send(control::request::Stop {});
        return;
    }
    if (m_cluster->running())
        m_cluster->stop(Cluster::StopMode::Graceful);
}

QString ClusterAdapter::masterProgram() const
{
    return m_masterProgram.isEmpty() ? QString::fromStdString(defaultMasterProgram()) : m_masterProgram;
}

QString ClusterAdapter::leaveRunning()
{
    if (m_client || !m_cluster->running())
        return tr("No cluster of this window runs, so none can be left running.");
    const auto snapshot = m_cluster->snapshot();
    ClusterConfig config = m_config;
    config.workers = int(snapshot->workers.size()); // as scaled since the start
    const std::string name = std::to_string(snapshot->port);
    const int listener = m_cluster->duplicateListener();
    stopControl(); // the new master opens NAME.sock under the same name
    const Handover handover = continueHeadless(config, snapshot->port, listener, name,
                                               masterProgram().toStdString(),
                                               std::chrono::seconds(15));
    if (listener >= 0)
        ::close(listener);
    if (handover.pid < 0) {
        startControl();
        return QString::fromStdString(handover.error);
    }
    m_leftName = QString::fromStdString(handover.name);
    m_leftPid = handover.pid;
    stopMetrics();
    m_cluster->stop(Cluster::StopMode::Graceful); // drains: what it had accepted is answered
    return {};
}

bool ClusterAdapter::shutdown(int timeoutMs)
{
    if (m_client) {
        detach(); // not ours to stop: it goes on running
        return true;
    }
    if (!m_cluster->running())
        return true;
    m_cluster->stop(Cluster::StopMode::Graceful);
    const auto half = std::chrono::milliseconds(timeoutMs / 2);
    if (m_cluster->waitStopped(half))
        return true;
    m_cluster->stop(Cluster::StopMode::Fast);
    return m_cluster->waitStopped(half);
}

void ClusterAdapter::rollingRestart()
{
    if (m_client) {
        m_client->send(control::request::Restart {});
        return;
    }
    if (m_cluster->running())
        m_cluster->rollingRestart();
}

void ClusterAdapter::scaleUp()
{
    if (m_client) {
        if (m_lastAttached)
            m_client->send(control::request::Scale { int(m_lastAttached->workers.size()) + 1 });
        return;
    }
    if (m_cluster->running())
        m_cluster->addWorker();
}

void ClusterAdapter::scaleDown()
{
    if (m_client) {
        if (m_lastAttached && m_lastAttached->workers.size() > 1)
            m_client->send(control::request::Scale { int(m_lastAttached->workers.size()) - 1 });
        return;
    }
    if (m_cluster->running())
        m_cluster->removeWorker();
}

void ClusterAdapter::killWorker(int slot, int signal)
{
    if (m_client) {
        m_client->send(control::request::Kill { slot, signal });
        return;
    }
    if (m_cluster->running())
        m_cluster->signalWorker(slot, signal);
}

void ClusterAdapter::crashWorker(int slot)
{
    if (m_client) {
        m_client->send(control::request::Kill { slot, SIGABRT });
        return;
    }
    if (m_cluster->running())
        m_cluster->crashWorker(slot);
}

void ClusterAdapter::resetSlot(int slot)
{
    if (m_client) {
        m_client->send(control::request::Reset { slot });
        return;
    }
    if (m_cluster->running())
        m_cluster->resetSlot(slot);
}

void ClusterAdapter::resetFailedSlots()
{
    if (m_client) {
        m_client->send(control::request::Reset { 0 });
        return;
    }
    if (m_cluster->running())
        m_cluster->resetFailedSlots();
}

void ClusterAdapter::deliver()
{
    // Clear first: a notification arriving while we read is delivered by the next call.
    m_pending.store(false);
    // Whether the master has ended is read before its events are taken: once it has, every
    // event it will publish (Stopped last) is already queued, and this call takes them all.
    // Read after, the master could end between the two, and the Stopped event would come
    // after the window was told it stopped (a recording closed without it).
    const bool ended = !m_cluster->running();
    std::vector<Event> taken = m_cluster->takeEvents();
    if (m_control)
        m_control->publish(taken);
    bool stopped = false;
    if (!taken.empty()) {
        QList<cs::Event> events;
        events.reserve(qsizetype(taken.size()));
        for (Event& event : taken) {
            stopped = stopped || event.kind == EventKind::Stopped;
            events.append(std::move(event));
        }
        Q_EMIT eventsArrived(events);
    }
    std::shared_ptr<const Snapshot> snap = m_cluster->snapshot();
    if (snap && snap->sequence != m_lastSequence) {
        m_lastSequence = snap->sequence;
        Q_EMIT snapshotReady(snap);
    }
    // The Stopped event is the last word even if the master thread is still unwinding.
    if (stopped || ended)
        setRunning(false);
}

void ClusterAdapter::setRunning(bool running)
{
    if (running == m_running)
        return;
    m_running = running;
    if (!running) {
        stopMetrics();
        stopControl();
    }
    Q_EMIT runningChanged(running);
}

} // namespace cs::ui
