#include "charts/chartnote.h"

#include <algorithm>

#include <QAbstractAxis>
#include <QAbstractSeries>
#include <QChart>
#include <QEvent>
#include <QLegend>

namespace cs::ui {

ChartNote::ChartNote(QWidget* chartView, QChart* chart)
    : QLabel(chartView)
    , m_chart(chart)
{
    setObjectName(QStringLiteral("chartNote"));
    setWordWrap(true);
    setAlignment(Qt::AlignCenter);
    setAutoFillBackground(true);
    setMargin(8);
    // Clicks and tooltips belong to the chart underneath.
    setAttribute(Qt::WA_TransparentForMouseEvents);
    restyle();
    hide();
    chartView->installEventFilter(this);
}

void ChartNote::setNote(const QString& text)
{
    if (text == this->text() && isVisible() == !text.isEmpty())
        return;
    setText(text);
    const bool shown = !text.isEmpty();
    // Axes go too: an empty grid with a scale would still read as "measured, nothing there".
    for (QAbstractSeries* series : m_chart->series())
        series->setVisible(!shown);
    for (QAbstractAxis* axis : m_chart->axes())
        axis->setVisible(!shown);
    m_chart->legend()->setVisible(!shown);
    setVisible(shown);
    if (shown) {
        place();
        raise();
    }
}

bool ChartNote::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parent()) {
        if (event->type() == QEvent::Resize)
            place();
        else if (event->type() == QEvent::PaletteChange)
            restyle();
    }
    return QLabel::eventFilter(watched, event);
}

void ChartNote::place()
{
    auto* view = parentWidget();
    const int wanted = fontMetrics().horizontalAdvance(text()) + 2 * margin() + 8;
    setFixedWidth(std::max(std::min(view->width() - 24, wanted), 80));
    adjustSize();
    move((view->width() - this->width()) / 2, (view->height() - height()) / 2);
}

void ChartNote::restyle()
{
    QPalette p = parentWidget()->palette();
    QColor back = p.color(QPalette::Window);
    back.setAlpha(235);
    p.setColor(QPalette::Window, back);
    p.setColor(QPalette::WindowText, p.color(QPalette::PlaceholderText));
    setPalette(p);
}

} // namespace cs::ui
