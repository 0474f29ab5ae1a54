#include "charts/latencychart.h"

#include "charts/chartstyle.h"
#include "models/slotpalette.h"
#include "models/timeseriesmodel.h"

#include <cmath>
#include <limits>

#include <QLineSeries>
#include <QLogValueAxis>

namespace cs::ui {

namespace {
constexpr qreal kMedianWidth = 5.0; // the p99 line is 2
} // namespace

LatencyScale latencyScale(double lowMs, double highMs)
{
    LatencyScale scale;
    if (!(highMs > 0))
        return scale; // nothing measured: 0.1 to 10 ms
    if (!(lowMs > 0) || lowMs > highMs)
        lowMs = highMs;
    scale.micros = highMs < 1.0;
    scale.perMs = scale.micros ? 1000.0 : 1.0;
    const double low = std::max(lowMs, kResolutionMs) * scale.perMs;
    const double high = std::max(highMs, kResolutionMs) * scale.perMs;
    scale.bottom = std::pow(10.0, std::floor(std::log10(low) - 0.005));
    scale.top = std::pow(10.0, std::ceil(std::log10(high) + 0.005));
    return scale;
}

LatencyChart::LatencyChart(TimeSeriesModel* model, QWidget* parent)
    : TimeChart(tr("Server time per request"), tr("ms (log scale)"), parent, new QLogValueAxis)
    , m_model(model)
    , m_log(static_cast<QLogValueAxis*>(m_yAxis))
{
    m_log->setBase(10);
    m_log->setLabelFormat(QStringLiteral("%g"));
    m_log->setMinorTickCount(-1); // 2..9 in every decade, so values between the labels can be read
    setRange(latencyScale(0, 0));
    restyle();
    setToolTip(tr("Median (p50) and 99th percentile (p99) of the time a request spends inside the workers, "
                  "from reading the request to writing the response, per sample interval, on a logarithmic scale.\n"
                  "The load panel's latency is the client's round trip: this plus the network, the master's "
                  "hand-off and the client itself."));
}

void LatencyChart::restyle()
{
    TimeChart::restyle();
    if (!m_log)
        return; // called from the base constructor
    QColor minor = palette().color(QPalette::Text);
    minor.setAlpha(18);
    m_log->setMinorGridLineColor(minor);
    m_log->setMinorGridLineVisible(true);
}

void LatencyChart::refresh(double now)
{
    const TimeRange r = beginRefresh(now);
    // An interval without requests has no latency: a gap (the model leaves NaNs out). One
    // served under the resolution goes on the 1 µs line, and its legend entry says so.
    QList<QList<QPointF>> lines;
    QList<bool> under;
    double low = std::numeric_limits<double>::infinity();
    double high = 0;
    for (int i = 0; i < m_model->seriesCount(); ++i) {
        QList<QPointF> points = m_model->points(i, r.from, r.to, columns());
        bool lineUnder = false;
        for (QPointF& p : points) {
            if (p.y() < kResolutionMs) {
                p.setY(kResolutionMs);
                lineUnder = true;
            }
            if (lineHidden(i))
                continue; // a hidden line does not set the scale
            low = std::min(low, p.y());
            high = std::max(high, p.y());
        }
        lines.append(std::move(points));
        under.append(lineUnder);
    }
    syncLines(
        m_model->seriesCount(),
        [&](int i) { return under[i] ? tr("%1 < 1 µs").arg(m_model->seriesName(i)) : m_model->seriesName(i); },
        [](int i) { return latencyColor(i == 0 ? Percentile::P50 : Percentile::P99); });
    // The median under the p99 line and wider: where the two are equal (a fast server, whole
    // microseconds) the p50 shows on both sides of it instead of vanishing beneath it.
    if (!m_lines.isEmpty() && m_lines[0]->property("csWidth").toReal() != kMedianWidth)
        setLinePen(m_lines[0], m_lines[0]->property("csColor").value<QColor>(), kMedianWidth);
    const LatencyScale scale = latencyScale(low, high);
    for (int i = 0; i < m_lines.size(); ++i) {
        if (scale.perMs != 1)
            for (QPointF& p : lines[i])
                p.setY(p.y() * scale.perMs);
        m_lines[i]->replace(lines[i]);
    }
    setRange(scale);
    m_perMs = scale.perMs;
    const QString title = scale.micros ? tr("µs (log scale)") : tr("ms (log scale)");
    if (m_log->titleText() != title)
        m_log->setTitleText(title);
    showRange();
}

QString LatencyChart::valueText(int, double value) const
{
    const double ms = value / m_perMs;
    if (ms <= kResolutionMs)
        return tr("under 1 µs");
    if (ms < 1)
        return tr("%1 µs").arg(ms * 1000, 0, 'f', ms < 0.01 ? 1 : 0);
    return tr("%L1 ms").arg(ms, 0, 'f', ms < 10 ? 2 : 1);
}

void LatencyChart::setRange(const LatencyScale& scale)
{
    // A hair beyond the decades: the axis labels the decades inside its range, and
    // log10(0.1) computed as -0.99999... would leave the bottom one out.
    const double bottom = scale.bottom * (1 - 1e-9);
    const double top = scale.top * (1 + 1e-9);
    if (m_log->min() != bottom || m_log->max() != top)
        m_log->setRange(bottom, top);
}

double LatencyChart::axisMin() const
{
    return m_log->min();
}

double LatencyChart::axisMax() const
{
    return m_log->max();
}

QString LatencyChart::axisTitle() const
{
    return m_log->titleText();
}

} // namespace cs::ui
