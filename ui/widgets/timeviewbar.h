#pragma once

#include <QWidget>

class QLabel;
class QToolButton;

namespace cs::ui {

class TimeView;

/// The row over the charts that says what time they show and gets them back to now:
/// "Pause" / "Live" (Space on a chart), "Reset view" (Home or Esc on a chart) and the view's
/// description ("Live: the last 60 s", "01:05.0 – 02:10.0, not live"). Zooming or panning
/// a chart leaves live mode; the bar says so and offers the way back.
class TimeViewBar : public QWidget {
    Q_OBJECT
public:
    explicit TimeViewBar(TimeView* view, QWidget* parent = nullptr);

    QToolButton* liveButton() const { return m_live; }
    QToolButton* resetButton() const { return m_reset; }
    QString text() const;

private:
    void update();

    TimeView* m_view;
    QToolButton* m_live;
    QToolButton* m_reset;
    QLabel* m_state;
    QString m_howTo;
};

} // namespace cs::ui
