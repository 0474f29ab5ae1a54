#pragma once

#include <functional>

#include <QList>
#include <QWidget>

class QSplitter;
class QTabBar;
class QTabWidget;

namespace cs::ui {

/// Panes shown together while they fit (side by side in a splitter, or one above the other
/// in a box) and as tabs when they do not, so that a small window shows each pane whole
/// instead of squeezing or clipping them all. A splitter's panes can also turn the other
/// way first (side by side -> one above the other) when that fits. Whether a mode fits is
/// the owner's rule, asked on every resize with this widget's size. The minimum size is
/// that of the tabs (the largest pane and a tab bar): a parent can always make room for it.
class FoldingPanes : public QWidget {
    Q_OBJECT
public:
    enum class Mode {
        Together, ///< as the together-view lays them out
        Turned, ///< a splitter's panes, in its other orientation
        Tabs,
    };
    Q_ENUM(Mode)
    using Fits = std::function<bool(const QSize& size)>;

    /// `together` shows the panes while they fit: a QSplitter, or a widget with a QBoxLayout
    /// (the panes go in before anything already in it, e.g. a stretch). This widget owns it.
    explicit FoldingPanes(QWidget* together, QWidget* parent = nullptr);

    void addPane(QWidget* pane, const QString& title);
    /// Whether the panes fit together at a size (default: the together-view's minimum size).
    void setFits(Fits fits);
    /// Whether a splitter's panes fit turned the other way (default: never).
    void setTurnedFits(Fits fits);
    Mode mode() const { return m_mode; }
    bool isFolded() const { return m_mode == Mode::Tabs; }
    /// The tabs the panes fold into (for tests and state).
    QTabWidget* tabs() const { return m_tabs; }

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

Q_SIGNALS:
    void modeChanged(cs::ui::FoldingPanes::Mode mode);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void setMode(Mode mode);
    void toTabs();
    void fromTabs();
    void place();
    Qt::Orientation orientationFor(Mode mode) const;

    QWidget* m_together;
    QSplitter* m_splitter; ///< m_together when it is a splitter, else null
    Qt::Orientation m_orientation = Qt::Horizontal; ///< the splitter's own
    QTabWidget* m_tabs;
    QTabBar* m_measure; ///< never shown: the tab bar's height while the panes are together
    QList<QWidget*> m_panes;
    QList<QString> m_titles;
    QList<QString> m_groupTitles; ///< a group box pane's own title, given back when unfolded
    QList<QWidget*> m_pages; ///< a box pane's tab page: the pane at the top, a stretch below
    QList<int> m_sizes[2]; ///< the splitter's sizes together and turned, kept across modes
    Fits m_fits;
    Fits m_turnedFits;
    Mode m_mode = Mode::Together;
    int m_lastTab = 0; ///< the tab shown when the panes last folded
};

} // namespace cs::ui
