#include "charts/timeview.h"

#include "models/logmodel.h"

#include <algorithm>

namespace cs::ui {

TimeView::TimeView(QObject* parent)
    : QObject(parent)
{
}

double TimeView::end() const
{
    return std::max(m_now, kLiveSpan);
}

TimeRange TimeView::range() const
{
    if (m_mode == Mode::Live)
        return { std::max(m_now, m_liveSpan) - m_liveSpan, std::max(m_now, m_liveSpan) };
    return m_range;
}

QString TimeView::description() const
{
    switch (m_mode) {
    case Mode::Live:
        return m_liveSpan < 120 ? tr("Live: the last %1 s").arg(m_liveSpan, 0, 'f', 0)
                                : tr("Live: the last %1 min").arg(m_liveSpan / 60, 0, 'f', m_liveSpan < 600 ? 1 : 0);
    case Mode::Paused: return tr("Paused at %1").arg(formatClusterTime(m_range.to));
    case Mode::Zoomed:
        return tr("%1 – %2, not live").arg(formatClusterTime(m_range.from), formatClusterTime(m_range.to));
    }
    return {};
}

void TimeView::show(double from, double to, Mode mode)
{
    // Never narrower than kMinSpan (widened about its middle), never wider than all there
    // is, never beyond either end.
    const double all = end();
    const double span = std::clamp(to - from, kMinSpan, all);
    if (to - from < span)
        from = (from + to) / 2 - span / 2;
    from = std::clamp(from, 0.0, all - span);
    const TimeRange wanted { from, from + span };
    if (m_mode == mode && m_range == wanted)
        return;
    m_mode = mode;
    m_range = wanted;
    Q_EMIT changed();
}

void TimeView::zoom(double anchor, double factor)
{
    const TimeRange r = range();
    anchor = std::clamp(anchor, r.from, r.to);
    const double share = r.span() > 0 ? (anchor - r.from) / r.span() : 1.0;
    const double span = std::clamp(r.span() * factor, kMinSpan, end());
    // The anchor keeps its share of the width, so the time under the cursor stays there
    // (unless an end of the data is reached).
    const double from = anchor - share * span;
    show(from, from + span, Mode::Zoomed);
}

void TimeView::select(double from, double to)
{
    if (from > to)
        std::swap(from, to);
    show(from, to, Mode::Zoomed);
}

void TimeView::pan(double seconds)
{
    const TimeRange r = range();
    show(r.from + seconds, r.to + seconds, Mode::Zoomed);
}

void TimeView::pause()
{
    if (m_mode != Mode::Live)
        return;
    m_range = range();
    m_mode = Mode::Paused;
    Q_EMIT changed();
}

void TimeView::goLive()
{
    if (m_mode == Mode::Live)
        return;
    m_liveSpan = std::max(m_range.span(), kMinSpan);
    m_mode = Mode::Live;
    Q_EMIT changed();
}

void TimeView::reset()
{
    if (m_mode == Mode::Live && m_liveSpan == kLiveSpan)
        return;
    m_liveSpan = kLiveSpan;
    m_mode = Mode::Live;
    Q_EMIT changed();
}

void TimeView::togglePause()
{
    if (live())
        pause();
    else
        goLive();
}

} // namespace cs::ui
