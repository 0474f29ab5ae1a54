#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QSlider;
class QToolButton;

namespace cs::ui {

class ReplayAdapter;

/// The controls of a replay: play/pause, a time slider, the speed, the recording's time and
/// name, and a button that ends the replay. Shown only while a recording is open.
class ReplayBar : public QWidget {
    Q_OBJECT
public:
    explicit ReplayBar(ReplayAdapter* replay, QWidget* parent = nullptr);

    QSlider* slider() const { return m_slider; }
    QToolButton* playButton() const { return m_play; }
    /// "1:05 / 3:20"
    QString timeText() const;

Q_SIGNALS:
    void closeRequested();

private:
    void onActiveChanged(bool active);
    void showPosition(double seconds);

    ReplayAdapter* m_replay;
    QToolButton* m_play;
    QSlider* m_slider;
    QLabel* m_time;
    QComboBox* m_speed;
    QLabel* m_name;
    QToolButton* m_close;
};

} // namespace cs::ui
