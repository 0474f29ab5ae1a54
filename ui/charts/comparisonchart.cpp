#include "charts/comparisonchart.h"

#include "charts/chartstyle.h"
#include "models/comparisonmodel.h"
#include "models/slotpalette.h"

#include <cmath>

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QLabel>
#include <QLegend>
#include <QResizeEvent>
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
    , m_legend(new QLabel(this))
{
    m_legend->setAlignment(Qt::AlignCenter);
    m_legend->setTextFormat(Qt::RichText);
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(260, 170);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ComparisonChart::refresh);
    refresh();
}

void ComparisonChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    placeLegend();
}

void ComparisonChart::placeLegend()
{
    const int height = m_legend->sizeHint().height();
    m_legend->setGeometry(0, this->height() - height - 4, width(), height);
    chart()->setMargins(QMargins(4, 4, 4, height + 4));
}

QString ComparisonChart::legendText() const
{
    return m_legend->text();
}

QString ComparisonChart::title() const
{
    switch (m_kind) {
    case Kind::Shares:
        return tr("Share per worker and Jain's index");
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
    QStringList legend;
    auto entry = [&legend](const QColor& color, const QString& name, bool dot) {
        legend << QStringLiteral("<span style=\"color:%1\">%2</span>&nbsp;%3")
                      .arg(color.name(), dot ? QStringLiteral("&#9679;") : QStringLiteral("&#9632;"), name.toHtmlEscaped());
    };

    using F = ComparisonModel::Figure;
    const int runs = m_model->runCount();
    QStringList categories;
    for (int i = 0; i < runs; ++i) {
        // Hyphenated names over two lines: a narrow chart cuts a long single line short.
        QString label = m_model->shortLabel(i);
        if (runs > 2)
            label.replace(QStringLiteral("-"), QStringLiteral("-\n"));
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
        entry(color, name, false);
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
    // A second figure as a dot over each run's bars, on its own axis at the right: Jain's
    // index over the shares, the master's CPU over the throughput.
    if (m_kind == Kind::Shares || m_kind == Kind::Throughput) {
        const bool jain = m_kind == Kind::Shares;
        auto* dots = new QScatterSeries;
        dots->setName(jain ? tr("Jain's index") : tr("master CPU"));
        dots->setColor(toneColor(jain ? Tone::Muted : Tone::Error));
        dots->setBorderColor(palette().color(QPalette::Base));
        dots->setMarkerSize(12);
        entry(dots->color(), dots->name(), true);
        double dotTop = 0;
        for (int i = 0; i < runs; ++i) {
            const double v = m_model->value(jain ? F::Jain : F::MasterCpu, i);
            if (std::isnan(v))
                continue;
            dots->append(i, v);
            dotTop = std::max(dotTop, v);
        }
        auto* right = new QValueAxis;
        c->addAxis(right, Qt::AlignRight);
        applyAxisStyle(right, palette());
        if (jain) {
            right->setRange(0, 1);
            right->setTickCount(6);
            right->setLabelFormat(QStringLiteral("%.1f"));
            right->setTitleText(tr("Jain's index"));
        } else {
            setNiceRange(right, dotTop, 100);
            right->setLabelFormat(QStringLiteral("%.0f %%"));
            right->setTitleText(tr("master CPU"));
        }
        c->addSeries(dots);
        dots->attachAxis(x);
        dots->attachAxis(right);
    }
    // Styled last: the legend lays its labels out again in its font only when that is set
    // after the markers exist (set before, short names came out cut to nothing).
    applyChartStyle(c, palette());
    c->legend()->setVisible(false);
    m_legend->setText(legend.join(QStringLiteral("&nbsp;&nbsp;&nbsp;")));
    placeLegend();
}

} // namespace cs::ui
