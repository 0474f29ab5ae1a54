#include "widgets/foldingpanes.h"

#include <algorithm>

#include <QBoxLayout>
#include <QGroupBox>
#include <QResizeEvent>
#include <QSplitter>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>

namespace cs::ui {

FoldingPanes::FoldingPanes(QWidget* together, QWidget* parent)
    : QWidget(parent)
    , m_together(together)
    , m_splitter(qobject_cast<QSplitter*>(together))
    , m_tabs(new QTabWidget(this))
    , m_measure(new QTabBar(this))
{
    // No layout: the panes are placed by hand, so that the together-view's minimum (all
    // panes at once) never becomes this widget's; it folds instead.
    m_together->setParent(this);
    if (m_splitter)
        m_orientation = m_splitter->orientation();
    m_tabs->setDocumentMode(true);
    m_tabs->hide();
    m_measure->hide();
    m_fits = [this](const QSize& size) {
        const QSize need = m_together->minimumSizeHint();
        return need.width() <= size.width() && need.height() <= size.height();
    };
    m_turnedFits = [](const QSize&) { return false; };
}

void FoldingPanes::addPane(QWidget* pane, const QString& title)
{
    m_panes.append(pane);
    m_titles.append(title);
    auto* group = qobject_cast<QGroupBox*>(pane);
    m_groupTitles.append(group ? group->title() : QString());
    auto* page = new QWidget(this);
    page->hide();
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    m_pages.append(page);
    m_measure->addTab(title);
    if (m_mode == Mode::Tabs)
        m_tabs->addTab(pane, title);
    else if (m_splitter)
        m_splitter->addWidget(pane);
    else if (auto* box = qobject_cast<QBoxLayout*>(m_together->layout()))
        box->insertWidget(int(m_panes.size()) - 1, pane);
    updateGeometry();
}

void FoldingPanes::setFits(Fits fits)
{
    m_fits = std::move(fits);
}

void FoldingPanes::setTurnedFits(Fits fits)
{
    m_turnedFits = std::move(fits);
}

QSize FoldingPanes::minimumSizeHint() const
{
    QSize largest(0, 0);
    for (const QWidget* pane : m_panes)
        largest = largest.expandedTo(pane->minimumSizeHint().expandedTo(pane->minimumSize()));
    // The tab widget's frame and its bar.
    const int frame = 2 * style()->pixelMetric(QStyle::PM_DefaultFrameWidth, nullptr, this);
    return { largest.width() + frame, largest.height() + m_measure->sizeHint().height() + frame };
}

QSize FoldingPanes::sizeHint() const
{
    return m_together->sizeHint().expandedTo(minimumSizeHint());
}

void FoldingPanes::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    // Decided before the panes are placed: a squeezed together-view is never drawn.
    const QSize size = event->size();
    setMode(m_fits(size) ? Mode::Together : m_splitter && m_turnedFits(size) ? Mode::Turned : Mode::Tabs);
    if (m_splitter && m_mode != Mode::Tabs)
        m_splitter->setOrientation(orientationFor(m_mode)); // a restored splitter state may have turned it
    place();
}

Qt::Orientation FoldingPanes::orientationFor(Mode mode) const
{
    if (mode != Mode::Turned)
        return m_orientation;
    return m_orientation == Qt::Horizontal ? Qt::Vertical : Qt::Horizontal;
}

void FoldingPanes::place()
{
    m_together->setGeometry(rect());
    m_tabs->setGeometry(rect());
}

void FoldingPanes::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    if (m_splitter && m_mode != Mode::Tabs)
        m_sizes[m_mode == Mode::Turned ? 1 : 0] = m_splitter->sizes();
    if (m_mode == Mode::Tabs)
        fromTabs();
    m_mode = mode;
    if (mode == Mode::Tabs) {
        toTabs();
    } else if (m_splitter) {
        m_splitter->setOrientation(orientationFor(mode));
        if (const QList<int>& sizes = m_sizes[mode == Mode::Turned ? 1 : 0]; !sizes.isEmpty())
            m_splitter->setSizes(sizes);
    }
    place();
    Q_EMIT modeChanged(mode);
}

void FoldingPanes::toTabs()
{
    for (int i = 0; i < m_panes.size(); ++i) {
        // A group box says on its frame what the tab already says.
        if (auto* group = qobject_cast<QGroupBox*>(m_panes[i]))
            group->setTitle({});
        if (m_splitter) {
            m_tabs->addTab(m_panes[i], m_titles[i]);
        } else {
            // Box panes keep their natural height at the top of the tab, as in the box.
            m_pages[i]->layout()->addWidget(m_panes[i]);
            static_cast<QBoxLayout*>(m_pages[i]->layout())->addStretch(1);
            m_tabs->addTab(m_pages[i], m_titles[i]);
        }
    }
    m_tabs->setCurrentIndex(std::clamp(m_lastTab, 0, int(m_panes.size()) - 1));
    m_together->hide();
    m_tabs->show();
}

void FoldingPanes::fromTabs()
{
    m_lastTab = m_tabs->currentIndex();
    m_tabs->blockSignals(true);
    while (m_tabs->count() > 0)
        m_tabs->removeTab(0);
    m_tabs->blockSignals(false);
    for (int i = 0; i < m_panes.size(); ++i) {
        if (auto* group = qobject_cast<QGroupBox*>(m_panes[i]))
            group->setTitle(m_groupTitles[i]);
        if (m_splitter) {
            m_splitter->insertWidget(i, m_panes[i]);
        } else {
            QLayout* page = m_pages[i]->layout();
            while (QLayoutItem* item = page->takeAt(0))
                delete item; // the pane's item (the pane moves on below) and the stretch
            if (auto* box = qobject_cast<QBoxLayout*>(m_together->layout()))
                box->insertWidget(i, m_panes[i]);
        }
        m_panes[i]->show();
    }
    m_tabs->hide();
    m_together->show();
}

} // namespace cs::ui
