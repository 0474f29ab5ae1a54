#pragma once

#include "cli/options.h"
#include "master/clusterconfig.h"

#include <functional>
#include <map>
#include <optional>

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace cs::ui {

struct ClusterActions;

/// The cluster's launch form and controls: port, bind address, workers, policy (with its
/// one-line explanation), chaos, the CPUs and pinning, the worker program (built-in or the user's own, with
/// arguments, working directory and environment), the metrics port; Start, Stop, Rolling
/// restart, Scale -/+. Invalid input is refused in place with one clear sentence. Values
/// persist in QSettings.
class LauncherPanel : public QGroupBox {
    Q_OBJECT
public:
    explicit LauncherPanel(QWidget* parent = nullptr);

    /// Fills the form: command-line values win, then saved settings, then defaults. Fields
    /// the form does not show (worker program, limits) come from `options.config`.
    void applyOptions(const CliOptions& options);
    /// The config the form describes (not validated).
    ClusterConfig config() const;
    /// Fills the form from a config (a loaded cluster definition); fields the form does not
    /// show are kept for config().
    void setConfig(const ClusterConfig& config);
    /// The Prometheus port asked for: -1 when the field is empty (off).
    int metricsPort() const;
    void setMetricsPort(int port);
    void saveSettings() const;

    /// Asked before binding an address other machines can reach; true to go on. The default
    /// asks with a message box; tests put their own answer here.
    using ExposureQuestion = std::function<bool(const QString& address)>;
    void setExposureQuestion(ExposureQuestion question) { m_askExposure = std::move(question); }
    static bool isLoopback(const QString& address);

    /// "Your own program" selected in the worker choice.
    bool ownProgram() const;
    void setOwnProgram(bool own);

    /// Locks the form while a cluster runs (it shows what runs).
    void setRunning(bool running);
    /// The port the running cluster listens on (0: none). Asked for "any free port", the
    /// locked Port field shows which one it got; the value asked for stays for the next start.
    void setListeningPort(quint16 port);
    /// The number of workers the running cluster has now (it was scaled): the Workers field
    /// shows it, and the next start and the saved settings take it.
    void setWorkerCount(int workers);
    /// Enables each button exactly when its action can act.
    void setActions(const ClusterActions& actions);
    /// Shows one sentence by the field it is about (ConfigField::None: under the form), in
    /// place of any earlier one; an empty message clears them all. Editing a field clears
    /// its own sentence.
    void showProblem(ConfigField field, const QString& message);
    void showError(const QString& message) { showProblem(ConfigField::None, message); }
    /// The sentence shown now, wherever it is; empty when none.
    QString errorText() const;
    /// The field the shown sentence is about (None when none or general).
    ConfigField errorField() const { return m_errorField; }

public Q_SLOTS:
    /// Validates the form; emits startRequested or shows why not.
    void requestStart();

Q_SIGNALS:
    void startRequested(const cs::ClusterConfig& config);
    void stopRequested();
    void rollingRestartRequested();
    void scaleUpRequested();
    void scaleDownRequested();
    /// The sentence shown changed (empty: none is shown any more).
    void problemChanged(const QString& message);

private:
    void updateExplanation();
    void updateProgramMode();
    void updateArgumentsTip();
    void browseProgram();
    void browseDirectory();
    /// The first problem with the own-program fields, or nullopt.
    std::optional<ConfigProblem> programProblem() const;
    /// The problem with the CPU list's text (not a list at all), or nullopt.
    std::optional<ConfigProblem> cpusProblem() const;
    QLabel* errorLabel(ConfigField field) const;
    void clearProblem(ConfigField field);

    ClusterConfig m_base;
    ExposureQuestion m_askExposure;
    QSpinBox* m_port;
    QLineEdit* m_bind;
    QSpinBox* m_workers;
    QComboBox* m_policy;
    QLabel* m_explanation;
    QCheckBox* m_chaos;
    QLineEdit* m_cpus; ///< --cpus; empty: all
    QCheckBox* m_pin; ///< --pin
    QComboBox* m_workerKind;
    QWidget* m_programBox;
    QLineEdit* m_program;
    QToolButton* m_programBrowse;
    QLineEdit* m_args;
    QLineEdit* m_cwd;
    QToolButton* m_cwdBrowse;
    QPlainTextEdit* m_env;
    QLineEdit* m_metricsPort;
    QLabel* m_error; ///< problems about no field in particular, under the form
    /// One label under each field a problem can be about; hidden while it has nothing to say.
    std::map<ConfigField, QLabel*> m_fieldErrors;
    ConfigField m_errorField = ConfigField::None;
    QPushButton* m_start;
    QPushButton* m_stop;
    QPushButton* m_rolling;
    QPushButton* m_scaleDown;
    QPushButton* m_scaleUp;
};

} // namespace cs::ui
