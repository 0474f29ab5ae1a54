#include "models/runstore.h"

#include "models/runfile.h"
#include "scheduling/policy.h"

#include <algorithm>

#include <QDir>
#include <QFile>

namespace cs::ui {

QString LabRun::label() const
{
    QStringList parts;
    parts << QString::fromUtf8(policyName(cluster.policy).data(), qsizetype(policyName(cluster.policy).size()));
    parts << (cluster.workers == 1 ? QObject::tr("1 worker") : QObject::tr("%1 workers").arg(cluster.workers));
    if (load) {
        parts << QObject::tr("%1 %2").arg(load->connections).arg(load->keepAlive ? QObject::tr("keep-alive") : QObject::tr("new conn./req"));
        parts << QString::fromStdString(load->path);
        if (load->rate > 0)
            parts << QObject::tr("%1 req/s").arg(load->rate);
    } else {
        parts << QObject::tr("no load");
    }
    if (cluster.pin)
        parts << QObject::tr("pinned"); // last, so the other parts line up with an unpinned run's
    return parts.join(QStringLiteral(" · "));
}

RunStore::RunStore(const QString& directory, QObject* parent)
    : QAbstractListModel(parent)
    , m_directory(directory)
{
    if (m_directory.isEmpty())
        return;
    QDir dir(m_directory);
    for (const QString& name : dir.entryList({ QStringLiteral("*") + runFileSuffix() }, QDir::Files, QDir::Name)) {
        LabRun run;
        const QString problem = readRunFile(dir.filePath(name), run);
        if (!problem.isEmpty()) {
            m_problem = problem;
            continue;
        }
        run.id = name.chopped(runFileSuffix().size());
        run.summary = lab::summarizeRun(run.snapshots, run.events, run.loadSummary);
        m_runs.push_back(std::move(run));
    }
    std::stable_sort(m_runs.begin(), m_runs.end(), [](const LabRun& a, const LabRun& b) { return a.when < b.when; });
}

int RunStore::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

QVariant RunStore::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_runs.size()))
        return {};
    const LabRun& run = m_runs[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return QStringLiteral("%1  %2").arg(run.when.toString(QStringLiteral("MMM d HH:mm:ss")), run.label());
    case Qt::ToolTipRole: {
        const lab::RunSummary& s = run.summary;
        return tr("%L1 requests, %L2 req/s, p99 %3 ms, %4 failed, Jain %5")
            .arg(s.requests)
            .arg(s.requestsPerSecond, 0, 'f', 0)
            .arg(s.p99Ms, 0, 'f', 2)
            .arg(s.failed)
            .arg(s.jain ? QString::number(*s.jain, 'f', 2) : QStringLiteral("–"));
    }
    case IdRole:
        return run.id;
    default:
        return {};
    }
}

const LabRun* RunStore::find(const QString& id) const
{
    const int row = rowOf(id);
    return row < 0 ? nullptr : &m_runs[std::size_t(row)];
}

int RunStore::rowOf(const QString& id) const
{
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].id == id)
            return int(i);
    return -1;
}

QString RunStore::add(LabRun run)
{
    if (!run.when.isValid())
        run.when = QDateTime::currentDateTime();
    QString id = run.when.toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"));
    for (int n = 2; rowOf(id) >= 0; ++n)
        id = run.when.toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")) + QLatin1Char('-') + QString::number(n);
    run.id = id;
    run.summary = lab::summarizeRun(run.snapshots, run.events, run.loadSummary);
    if (!m_directory.isEmpty()) {
        QDir().mkpath(m_directory);
        const QString problem = writeRunFile(QDir(m_directory).filePath(id + runFileSuffix()), run);
        if (!problem.isEmpty())
            m_problem = problem;
    }
    beginInsertRows({}, int(m_runs.size()), int(m_runs.size()));
    m_runs.push_back(std::move(run));
    endInsertRows();
    Q_EMIT added(id);
    return id;
}

void RunStore::remove(const QStringList& ids)
{
    for (const QString& id : ids) {
        const int row = rowOf(id);
        if (row < 0)
            continue;
        beginRemoveRows({}, row, row);
        m_runs.erase(m_runs.begin() + row);
        endRemoveRows();
        if (!m_directory.isEmpty())
            QFile::remove(QDir(m_directory).filePath(id + runFileSuffix()));
    }
}

} // namespace cs::ui
