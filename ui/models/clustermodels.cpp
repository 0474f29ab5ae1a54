#include "models/clustermodels.h"

#include "messages/wording.h"
#include "models/eventtimelinemodel.h"
#include "models/heatmapmodel.h"
#include "models/logmodel.h"
#include "models/sharemodel.h"
#include "models/timeseriesmodel.h"
#include "models/workertablemodel.h"
#include "scheduling/policy.h"

#include <algorithm>
#include <limits>

namespace cs::ui {

ClusterModels::ClusterModels(QObject* parent)
    : QObject(parent)
    , m_workers(new WorkerTableModel(this))
    , m_log(new LogModel(LogModel::kDefaultCapacity, this))
    , m_cores(new TimeSeriesModel(this))
    , m_rates(new TimeSeriesModel(this))
    , m_latency(new TimeSeriesModel(this))
    , m_memory(new TimeSeriesModel(this))
    , m_cpu(new TimeSeriesModel(this))
    , m_timeline(new EventTimelineModel(this))
    , m_share(new ShareModel(this))
    , m_heatMap(new HeatMapModel(this))
{
    m_latency->setSeriesNames({ tr("p50"), tr("p99") });
    connect(m_share, &ShareModel::changed, this, [this] {
        updateStatus();
        Q_EMIT changed();
    });
    updateStatus();
}

ClusterModels::~ClusterModels() = default;

double ClusterModels::now() const
{
    return m_snapshot ? m_snapshot->clusterUptimeSeconds : 0.0;
}

void ClusterModels::setRunning(bool running)
{
    m_running = running;
    if (running) {
        // A new cluster: the last one's lines, slots, markers and counts are not this one's.
        m_snapshot.reset();
        m_cores->clear();
        m_rates->clear();
        m_rates->setSeriesNames({});
        m_latency->clear();
        for (TimeSeriesModel* perSlot : { m_memory, m_cpu }) {
            perSlot->clear();
            perSlot->setSeriesNames({});
        }
        m_timeline->clear();
        m_share->clear();
        m_heatMap->clear();
        m_slotCount = 0;
        m_timeline->setSlotCount(0);
    }
    update();
    Q_EMIT changed();
}

void ClusterModels::apply(const std::shared_ptr<const Snapshot>& snapshot)
{
    if (!snapshot)
        return;
    m_snapshot = snapshot;
    const Snapshot& s = *snapshot;
    const double t = s.clusterUptimeSeconds;
    m_workers->setSnapshot(snapshot);
    m_share->setSnapshot(s);
    m_heatMap->apply(s);

    QStringList coreNames;
    std::vector<double> coreLoad;
    for (const CoreSample& core : s.cores) {
        coreNames.append(tr("cpu%1").arg(core.index));
        coreLoad.push_back(core.busyPercent);
    }
    m_cores->setSeriesNames(coreNames);
    m_cores->append(t, coreLoad);

    // Series i is slot i + 1, so a slot keeps its line (and colour) across respawns; a slot
    // with no process now is a gap in its line.
    int maxSlot = 0;
    for (const WorkerSample& w : s.workers)
        maxSlot = std::max(maxSlot, w.slot);
    QStringList slotNames;
    for (int slot = 1; slot <= maxSlot; ++slot)
        slotNames.append(QStringLiteral("#%1").arg(slot));
    m_rates->setSeriesNames(slotNames);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> rates(std::size_t(maxSlot), nan);
    std::vector<double> memory(std::size_t(maxSlot), nan);
    std::vector<double> cpu(std::size_t(maxSlot), nan);
    for (const WorkerSample& w : s.workers) {
        if (w.slot <= 0)
            continue;
        rates[std::size_t(w.slot - 1)] = w.requestsPerSecond;
        // No process (or not measured yet, right after its fork): a gap, not 0 MiB.
        if (w.pid > 0 && w.rssBytes > 0) {
            memory[std::size_t(w.slot - 1)] = double(w.rssBytes) / (1024.0 * 1024.0);
            cpu[std::size_t(w.slot - 1)] = w.cpuPercent;
        }
    }
    m_rates->append(t, rates);
    m_memory->setSeriesNames(slotNames);
    m_memory->append(t, memory);
    m_cpu->setSeriesNames(slotNames);
    m_cpu->append(t, cpu);

    // No request in the interval: no latency (a gap). A measured 0 is under the workers'
    // resolution, not nothing: it is kept as 0, which the chart shows as "under 1 µs".
    const auto measured = [&](double ms) { return s.latency.total() == 0 ? nan : ms; };
    m_latency->append(t, { measured(s.latencyP50Ms), measured(s.latencyP99Ms) });

    if (maxSlot != m_slotCount) {
        m_slotCount = maxSlot;
        m_timeline->setSlotCount(maxSlot);
    }
    if (s.requestMetrics != m_requestMetricsKnown) {
        m_requestMetricsKnown = s.requestMetrics;
        Q_EMIT requestMetricsKnownChanged(m_requestMetricsKnown);
    }
    update();
    Q_EMIT changed();
}

void ClusterModels::apply(const QList<cs::Event>& events)
{
    m_log->addEvents(events);
    m_timeline->addEvents(events);
    for (const Event& e : events)
        if (e.kind == EventKind::Scaled)
            Q_EMIT workerCountScaled(e.workers);
    Q_EMIT changed();
}

void ClusterModels::update()
{
    // A snapshot that arrives after the stop speaks of a cluster that no longer runs.
    const Snapshot* current = m_running ? m_snapshot.get() : nullptr;
    const ClusterActions actions = clusterActions(m_running, current);
    if (!(actions == m_actions)) {
        m_actions = actions;
        Q_EMIT actionsChanged(m_actions);
    }
    QList<int> failed;
    if (current && current->running)
        for (const WorkerSample& w : current->workers)
            if (w.state == WorkerState::Failed)
                failed.append(w.slot);
    std::sort(failed.begin(), failed.end());
    if (failed != m_failed) {
        m_failed = failed;
        Q_EMIT failedSlotsChanged(m_failed);
    }
    updateStatus();
}

void ClusterModels::updateStatus()
{
    const Snapshot* s = m_running ? m_snapshot.get() : nullptr;
    const bool live = s && s->running;
    // A program of the user's own reports no requests: unknown, not zero (and not "fair").
    const bool counted = live && s->requestMetrics;
    ClusterStatus status;
    status.rate = counted ? tr("%L1 req/s").arg(s->totalRequestsPerSecond, 0, 'f', 0) : tr("– req/s");
    status.fairness = counted ? tr("fairness %1 (%2)").arg(formatFairness(m_share->requestFairness()), m_share->scopeText())
                              : tr("fairness %1").arg(formatFairness(std::nullopt));
    if (live) {
        int online = 0;
        for (const WorkerSample& w : s->workers)
            online += w.state == WorkerState::Online ? 1 : 0;
        status.workers = tr("%1/%2 online").arg(online).arg(s->workers.size());
        status.uptime = tr("up %1").arg(formatDuration(s->clusterUptimeSeconds));
        status.policy = QString::fromLatin1(policyName(s->policy));
        status.address = QString::fromStdString(hostPort(s->bindAddress, s->port));
    } else {
        status.workers = tr("no workers");
        status.uptime = tr("not running");
    }
    if (status == m_status)
        return;
    m_status = status;
    Q_EMIT statusChanged(m_status);
}

} // namespace cs::ui
