#include "charts/comparisonchart.h"

#include "charts/chartstyle.h"
#include "models/comparisonmodel.h"
#include "models/slotpalette.h"

#include <cmath>

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QScatterSeries>
#include <QValueAxis>

namespace cs::ui {

namespace {

double orZero(double v) { return std::isnan(v) ? 0 : v; }

} // namespace

ComparisonChart::ComparisonChart(ComparisonModel* model, Kind kind, QWidget* parent)
    : QChartView(new QChart, parent)
    , m_model(model)
    , m_kind(kind)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(280, 200);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ComparisonChart::refresh);
    refresh();
}

QString ComparisonChart::title() const
{
    switch (m_kind) {
    case Kind::Shares:
        return tr("Share per worker");
    case Kind::Throughput:
        return tr("Throughput and master CPU");
    case Kind::Latency:
        return tr("Latency");
    case Kind::CoreLoad:
        return tr("Per-core load");
    }
    return {};
}

// Rebuilt whole on each reset: a comparison changes only when the selection does.
void ComparisonChart::refresh()
{
    QChart* c = chart();
    c->removeAllSeries();
    for (QAbstractAxis* axis : c->axes())
        c->removeAxis(axis), delete axis;
    applyChartStyle(c, palette());
    c->setTitle(title());
    c->legend()->setVisible(true);
    c->legend()->setAlignment(Qt::AlignBottom);

    using F = ComparisonModel::Figure;
    const int runs = m_model->runCount();
    QStringList categories;
    for (int i = 0; i < runs; ++i) {
        QString label = m_model->headerData(i, Qt::Horizontal, Qt::DisplayRole).toString().replace(QLatin1Char('\n'), QLatin1Char(' '));
        if (m_kind == Kind::Shares) {
            const double jain = m_model->value(F::Jain, i);
            label += QLatin1Char('\n') + (std::isnan(jain) ? tr("Jain –") : tr("Jain %1").arg(jain, 0, 'f', 2));
        }
        categories << label;
    }
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    auto* y = new QValueAxis;
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    applyAxisStyle(x, palette());
    applyAxisStyle(y, palette());
    auto* bars = new QBarSeries;
    double top = 0;
    auto addSet = [&](const QString& name, const QColor& color, auto valueOf) {
        auto* set = new QBarSet(name);
        set->setColor(color);
        set->setBorderColor(color);
        for (int i = 0; i < runs; ++i) {
            const double v = orZero(valueOf(i));
            set->append(v);
            top = std::max(top, v);
        }
        bars->append(set);
    };
    switch (m_kind) {
    case Kind::Shares:
        for (int slot = 1; slot <= m_model->maxWorkers(); ++slot)
            addSet(tr("worker %1").arg(slot), slotColor(slot), [&](int i) { return m_model->value(F::WorkerShare, i, slot) * 100; });
        y->setRange(0, 100);
        y->setTickCount(6);
        y->setLabelFormat(QStringLiteral("%.0f %%"));
        y->setTitleText(tr("share of requests"));
        break;
    case Kind::Throughput:
        addSet(tr("req/s"), slotColor(1), [&](int i) { return m_model->value(F::Throughput, i); });
        setNiceRange(y, top, 10);
        y->setLabelFormat(QStringLiteral("%.0f"));
        y->setTitleText(tr("requests/s"));
        break;
    case Kind::Latency:
        addSet(tr("p50"), latencyColor(Percentile::P50), [&](int i) { return m_model->value(F::P50, i); });
        addSet(tr("p99"), latencyColor(Percentile::P99), [&](int i) { return m_model->value(F::P99, i); });
        setNiceRange(y, top, 1);
        y->setTitleText(tr("ms"));
        break;
    case Kind::CoreLoad:
        for (int core = 0; core < m_model->maxCores(); ++core)
            addSet(tr("core %1").arg(core), coreColor(core), [&](int i) { return m_model->value(F::CoreLoad, i, core); });
        y->setRange(0, 100);
        y->setTickCount(6);
        y->setLabelFormat(QStringLiteral("%.0f %%"));
        y->setTitleText(tr("busy"));
        break;
    }
    c->addSeries(bars);
    bars->attachAxis(x);
    bars->attachAxis(y);
    if (m_kind == Kind::Throughput) {
        // The master's CPU on its own axis, a point over each run's bar.
        auto* cpu = new QScatterSeries;
        cpu->setName(tr("master CPU"));
        cpu->setColor(toneColor(Tone::Error));
        cpu->setMarkerSize(11);
        double cpuTop = 0;
        for (int i = 0; i < runs; ++i) {
            const double v = orZero(m_model->value(F::MasterCpu, i));
            cpu->append(i, v);
            cpuTop = std::max(cpuTop, v);
        }
        auto* right = new QValueAxis;
        c->addAxis(right, Qt::AlignRight);
        applyAxisStyle(right, palette());
        setNiceRange(right, cpuTop, 100);
        right->setLabelFormat(QStringLiteral("%.0f %%"));
        right->setTitleText(tr("master CPU"));
        c->addSeries(cpu);
        cpu->attachAxis(x);
        cpu->attachAxis(right);
    }
}

} // namespace cs::ui
