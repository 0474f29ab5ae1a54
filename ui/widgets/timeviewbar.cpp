#include "widgets/timeviewbar.h"

#include "charts/timeview.h"

#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace cs::ui {

TimeViewBar::TimeViewBar(TimeView* view, QWidget* parent)
    : QWidget(parent)
    , m_view(view)
    , m_live(new QToolButton(this))
    , m_reset(new QToolButton(this))
    , m_state(new QLabel(this))
{
    setObjectName(QStringLiteral("timeViewBar"));
    m_live->setObjectName(QStringLiteral("liveButton"));
    m_reset->setObjectName(QStringLiteral("resetViewButton"));
    m_state->setObjectName(QStringLiteral("timeViewState"));
    m_live->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_reset->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_reset->setText(tr("Reset view"));
    m_reset->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_reset->setToolTip(tr("Back to live, the last 60 seconds (Home or Esc on a chart; double-click a chart)"));
    m_howTo = tr("On a time chart: the wheel zooms around the cursor, a drag zooms into a range, shift-drag "
                           "or middle-drag pans, Left/Right pan, +/- zoom. Click a legend entry to hide its line. "
                           "The charts keep everything since the cluster started.");
    setToolTip(m_howTo);
    // As wide as the longest description in bold, so the menu bar, which places this once,
    // never cuts a longer one off.
    QFont bold = m_state->font();
    bold.setBold(true);
    m_state->setMinimumWidth(QFontMetrics(bold).horizontalAdvance(tr("%1 – %2, not live").arg(QStringLiteral("000:00.0"), QStringLiteral("000:00.0"))) + 8);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(m_live);
    layout->addWidget(m_reset);
    layout->addWidget(m_state, 1);
    connect(m_live, &QToolButton::clicked, m_view, &TimeView::togglePause);
    connect(m_reset, &QToolButton::clicked, m_view, &TimeView::reset);
    connect(m_view, &TimeView::changed, this, &TimeViewBar::update);
    update();
}

QString TimeViewBar::text() const
{
    return m_state->text();
}

void TimeViewBar::update()
{
    const bool live = m_view->live();
    m_live->setText(live ? tr("Pause") : tr("Live"));
    m_live->setIcon(style()->standardIcon(live ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_live->setToolTip(live ? tr("Stop following the newest data (Space on a chart)")
                            : tr("Follow the newest data again, at this zoom (Space on a chart)"));
    m_reset->setEnabled(!live || m_view->range().span() != TimeView::kLiveSpan);
    m_state->setText(m_view->description());
    m_state->setToolTip(live ? m_howTo : tr("Not following the newest data: Live follows it again at this zoom, "
                                            "Reset view shows the last 60 seconds.\n%1").arg(m_howTo));
    // Not live is worth a glance: the charts no longer move.
    QFont font = m_state->font();
    font.setBold(!live);
    m_state->setFont(font);
}

} // namespace cs::ui
