#pragma once

#include <memory>

#include <QGroupBox>
#include <QString>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTimer;

namespace cs {
class LoadGenerator;
}

namespace cs::ui {

/// Drives the load generator against the running cluster: connections, duration, rate,
/// keep-alive or a new connection per request, which path; Start/Stop, a progress bar
/// and the summary when it is done. The generator runs on its own threads; its progress
/// is polled on the GUI thread, so nothing crosses threads but a few atomics.
class LoadPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit LoadPanel(QWidget* parent = nullptr);
    ~LoadPanel() override; ///< stops a running load

    /// Where the load goes and how many workers serve there, so that Jain's index counts a
    /// worker that gets no response (0: not known, the index is over those that answered).
    /// An empty host (cluster not running) disables Start.
    void setTarget(const QString& host, quint16 port, int workers);
    bool running() const;
    QString summaryText() const;

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    /// A load run began: what it sends from now is one run (the share chart counts it alone).
    void started();
    void finished(const QString& summary);

private:
    void poll();
    void finish();
    void updateButtons();

    struct Progress;
    std::unique_ptr<LoadGenerator> m_generator;
    std::shared_ptr<Progress> m_progress;
    QString m_host;
    quint16 m_port = 0;
    int m_workers = 0;
    QSpinBox* m_connections;
    QSpinBox* m_duration;
    QSpinBox* m_rate;
    QRadioButton* m_keepAlive;
    QRadioButton* m_newConnection;
    QComboBox* m_path;
    QPushButton* m_start;
    QPushButton* m_stop;
    QProgressBar* m_bar;
    QLabel* m_summary;
    QTimer* m_poll;
};

} // namespace cs::ui
