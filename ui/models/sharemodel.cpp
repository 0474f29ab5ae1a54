#include "models/sharemodel.h"

#include "metrics/fairness.h"

#include <vector>

namespace cs::ui {

ShareModel::ShareModel(QObject* parent)
    : QObject(parent)
{
}

void ShareModel::setSnapshot(const Snapshot& snapshot)
{
    // Load from outside the window (wrk, curl, a browser) is a run of its own too: requests
    // after a quiet spell begin one, counted from the counts before them, unless the load
    // panel's own run is under way.
    std::uint64_t total = 0;
    for (const WorkerSample& w : snapshot.workers)
        total += w.requests;
    const double t = snapshot.clusterUptimeSeconds;
    if (snapshot.requestMetrics && m_seen && total > m_lastTotal) {
        const bool afterQuiet = m_lastActivity < 0 || t - m_lastActivity >= kQuietSeconds;
        if (afterQuiet && !m_panelRun) {
            m_base = m_now;
            m_mark = Mark::LoadRun;
        }
        m_lastActivity = t;
    }
    m_seen = true;
    m_lastTotal = total;
    m_lastTime = t;
    m_now.clear();
    for (const WorkerSample& w : snapshot.workers)
        m_now[w.slot] = { w.requests, w.connectionsAccepted };
    m_requestsCounted = snapshot.requestMetrics;
    Q_EMIT changed();
}

void ShareModel::clear()
{
    m_now.clear();
    m_base.clear();
    m_mark = Mark::None;
    m_seen = false;
    m_lastTotal = 0;
    m_lastActivity = -1;
    m_panelRun = false;
    Q_EMIT changed();
}

void ShareModel::markLoadRun()
{
    m_base = m_now;
    m_mark = Mark::LoadRun;
    m_panelRun = true;
    Q_EMIT changed();
}

void ShareModel::endLoadRun()
{
    m_panelRun = false;
}

void ShareModel::resetNow()
{
    m_base = m_now;
    m_mark = Mark::Reset;
    // Load already flowing goes on in the span the reset begins, not in a run of its own.
    if (m_seen)
        m_lastActivity = m_lastTime;
    m_scope = Scope::LastLoadRun; // a reset is seen in the span it starts
    Q_EMIT changed();
}

void ShareModel::setScope(Scope scope)
{
    if (scope == m_scope)
        return;
    m_scope = scope;
    Q_EMIT changed();
}

QString ShareModel::scopeText() const
{
    if (m_scope == Scope::SinceStart || m_mark == Mark::None)
        return tr("since start");
    return m_mark == Mark::Reset ? tr("since reset") : tr("last load run");
}

ShareModel::Counts ShareModel::spanOf(int slot) const
{
    const auto now = m_now.find(slot);
    if (now == m_now.end())
        return {};
    Counts span = now->second;
    if (m_scope == Scope::LastLoadRun && m_mark != Mark::None) {
        // A slot created after the mark started from zero; counters never go back.
        if (const auto base = m_base.find(slot); base != m_base.end()) {
            span.requests -= std::min(span.requests, base->second.requests);
            span.connections -= std::min(span.connections, base->second.connections);
        }
    }
    return span;
}

QList<ShareModel::Row> ShareModel::rows() const
{
    double requests = 0, connections = 0;
    for (const auto& entry : m_now) {
        const Counts c = spanOf(entry.first);
        requests += double(c.requests);
        connections += double(c.connections);
    }
    QList<Row> out;
    for (const auto& entry : m_now) {
        const Counts c = spanOf(entry.first);
        out.append({ entry.first, requests > 0 ? 100.0 * double(c.requests) / requests : 0.0,
                     connections > 0 ? 100.0 * double(c.connections) / connections : 0.0 });
    }
    return out;
}

std::uint64_t ShareModel::requests() const
{
    std::uint64_t total = 0;
    for (const auto& entry : m_now)
        total += spanOf(entry.first).requests;
    return total;
}

std::optional<double> ShareModel::fairness(bool requests) const
{
    if (requests && !m_requestsCounted)
        return std::nullopt;
    std::vector<double> shares;
    for (const auto& entry : m_now) {
        const Counts c = spanOf(entry.first);
        shares.push_back(double(requests ? c.requests : c.connections));
    }
    return jainIndex(shares, shares.size());
}

std::optional<double> ShareModel::requestFairness() const
{
    return fairness(true);
}

std::optional<double> ShareModel::connectionFairness() const
{
    return fairness(false);
}

} // namespace cs::ui
