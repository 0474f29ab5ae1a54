#include "adapter/runrecorder.h"

#include "adapter/clusteradapter.h"
#include "adapter/loadadapter.h"

namespace cs::ui {

RunRecorder::RunRecorder(ClusterAdapter* cluster, LoadAdapter* load, RunStore* store, QObject* parent)
    : QObject(parent)
    , m_cluster(cluster)
    , m_load(load)
    , m_store(store)
{
    connect(m_cluster, &ClusterAdapter::snapshotReady, this, [this](const std::shared_ptr<const Snapshot>& snapshot) {
        if (m_run && snapshot && snapshot->running)
            m_run->snapshots.push_back(*snapshot);
    });
    connect(m_cluster, &ClusterAdapter::eventsArrived, this, [this](const QList<Event>& events) {
        if (m_run)
            m_run->events.insert(m_run->events.end(), events.begin(), events.end());
    });
    // Every load run is a run, whoever started it (the load panel, the lab).
    connect(m_load, &LoadAdapter::started, this, [this] {
        if (!m_run)
            begin(m_load->options());
    });
    connect(m_load, &LoadAdapter::finished, this, [this](const LoadSummary& summary) {
        if (m_run && m_run->load)
            end(summary);
    });
    // A cluster that stops under a run ends it (what was measured is kept).
    connect(m_cluster, &ClusterAdapter::runningChanged, this, [this](bool running) {
        if (!running && m_run && !m_load->running())
            end(std::nullopt);
    });
}

void RunRecorder::begin(const std::optional<LoadOptions>& load)
{
    if (!m_cluster->running() || m_cluster->attached())
        return; // an attached cluster's definition is not ours to know: not kept
    m_run.emplace();
    m_run->when = QDateTime::currentDateTime();
    m_run->cluster = m_cluster->config();
    m_run->load = load;
    if (auto baseline = m_cluster->snapshot(); baseline && baseline->running) {
        m_run->snapshots.push_back(*baseline);
        m_run->cluster.workers = int(baseline->workers.size());
    }
}

QString RunRecorder::end(const std::optional<LoadSummary>& summary)
{
    if (!m_run)
        return {};
    LabRun run = std::move(*m_run);
    m_run.reset();
    // The newest picture too: the last interval's counts and CPU.
    if (auto last = m_cluster->snapshot(); last && last->running
        && (run.snapshots.empty() || last->sequence != run.snapshots.back().sequence))
        run.snapshots.push_back(*last);
    run.loadSummary = summary;
    const QString id = m_store->add(std::move(run));
    Q_EMIT recorded(id);
    return id;
}

} // namespace cs::ui
