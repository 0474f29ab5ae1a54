#pragma once

#include "cli/options.h"
#include "master/clusterconfig.h"

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cs::ui {

/// The cluster's launch form and controls: port, bind address, workers, policy (with its
/// one-line explanation), chaos; Start, Stop, Rolling restart, Scale -/+. Invalid input is
/// refused in place with one clear sentence. Values persist in QSettings.
class LauncherPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit LauncherPanel(QWidget* parent = nullptr);

    /// Fills the form: command-line values win, then saved settings, then defaults. Fields
    /// the form does not show (worker program, limits) come from `options.config`.
    void applyOptions(const CliOptions& options);
    /// The config the form describes (not validated).
    ClusterConfig config() const;
    void saveSettings() const;

    void setRunning(bool running);
    /// Shows one sentence under the form (empty hides it).
    void showError(const QString& message);
    QString errorText() const;

public Q_SLOTS:
    /// Validates the form; emits startRequested or shows why not.
    void requestStart();

Q_SIGNALS:
    void startRequested(const cs::ClusterConfig& config);
    void stopRequested();
    void rollingRestartRequested();
    void scaleUpRequested();
    void scaleDownRequested();

private:
    void updateExplanation();

    ClusterConfig m_base;
    QSpinBox* m_port;
    QLineEdit* m_bind;
    QSpinBox* m_workers;
    QComboBox* m_policy;
    QLabel* m_explanation;
    QCheckBox* m_chaos;
    QLabel* m_error;
    QPushButton* m_start;
    QPushButton* m_stop;
    QPushButton* m_rolling;
    QPushButton* m_scaleDown;
    QPushButton* m_scaleUp;
};

} // namespace cs::ui
