#include "charts/distributionchart.h"

#include "charts/chartnote.h"
#include "charts/chartstyle.h"
#include "models/sharemodel.h"
#include "models/slotpalette.h"
#include "models/workertablemodel.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLegend>
#include <QLineSeries>
#include <QToolButton>
#include <QValueAxis>

namespace cs::ui {

DistributionChart::DistributionChart(ShareModel* model, QWidget* parent)
    : QChartView(new QChart, parent) // not setChart(): see TimeChart
    , m_model(model)
    , m_controls(new QWidget(this))
    , m_scope(new QComboBox(m_controls))
    , m_reset(new QToolButton(m_controls))
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
    // Redraw the whole view: when the axis range and the span choice change together, the
    // minimal update left the old axis labels ghosting beside the new ones.
    setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
    // Room for the span choice and Reset above the title, beside two time charts in a
    // 1024-pixel window's chart grid.
    setMinimumSize(246, 170);
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
    m_baseToolTip = tr("Each worker's share of the requests and of the accepted connections over the span chosen "
                       "in the corner: the last load run (so two runs are never mixed) or everything since the "
                       "cluster started. The dashed line is an even share. Jain's index: 1 = perfectly even, "
                       "1/N = one worker takes all.");
    setToolTip(m_baseToolTip);

    m_scope->setObjectName(QStringLiteral("shareScope"));
    m_scope->setSizeAdjustPolicy(QComboBox::AdjustToContents); // its first item's text changes
    m_scope->addItem(tr("Last load run"), int(ShareModel::Scope::LastLoadRun));
    m_scope->addItem(tr("Since start"), int(ShareModel::Scope::SinceStart));
    m_scope->setToolTip(tr("Which requests the shares count: those of the last load run (or since Reset), or all "
                           "since the cluster started"));
    m_reset->setObjectName(QStringLiteral("shareReset"));
    m_reset->setText(tr("Reset"));
    m_reset->setToolTip(tr("Count from now: the shares start again from zero"));
    auto* row = new QHBoxLayout(m_controls);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(4);
    row->addWidget(m_scope);
    row->addWidget(m_reset);
    m_controls->adjustSize();
    connect(m_scope, &QComboBox::currentIndexChanged, this,
            [this] { m_model->setScope(ShareModel::Scope(m_scope->currentData().toInt())); });
    connect(m_reset, &QToolButton::clicked, m_model, &ShareModel::resetNow);
    restyle();
}

void DistributionChart::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    m_controls->adjustSize();
    m_controls->move(width() - m_controls->width() - 4, 4);
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
    // A band above the title for the span choice and Reset, so they never cover the title.
    m_controls->adjustSize();
    QMargins margins = m_chart->margins();
    margins.setTop(m_controls->sizeHint().height() + 4);
    m_chart->setMargins(margins);
    // Bar sets draw hollow markers when the legend copies the series' shape: use filled boxes.
    m_chart->legend()->setMarkerShape(QLegend::MarkerShapeRectangle);
    // Per metric, not per slot: the palette keeps them apart from every slot's colour.
    m_requests->setColor(shareColor(Share::Requests));
    m_requests->setBorderColor(shareColor(Share::Requests));
    m_connections->setColor(shareColor(Share::Connections));
    m_connections->setBorderColor(shareColor(Share::Connections));
    QColor even = palette().color(QPalette::Text);
    even.setAlpha(170);
    m_even->setPen(QPen(even, 1.5, Qt::DashLine));
}

void DistributionChart::refresh()
{
    const QList<ShareModel::Row> rows = m_model->rows();
    const int n = int(rows.size());
    QStringList categories;
    QList<qreal> requestShares, connectionShares;
    double top = 0;
    for (const ShareModel::Row& row : rows) {
        // Many slots leave a bar pair too narrow for "#16": the bare number still fits.
        categories.append(n > 8 ? QString::number(row.slot) : QStringLiteral("#%1").arg(row.slot));
        requestShares.append(row.requestShare);
        connectionShares.append(row.connectionShare);
        top = std::max({ top, row.requestShare, row.connectionShare });
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
    // A share never passes 100 %.
    setNiceRange(m_y, std::min(100.0, std::max(top, even) * 1.15), 10);
    if (m_scope->currentData().toInt() != int(m_model->scope()))
        m_scope->setCurrentIndex(m_scope->findData(int(m_model->scope())));
    // Before any load run from the panel (or a reset) the last span is the whole history: say so.
    const QString lastRun = m_model->marked() ? tr("Last load run") : tr("Last load run (none yet: all)");
    if (m_scope->itemText(0) != lastRun) {
        m_scope->setItemText(0, lastRun);
        m_controls->adjustSize();
        m_controls->move(width() - m_controls->width() - 4, 4);
    }
    // Jain's index over requests in the title (short enough for a narrow chart); both
    // indices and the span in the tooltip. Over every slot, so one that got nothing pulls it
    // down; "–" until the span's first request, when there is nothing to be fair about.
    const QString fairness = formatFairness(m_model->requestFairness());
    const QString title = n > 0 ? tr("Share per worker · Jain %1").arg(fairness) : tr("Share per worker");
    if (m_chart->title() != title)
        m_chart->setTitle(title);
    const QString over = n == 1 ? tr("the 1 worker") : tr("all %1 workers").arg(n);
    const QString tip = m_baseToolTip
        + (n > 0 ? tr("\nJain's index (%1), over %2: %3 over requests, %4 over connections.")
                       .arg(m_model->scopeText(), over, fairness, formatFairness(m_model->connectionFairness()))
                 : QString());
    if (toolTip() != tip)
        setToolTip(tip);
}

} // namespace cs::ui
