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
    Q_EMIT changed();
}

void ShareModel::markLoadRun()
{
    m_base = m_now;
    m_mark = Mark::LoadRun;
    Q_EMIT changed();
}

void ShareModel::resetNow()
{
    m_base = m_now;
    m_mark = Mark::Reset;
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
