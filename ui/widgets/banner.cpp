#include "widgets/banner.h"

#include "models/slotpalette.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace cs::ui {

Banner::Banner(QWidget* parent)
    : QFrame(parent)
    , m_icon(new QLabel(this))
    , m_text(new QLabel(this))
    , m_action(new QPushButton(this))
    , m_close(new QToolButton(this))
{
    setObjectName(QStringLiteral("banner"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_icon);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_action);
    layout->addWidget(m_close);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_action->setObjectName(QStringLiteral("bannerAction"));
    m_action->setToolTip(tr("Do what the message suggests"));
    m_close->setAutoRaise(true);
    m_close->setText(QStringLiteral("✕"));
    m_close->setToolTip(tr("Hide this message"));
    connect(m_action, &QPushButton::clicked, this, [this] {
        hide();
        Q_EMIT actionTriggered(m_tag);
    });
    connect(m_close, &QToolButton::clicked, this, &QWidget::hide);
    hide();
}

void Banner::showMessage(Kind kind, const QString& text, const QString& actionText, int tag)
{
    m_kind = kind;
    m_tag = tag;
    m_text->setText(text);
    m_action->setVisible(!actionText.isEmpty());
    m_action->setText(actionText);
    const QStyle::StandardPixmap icon = kind == Kind::Error ? QStyle::SP_MessageBoxCritical
        : kind == Kind::Warning                             ? QStyle::SP_MessageBoxWarning
                                                            : QStyle::SP_MessageBoxInformation;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize);
    m_icon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    restyle();
    show();
}

QString Banner::text() const
{
    return m_text->text();
}

void Banner::changeEvent(QEvent* event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && isVisible())
        restyle();
}

void Banner::restyle()
{
    // A tint of the severity colour over the window colour: readable on light and dark.
    const QColor tone = toneColor(m_kind == Kind::Error ? Tone::Error : m_kind == Kind::Warning ? Tone::Warning : Tone::Ok);
    // The window colour of the parent: our own palette is the one the style sheet changes.
    const QColor window = (parentWidget() ? parentWidget()->palette() : palette()).color(QPalette::Window);
    const auto mix = [&](double a) {
        return QColor::fromRgbF(float(tone.redF() * a + window.redF() * (1 - a)),
                                float(tone.greenF() * a + window.greenF() * (1 - a)),
                                float(tone.blueF() * a + window.blueF() * (1 - a)));
    };
    const QString sheet = QStringLiteral("QFrame#banner { background: %1; border: 1px solid %2; border-radius: 4px; }")
                              .arg(mix(0.18).name(), mix(0.7).name());
    // Setting a style sheet sends a palette change itself: only set a different one, so
    // restyle() never recurses.
    if (sheet != styleSheet())
        setStyleSheet(sheet);
}

} // namespace cs::ui
