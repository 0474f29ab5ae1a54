#include "charts/distributionchart.h"

#include "charts/chartnote.h"
#include "charts/chartstyle.h"
#include "models/workertablemodel.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QEvent>
#include <QLegend>
#include <QLineSeries>
#include <QValueAxis>

namespace cs::ui {

DistributionChart::DistributionChart(WorkerTableModel* model, QWidget* parent)
    : QChartView(new QChart, parent) // not setChart(): see TimeChart
    , m_model(model)
    , m_chart(chart())
    , m_bars(new QBarSeries)
    , m_requests(new QBarSet(tr("Requests")))
    , m_connections(new QBarSet(tr("Connections")))
    , m_even(new QLineSeries)
    , m_x(new QBarCategoryAxis)
    , m_y(new QValueAxis)
    , m_note(new ChartNote(this, m_chart))
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(260, 170);
    m_bars->append(m_requests);
    m_bars->append(m_connections);
    m_bars->setBarWidth(0.8);
    m_even->setName(tr("Even share"));
    m_chart->addSeries(m_bars);
    m_chart->addSeries(m_even);
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);
    m_bars->attachAxis(m_x);
    m_bars->attachAxis(m_y);
    m_even->attachAxis(m_x);
    m_even->attachAxis(m_y);
    m_y->setRange(0, 100);
    m_y->setTickCount(6);
    m_y->setLabelFormat(QStringLiteral("%.0f %%"));
    m_y->setTitleText(tr("share"));
    m_chart->setTitle(tr("Share per worker"));
    restyle();
    m_baseToolTip = tr("Each worker's share of all requests and of all accepted connections since the start; "
                  "the dashed line is an even share. Jain's index: 1 = perfectly even, 1/N = one worker takes all.");
    setToolTip(m_baseToolTip);
}

void DistributionChart::setNote(const QString& note)
{
    m_note->setNote(note);
}

QString DistributionChart::note() const
{
    return m_note->isVisibleTo(this) ? m_note->text() : QString();
}

void DistributionChart::changeEvent(QEvent* event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        restyle();
}

void DistributionChart::restyle()
{
    applyChartStyle(m_chart, palette());
    applyAxisStyle(m_x, palette());
    applyAxisStyle(m_y, palette());
    m_x->setGridLineVisible(false);
    // Bar sets draw hollow markers when the legend copies the series' shape: use filled boxes.
    m_chart->legend()->setMarkerShape(QLegend::MarkerShapeRectangle);
    m_requests->setColor(QColor(0x4e79a7));
    m_requests->setBorderColor(QColor(0x4e79a7));
    m_connections->setColor(QColor(0x76b7b2));
    m_connections->setBorderColor(QColor(0x76b7b2));
    QColor even = palette().color(QPalette::Text);
    even.setAlpha(170);
    m_even->setPen(QPen(even, 1.5, Qt::DashLine));
}

void DistributionChart::refresh()
{
    const auto& workers = m_model->workers();
    const int n = int(workers.size());
    QStringList categories;
    double requests = 0, connections = 0;
    for (const WorkerSample& w : workers) {
        categories.append(QStringLiteral("#%1").arg(w.slot));
        requests += double(w.requests);
        connections += double(w.connectionsAccepted);
    }
    QList<qreal> requestShares, connectionShares;
    double top = 0;
    for (const WorkerSample& w : workers) {
        requestShares.append(requests > 0 ? 100.0 * double(w.requests) / requests : 0.0);
        connectionShares.append(connections > 0 ? 100.0 * double(w.connectionsAccepted) / connections : 0.0);
        top = std::max({ top, requestShares.back(), connectionShares.back() });
    }
    if (categories != m_categories) {
        m_categories = categories;
        m_x->setCategories(categories);
    }
    // Same number of bars: replace values in place (no bar items rebuilt); else rebuild once.
    auto feed = [](QBarSet* set, const QList<qreal>& values) {
        if (set->count() != values.size()) {
            set->remove(0, set->count());
            set->append(values);
            return;
        }
        for (int i = 0; i < values.size(); ++i)
            if (set->at(i) != values[i])
                set->replace(i, values[i]);
    };
    feed(m_requests, requestShares);
    feed(m_connections, connectionShares);
    const double even = n > 0 ? 100.0 / n : 0.0;
    m_even->replace(n > 0 ? QList<QPointF> { QPointF(-0.5, even), QPointF(n - 0.5, even) } : QList<QPointF> {});
    setNiceRange(m_y, std::max(top, even) * 1.15, 10);
    // Jain's index over requests in the title (short enough for a narrow chart); both
    // indices in the tooltip. Over every slot, so one that got nothing pulls it down; "–"
    // until the first request, when there is nothing to be fair or unfair about.
    const QString fairness = formatFairness(m_model->fairness());
    const QString title = n > 0 ? tr("Share per worker · Jain %1").arg(fairness) : tr("Share per worker");
    if (m_chart->title() != title)
        m_chart->setTitle(title);
    const QString over = n == 1 ? tr("the 1 worker") : tr("all %1 workers").arg(n);
    const QString tip = m_baseToolTip
        + (n > 0 ? tr("\nJain's index now, over %1: %2 over requests, %3 over connections.")
                       .arg(over, fairness, formatFairness(m_model->connectionFairness()))
                 : QString());
    if (toolTip() != tip)
        setToolTip(tip);
}

} // namespace cs::ui
