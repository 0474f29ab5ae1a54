#include "widgets/replaybar.h"

#include "adapter/replayadapter.h"

#include <cmath>

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

namespace cs::ui {

namespace {

/// "1:05", "1:02:03": cluster time as a replay shows it.
QString clock(double seconds)
{
    const long total = std::lround(std::max(0.0, seconds));
    const long h = total / 3600, m = total / 60 % 60, s = total % 60;
    return h > 0 ? QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(s, 2, 10, QLatin1Char('0'))
                 : QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

} // namespace

ReplayBar::ReplayBar(ReplayAdapter* replay, QWidget* parent)
    : QWidget(parent)
    , m_replay(replay)
    , m_play(new QToolButton(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_time(new QLabel(this))
    , m_speed(new QComboBox(this))
    , m_name(new QLabel(this))
    , m_close(new QToolButton(this))
{
    setObjectName(QStringLiteral("replayBar"));
    m_play->setObjectName(QStringLiteral("replayPlay"));
    m_slider->setObjectName(QStringLiteral("replaySlider"));
    m_speed->setObjectName(QStringLiteral("replaySpeed"));
    m_play->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    m_play->setToolTip(tr("Play or pause the recording (Space)"));
    m_play->setShortcut(QKeySequence(Qt::Key_Space));
    // Seeking backwards replays everything up to there: on release, not on every pixel.
    m_slider->setTracking(false);
    m_slider->setToolTip(tr("The recording's time: drag to see the cluster as it was then"));
    for (double speed : { 0.5, 1.0, 2.0, 5.0, 10.0, 60.0 })
        m_speed->addItem(QStringLiteral("%1×").arg(speed), speed);
    m_speed->setCurrentIndex(1);
    m_speed->setToolTip(tr("Playback speed"));
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_close->setText(tr("Close replay"));
    m_close->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_close->setToolTip(tr("Leave the replay; the window is free for a cluster again"));
    m_time->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("00:00:00 / 00:00:00")));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    layout->addWidget(m_play);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_time);
    layout->addWidget(m_speed);
    layout->addWidget(m_name);
    layout->addWidget(m_close);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::AlternateBase);

    connect(m_play, &QToolButton::clicked, m_replay, [this] { m_replay->setPlaying(!m_replay->playing()); });
    connect(m_slider, &QSlider::valueChanged, m_replay, [this](int ms) {
        if (std::lround(m_replay->position() * 1000) != ms)
            m_replay->seek(ms / 1000.0);
    });
    connect(m_speed, &QComboBox::currentIndexChanged, m_replay, [this](int index) {
        m_replay->setSpeed(m_speed->itemData(index).toDouble());
    });
    connect(m_close, &QToolButton::clicked, this, &ReplayBar::closeRequested);
    connect(m_replay, &ReplayAdapter::activeChanged, this, &ReplayBar::onActiveChanged);
    connect(m_replay, &ReplayAdapter::positionChanged, this, &ReplayBar::showPosition);
    connect(m_replay, &ReplayAdapter::playingChanged, this, [this](bool playing) {
        m_play->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    });
    onActiveChanged(m_replay->active());
}

QString ReplayBar::timeText() const
{
    return m_time->text();
}

void ReplayBar::onActiveChanged(bool active)
{
    setVisible(active);
    if (!active)
        return;
    const QSignalBlocker block(m_slider);
    m_slider->setRange(int(std::lround(m_replay->start() * 1000)), int(std::lround(m_replay->end() * 1000)));
    m_slider->setPageStep(std::max(1000, (m_slider->maximum() - m_slider->minimum()) / 20));
    m_slider->setSingleStep(500);
    const QFileInfo file(m_replay->path());
    m_name->setText(file.fileName());
    const Recording* r = m_replay->recording();
    m_name->setToolTip(tr("%1\nrecorded %2 on %3").arg(file.absoluteFilePath(), QString::fromStdString(r->header.started),
                                                      QString::fromStdString(r->header.host)));
    showPosition(m_replay->position());
}

void ReplayBar::showPosition(double seconds)
{
    const QSignalBlocker block(m_slider);
    if (!m_slider->isSliderDown())
        m_slider->setValue(int(std::lround(seconds * 1000)));
    m_time->setText(QStringLiteral("%1 / %2").arg(clock(seconds), clock(m_replay->end())));
}

} // namespace cs::ui
