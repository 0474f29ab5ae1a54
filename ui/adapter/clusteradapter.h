#pragma once

#include "master/cluster.h"
#include "master/clusterconfig.h"
#include "master/snapshot.h"

#include <atomic>
#include <mutex>
#include <vector>
#include <memory>

#include <QList>
#include <QObject>
#include <QString>

namespace cs {
class MetricsServer;
namespace control {
class ControlClient;
class ControlServer;
}
}

namespace cs::ui {

/// The one QObject over the core: owns cs::Cluster, moves its notifications from the master
/// thread onto the GUI thread (coalesced: at most one queued call pending) and re-emits
/// them as signals. Everything else in the window talks to the cluster through here.
/// Or, attached to a cluster that runs elsewhere (a headless master, a service), the same
/// signals come from its control socket and the same slots become its commands; detaching
/// leaves that cluster running.
class ClusterAdapter : public QObject {
    Q_OBJECT
public:
    explicit ClusterAdapter(QObject* parent = nullptr);
    ~ClusterAdapter() override; ///< stops a running cluster fast (detaches from an attached one)

    /// Follows the cluster whose control socket is `path`: snapshots, events and commands go
    /// through it. One sentence on failure (a cluster runs here already, nobody answers, refused).
    QString attach(const QString& path);
    /// Leaves the attached cluster running and shows nothing any more.
    void detach();
    bool attached() const { return m_client != nullptr; }
    /// The attached cluster's name; empty when not attached.
    QString attachedName() const { return m_attachedName; }
    /// While detaching: the attached cluster went away (stopped, crashed), not the user's choice.
    bool attachedGone() const { return m_attachedGone; }

    bool running() const;
    /// The latest snapshot (never null).
    std::shared_ptr<const Snapshot> snapshot() const;
    /// The config of the last successful start.
    const ClusterConfig& config() const { return m_config; }

    /// Leaves this window's own cluster running when the window goes: a headless master
    /// (masterProgram()) takes over its listening socket and
    /// its control socket name, and once every slot of it serves, ours drains and stops; no
    /// connection is refused on the way. Empty when done (leftName() says what to attach to),
    /// else one sentence, and ours goes on as before.
    QString leaveRunning();
    /// The clusterscope executable that leaveRunning() starts headless: by default the one
    /// beside this program (or on PATH).
    void setMasterProgram(const QString& program) { m_masterProgram = program; }
    QString masterProgram() const;
    /// The control socket name of the cluster last left running; empty before.
    QString leftName() const { return m_leftName; }
    /// Its master's pid; -1 before.
    int leftPid() const { return m_leftPid; }

    /// Graceful stop, waiting at most `timeoutMs` before escalating to a fast stop.
    /// Returns true when the master had finished in time. Used when the window closes.
    bool shutdown(int timeoutMs);

    /// The Prometheus endpoint for the next start: -1 off, 0 any free port. It serves on
    /// 127.0.0.1 while the cluster runs.
    void setMetricsPort(int port) { m_metricsPort = port; }
    /// "http://127.0.0.1:PORT/metrics" while it serves, else empty.
    QString metricsUrl() const { return m_metricsUrl; }
    /// The control socket `clusterscope ctl --name NAME` reaches this cluster at (named after
    /// its port) while it runs; empty when none could be opened.
    QString controlSocket() const { return m_controlSocket; }

public Q_SLOTS:
    void start(const cs::ClusterConfig& config);
    void stop();
    void rollingRestart();
    void scaleUp();
    void scaleDown();
    void killWorker(int slot, int signal);
    /// Makes that slot's worker crash (SIGABRT), counted as a crash.
    void crashWorker(int slot);
    void resetSlot(int slot);
    void resetFailedSlots();

Q_SIGNALS:
    void snapshotReady(std::shared_ptr<const cs::Snapshot> snapshot);
    void eventsArrived(QList<cs::Event> events);
    /// The cluster did not start: one sentence, and the cs::ConfigField it is about (as int).
    void launchFailed(QString message, int field);
    /// An attached cluster refused a command, or went away: one sentence.
    void attachedMessage(QString message);
    void runningChanged(bool running);
    /// The metrics endpoint started (url) or stopped (empty).
    void metricsUrlChanged(QString url);
    /// The cluster runs but the metrics endpoint could not start: one sentence.
    void metricsFailed(QString message);

private:
    void deliver(); ///< GUI thread: takes the snapshot and the events and emits them
    void deliverAttached(); ///< GUI thread: the same for an attached cluster
    void setRunning(bool running);
    void startMetrics();
    void stopMetrics(bool notify = true);
    void startControl();
    void stopControl();

    // Its thread reads m_cluster's snapshots: stopMetrics() runs before m_cluster changes or goes.
    std::unique_ptr<MetricsServer> m_metrics;
    // Its thread reads snapshots and carries out commands on m_cluster: stopped before m_cluster changes or goes.
    std::unique_ptr<control::ControlServer> m_control;
    QString m_controlSocket;
    // Attached: what the client's thread left for deliverAttached(), under m_attachedMutex.
    std::unique_ptr<control::ControlClient> m_client;
    QString m_attachedName;
    std::mutex m_attachedMutex;
    std::shared_ptr<const Snapshot> m_attachedSnapshot;
    std::vector<Event> m_attachedEvents;
    std::vector<std::string> m_attachedMessages;
    bool m_attachedClosed = false;
    bool m_attachedGone = false;
    std::shared_ptr<const Snapshot> m_lastAttached; ///< GUI thread: the newest delivered
    std::unique_ptr<Cluster> m_cluster;
    ClusterConfig m_config;
    std::atomic<bool> m_pending { false };
    std::uint64_t m_lastSequence = ~std::uint64_t(0);
    bool m_running = false;
    int m_metricsPort = -1;
    QString m_metricsUrl;
    QString m_masterProgram;
    QString m_leftName;
    int m_leftPid = -1;
};

/// Registers the types the signals carry (idempotent).
void registerMetaTypes();

} // namespace cs::ui

Q_DECLARE_METATYPE(cs::Event)
Q_DECLARE_METATYPE(std::shared_ptr<const cs::Snapshot>)
