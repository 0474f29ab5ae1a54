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

namespace cs {
struct LoadProgress;
struct LoadSummary;
}

namespace cs::ui {

class LoadAdapter;

/// Drives the load generator against the running cluster: connections, duration, rate,
/// keep-alive or a new connection per request, which path; Start/Stop, a progress bar
/// and the summary when it is done. The generator runs behind its LoadAdapter, whose
/// signals bring its progress and summary to this panel on the GUI thread.
class LoadPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit LoadPanel(QWidget* parent = nullptr);
    ~LoadPanel() override; ///< stops a running load

    LoadAdapter* adapter() const { return m_adapter; }

    /// Where the load goes and how many workers serve there, so that Jain's index counts a
    /// worker that gets no response (0: not known, the index is over those that answered).
    /// An empty host (cluster not running) disables Start.
    void setTarget(const QString& host, quint16 port, int workers);
    /// From the start of a run until its summary is shown (a stopped run too).
    bool running() const;
    QString summaryText() const;

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    /// A load run began: what it sends from now is one run (the share chart counts it alone).
    void started();
    /// The run ended (by its duration or by stop()); its summary in one line.
    void finished(const QString& summary);

private:
    void showProgress(const cs::LoadProgress& progress);
    void showSummary(const cs::LoadSummary& summary);
    void updateButtons();

    LoadAdapter* m_adapter;
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
};

} // namespace cs::ui
