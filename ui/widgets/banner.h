#pragma once

#include <QFrame>

class QLabel;
class QPushButton;
class QToolButton;

namespace cs::ui {

/// An inline message strip above the charts (after KMessageWidget): tinted by severity,
/// one sentence, an optional action button and a close button. Hidden until needed.
class Banner : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Information, Warning, Error };
    explicit Banner(QWidget* parent = nullptr);

    /// Shows `text`; with a non-empty `actionText` the action button is shown and
    /// actionTriggered() is emitted with `tag` when it is clicked.
    void showMessage(Kind kind, const QString& text, const QString& actionText = {}, int tag = 0);
    QString text() const;
    int tag() const { return m_tag; }

Q_SIGNALS:
    void actionTriggered(int tag);

protected:
    void changeEvent(QEvent* event) override;

private:
    void restyle();

    QLabel* m_icon;
    QLabel* m_text;
    QPushButton* m_action;
    QToolButton* m_close;
    Kind m_kind = Kind::Information;
    int m_tag = 0;
};

} // namespace cs::ui
