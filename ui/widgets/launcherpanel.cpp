#include "widgets/launcherpanel.h"

#include "affinity/cpulist.h"
#include "models/clusteractions.h"
#include "models/slotpalette.h"
#include "settings/settingtable.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QIntValidator>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

namespace cs::ui {

namespace {

QString qs(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

const char* const kNeedsBuiltIn = QT_TRANSLATE_NOOP("cs::ui::LauncherPanel",
                                                   "Needs the built-in worker: the master hands connections over its own channel.");

/// The inverse of QProcess::splitCommand, so a loaded definition shows its arguments in the
/// same form the user would type them: quotes where a space or a quote needs them.
QString joinArguments(const std::vector<std::string>& args, std::size_t from)
{
    QStringList parts;
    for (std::size_t i = from; i < args.size(); ++i) {
        QString arg = QString::fromStdString(args[i]);
        if (arg.isEmpty() || arg.contains(QLatin1Char(' ')) || arg.contains(QLatin1Char('\t'))
            || arg.contains(QLatin1Char('"'))) {
            arg.replace(QStringLiteral("\""), QStringLiteral("\"\"\""));
            arg = QLatin1Char('"') + arg + QLatin1Char('"');
        }
        parts.append(arg);
    }
    return parts.join(QLatin1Char(' '));
}

QStringList environmentLines(const QString& text)
{
    QStringList lines;
    for (const QString& line : text.split(QLatin1Char('\n'))) {
        const QString trimmed = line.trimmed();
        if (!trimmed.isEmpty())
            lines.append(trimmed);
    }
    return lines;
}

enum WorkerKind { BuiltIn, OwnProgram };

} // namespace

LauncherPanel::LauncherPanel(QWidget* parent)
    : QGroupBox(tr("Cluster"), parent)
    , m_port(new QSpinBox(this))
    , m_bind(new QLineEdit(this))
    , m_workers(new QSpinBox(this))
    , m_policy(new QComboBox(this))
    , m_explanation(new QLabel(this))
    , m_chaos(new QCheckBox(tr("Chaos: allow GET /crash"), this))
    , m_cpus(new QLineEdit(this))
    , m_pin(new QCheckBox(tr("Pin workers"), this))
    , m_workerKind(new QComboBox(this))
    , m_programBox(new QWidget(this))
    , m_program(new QLineEdit(m_programBox))
    , m_programBrowse(new QToolButton(m_programBox))
    , m_args(new QLineEdit(m_programBox))
    , m_cwd(new QLineEdit(m_programBox))
    , m_cwdBrowse(new QToolButton(m_programBox))
    , m_env(new QPlainTextEdit(m_programBox))
    , m_metricsPort(new QLineEdit(this))
    , m_error(new QLabel(this))
    , m_start(new QPushButton(tr("Start"), this))
    , m_stop(new QPushButton(tr("Stop"), this))
    , m_rolling(new QPushButton(tr("Rolling restart"), this))
    , m_scaleDown(new QPushButton(tr("− Worker"), this))
    , m_scaleUp(new QPushButton(tr("+ Worker"), this))
{
    setObjectName(QStringLiteral("launcherPanel"));
    m_port->setObjectName(QStringLiteral("portSpin"));
    constexpr const Setting& port = setting(Program::Clusterscope, "--port");
    m_port->setRange(int(port.minimum), int(port.maximum));
    m_port->setSpecialValueText(tr("any free port"));
    m_port->setToolTip(tr("TCP port the master binds; 0 picks any free port"));
    m_bind->setObjectName(QStringLiteral("bindEdit"));
    m_bind->setToolTip(tr("Address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface"));
    m_workers->setObjectName(QStringLiteral("workersSpin"));
    constexpr const Setting& workers = setting(Program::Clusterscope, "--workers");
    m_workers->setRange(int(workers.minimum), int(workers.maximum));
    m_workers->setToolTip(tr("How many worker processes to fork; the default is one per CPU core"));
    m_policy->setObjectName(QStringLiteral("policyCombo"));
    for (Policy policy : kAllPolicies) {
        m_policy->addItem(qs(policyName(policy)), int(policy));
        m_policy->setItemData(m_policy->count() - 1, qs(policyExplanation(policy)), Qt::ToolTipRole);
    }
    m_explanation->setWordWrap(true);
    m_explanation->setObjectName(QStringLiteral("policyExplanation"));
    QFont small = m_explanation->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_explanation->setFont(small);
    m_explanation->setForegroundRole(QPalette::PlaceholderText);
    m_chaos->setObjectName(QStringLiteral("chaosCheck"));
    m_chaos->setToolTip(tr("Let workers crash on request (GET /crash, built-in worker), and crash a chosen "
                           "worker from the table's menu, to watch the master respawn them"));
    m_cpus->setObjectName(QStringLiteral("cpusEdit"));
    m_cpus->setPlaceholderText(tr("all"));
    m_cpus->setToolTip(tr("The CPUs the workers may run on, e.g. 0,2-3 (empty: all of them). The master itself "
                          "is not restricted."));
    m_pin->setObjectName(QStringLiteral("pinCheck"));
    m_pin->setToolTip(tr("Worker N runs on one CPU only: the N-th of the CPUs beside it (or of all), round again "
                         "when there are more workers than CPUs. A respawned worker gets its slot's CPU again. "
                         "Watch the \"Where each worker ran\" chart: unpinned workers move between cores."));

    m_workerKind->setObjectName(QStringLiteral("workerKindCombo"));
    m_workerKind->addItem(tr("Built-in worker"), int(BuiltIn));
    m_workerKind->addItem(tr("Your own program"), int(OwnProgram));
    m_workerKind->setItemData(0, tr("clusterscope-worker: measures requests, connections and latency"), Qt::ToolTipRole);
    m_workerKind->setItemData(1, tr("Run your own server (Node, Python, Go, …) as the workers; it gets the listening "
                                    "socket as fd 3 (systemd socket activation) or $PORT"),
                              Qt::ToolTipRole);
    m_workerKind->setToolTip(tr("Which program the workers run"));
    m_program->setObjectName(QStringLiteral("programEdit"));
    m_program->setPlaceholderText(tr("program, e.g. node or /usr/bin/python3"));
    m_program->setToolTip(tr("The program every worker runs; looked up on PATH when it has no slash. No shell is used."));
    m_programBrowse->setText(QStringLiteral("…"));
    m_programBrowse->setToolTip(tr("Choose the program"));
    m_args->setObjectName(QStringLiteral("argsEdit"));
    m_args->setPlaceholderText(tr("arguments, e.g. server.js --quiet"));
    m_cwd->setObjectName(QStringLiteral("cwdEdit"));
    m_cwd->setPlaceholderText(tr("working directory (empty: this one)"));
    m_cwd->setToolTip(tr("The folder the workers start in"));
    m_cwdBrowse->setText(QStringLiteral("…"));
    m_cwdBrowse->setToolTip(tr("Choose the working directory"));
    m_env->setObjectName(QStringLiteral("envEdit"));
    m_env->setPlaceholderText(tr("NAME=value, one per line"));
    m_env->setToolTip(tr("Extra environment for every worker, one NAME=value per line"));
    m_env->setTabChangesFocus(true);
    m_env->setFixedHeight(m_env->fontMetrics().lineSpacing() * 3 + 12);
    m_metricsPort->setObjectName(QStringLiteral("metricsPortEdit"));
    constexpr const Setting& metricsPort = setting(Program::Clusterscope, "--metrics-port");
    m_metricsPort->setValidator(new QIntValidator(int(metricsPort.minimum), int(metricsPort.maximum), m_metricsPort));
    m_metricsPort->setPlaceholderText(tr("off"));
    m_metricsPort->setToolTip(tr("Serve Prometheus metrics on 127.0.0.1 at this port while the cluster runs "
                                 "(empty: off, 0: any free port)"));

    QPalette errorPalette = m_error->palette();
    errorPalette.setColor(QPalette::WindowText, toneColor(Tone::Error));
    auto makeErrorLabel = [&](QLabel* label, const QString& name) {
        label->setObjectName(name);
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setPalette(errorPalette);
        // A long sentence wraps in the column instead of widening it.
        label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        label->hide();
    };
    makeErrorLabel(m_error, QStringLiteral("launcherError"));
    for (const auto& [field, name] : { std::pair { ConfigField::Port, "portError" }, { ConfigField::Bind, "bindError" },
                                       { ConfigField::Workers, "workersError" }, { ConfigField::Policy, "policyError" },
                                       { ConfigField::Cpus, "cpusError" },
                                       { ConfigField::WorkerProgram, "workerProgramError" },
                                       { ConfigField::Program, "programError" },
                                       { ConfigField::Environment, "environmentError" } }) {
        auto* label = new QLabel(field == ConfigField::Program || field == ConfigField::Environment ? m_programBox : this);
        makeErrorLabel(label, QString::fromLatin1(name));
        m_fieldErrors[field] = label;
    }

    m_start->setObjectName(QStringLiteral("startButton"));
    m_start->setToolTip(tr("Fork the workers and start serving (F5)"));
    m_start->setDefault(true);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setToolTip(tr("Stop gracefully: stop accepting, let workers finish their requests (Shift+F5)"));
    m_rolling->setObjectName(QStringLiteral("rollingButton"));
    m_rolling->setToolTip(tr("Replace every worker one by one without dropping requests (Ctrl+Shift+R)"));
    m_scaleDown->setObjectName(QStringLiteral("scaleDownButton"));
    m_scaleDown->setToolTip(tr("Drain and stop the highest worker slot (Ctrl+-)"));
    m_scaleUp->setObjectName(QStringLiteral("scaleUpButton"));
    m_scaleUp->setToolTip(tr("Fork one more worker (Ctrl++)"));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // Each field's complaint sits right under it.
    form->addRow(tr("&Port"), m_port);
    form->addRow(QString(), m_fieldErrors[ConfigField::Port]);
    form->addRow(tr("&Bind"), m_bind);
    form->addRow(QString(), m_fieldErrors[ConfigField::Bind]);
    form->addRow(tr("&Workers"), m_workers);
    form->addRow(QString(), m_fieldErrors[ConfigField::Workers]);
    form->addRow(tr("P&olicy"), m_policy);
    form->addRow(QString(), m_fieldErrors[ConfigField::Policy]);
    form->addRow(QString(), m_explanation);
    form->addRow(QString(), m_chaos);
    // One row for both: the form's height is what decides whether the left column folds.
    auto* cpusRow = new QHBoxLayout;
    cpusRow->setContentsMargins(0, 0, 0, 0);
    // The checkbox beside it must not widen the left column (its width comes from the
    // fields' size hints): the edit asks for no width of its own and takes what is left.
    m_cpus->setMinimumWidth(m_cpus->fontMetrics().horizontalAdvance(QStringLiteral("0,2-3")) + 16);
    m_cpus->setSizePolicy(QSizePolicy::Ignored, m_cpus->sizePolicy().verticalPolicy());
    cpusRow->addWidget(m_cpus, 1);
    cpusRow->addWidget(m_pin);
    auto* cpusLabel = new QLabel(tr("CP&Us"), this);
    cpusLabel->setBuddy(m_cpus);
    form->addRow(cpusLabel, cpusRow);
    form->addRow(QString(), m_fieldErrors[ConfigField::Cpus]);
    form->addRow(tr("Wor&ker program"), m_workerKind);
    form->addRow(QString(), m_fieldErrors[ConfigField::WorkerProgram]);
    form->addRow(m_programBox); // full width: its own labels line up under the outer ones
    form->addRow(tr("&Metrics port"), m_metricsPort);

    // The program fields take the column's width, never set it: a long path or the text
    // box's default size must not push the charts aside.
    for (QWidget* field : { static_cast<QWidget*>(m_program), static_cast<QWidget*>(m_args),
                            static_cast<QWidget*>(m_cwd), static_cast<QWidget*>(m_env) })
        field->setSizePolicy(QSizePolicy::Ignored, field->sizePolicy().verticalPolicy());
    // Same for the explanation: a word-wrapped label asks for more width the longer its text.
    m_explanation->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* programForm = new QFormLayout(m_programBox);
    programForm->setContentsMargins(0, 0, 0, 0);
    programForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto* programRow = new QHBoxLayout;
    programRow->addWidget(m_program, 1);
    programRow->addWidget(m_programBrowse);
    auto* cwdRow = new QHBoxLayout;
    cwdRow->addWidget(m_cwd, 1);
    cwdRow->addWidget(m_cwdBrowse);
    programForm->addRow(tr("Program"), programRow);
    programForm->addRow(QString(), m_fieldErrors[ConfigField::Program]);
    programForm->addRow(tr("Arguments"), m_args);
    programForm->addRow(tr("Folder"), cwdRow);
    programForm->addRow(tr("Environment"), m_env);
    programForm->addRow(QString(), m_fieldErrors[ConfigField::Environment]);

    auto* buttons = new QGridLayout;
    buttons->addWidget(m_start, 0, 0);
    buttons->addWidget(m_stop, 0, 1);
    buttons->addWidget(m_rolling, 1, 0, 1, 2);
    buttons->addWidget(m_scaleDown, 2, 0);
    buttons->addWidget(m_scaleUp, 2, 1);

    // The buttons above the form: a complaint appearing or going under a field never moves
    // them (out from under the pointer, or under it).
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addLayout(form);
    layout->addWidget(m_error);

    connect(m_policy, &QComboBox::currentIndexChanged, this, &LauncherPanel::updateExplanation);
    connect(m_start, &QPushButton::clicked, this, &LauncherPanel::requestStart);
    connect(m_stop, &QPushButton::clicked, this, &LauncherPanel::stopRequested);
    connect(m_rolling, &QPushButton::clicked, this, &LauncherPanel::rollingRestartRequested);
    connect(m_scaleUp, &QPushButton::clicked, this, &LauncherPanel::scaleUpRequested);
    connect(m_scaleDown, &QPushButton::clicked, this, &LauncherPanel::scaleDownRequested);
    // Editing a field clears the complaint about it (and only that one).
    connect(m_port, &QSpinBox::valueChanged, this, [this] { clearProblem(ConfigField::Port); });
    connect(m_bind, &QLineEdit::textEdited, this, [this] { clearProblem(ConfigField::Bind); });
    connect(m_workers, &QSpinBox::valueChanged, this, [this] { clearProblem(ConfigField::Workers); });
    connect(m_policy, &QComboBox::currentIndexChanged, this, [this] { clearProblem(ConfigField::Policy); });
    connect(m_cpus, &QLineEdit::textEdited, this, [this] { clearProblem(ConfigField::Cpus); });
    connect(m_pin, &QCheckBox::toggled, this, [this] { clearProblem(ConfigField::Cpus); });
    connect(m_program, &QLineEdit::textEdited, this, [this] { clearProblem(ConfigField::Program); });
    connect(m_env, &QPlainTextEdit::textChanged, this, [this] { clearProblem(ConfigField::Environment); });
    connect(m_workerKind, &QComboBox::currentIndexChanged, this, [this] {
        for (ConfigField field : { ConfigField::Program, ConfigField::Environment, ConfigField::WorkerProgram,
                                   ConfigField::Policy })
            clearProblem(field);
    });
    connect(m_workerKind, &QComboBox::currentIndexChanged, this, &LauncherPanel::updateProgramMode);
    connect(m_args, &QLineEdit::textChanged, this, &LauncherPanel::updateArgumentsTip);
    connect(m_program, &QLineEdit::textChanged, this, &LauncherPanel::updateArgumentsTip);
    connect(m_programBrowse, &QToolButton::clicked, this, &LauncherPanel::browseProgram);
    connect(m_cwdBrowse, &QToolButton::clicked, this, &LauncherPanel::browseDirectory);
    m_askExposure = [this](const QString& address) {
        const auto answer = QMessageBox::question(
            this, tr("Reachable from other machines"),
            tr("Workers on %1 are reachable from other machines on your network, not only from this one. "
               "Start anyway?")
                .arg(address),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        return answer == QMessageBox::Yes;
    };
    updateArgumentsTip();

    applyOptions(CliOptions {});
    setRunning(false);
    setActions(clusterActions(false, nullptr));
}

void LauncherPanel::applyOptions(const CliOptions& options)
{
    m_base = options.config;
    QSettings settings;
    settings.beginGroup(QStringLiteral("launcher"));
    const ClusterConfig defaults;
    const int cores = std::max(1, QThread::idealThreadCount());
    m_port->setValue(options.portGiven ? options.config.port : settings.value(QStringLiteral("port"), defaults.port).toInt());
    m_bind->setText(options.bindGiven ? QString::fromStdString(options.config.bindAddress)
                                      : settings.value(QStringLiteral("bind"), QString::fromStdString(defaults.bindAddress)).toString());
    int workers = options.workersGiven ? options.config.workers : settings.value(QStringLiteral("workers"), cores).toInt();
    m_workers->setValue(workers > 0 ? workers : cores);
    // Chaos is a fault injector: on only when asked for now, never by memory alone.
    m_chaos->setChecked(options.chaosGiven && options.config.chaos);
    if (options.cpusGiven) {
        m_cpus->setText(QString::fromStdString(formatCpuList(options.config.cpus)));
        m_pin->setChecked(options.config.pin);
    } else {
        m_cpus->setText(settings.value(QStringLiteral("cpus")).toString());
        m_pin->setChecked(settings.value(QStringLiteral("pin"), false).toBool());
    }

    // The worker program: --exec or --config win as a whole (they describe one program);
    // else what was used last time.
    const bool fromCommandLine = !options.config.execCommand.empty() || !options.configFile.empty();
    if (fromCommandLine) {
        const auto& exec = options.config.execCommand;
        m_program->setText(exec.empty() ? QString() : QString::fromStdString(exec.front()));
        m_args->setText(joinArguments(exec, 1));
        m_cwd->setText(QString::fromStdString(options.config.workingDirectory));
        QStringList env;
        for (const std::string& entry : options.config.environment)
            env.append(QString::fromStdString(entry));
        m_env->setPlainText(env.join(QLatin1Char('\n')));
        setOwnProgram(!exec.empty());
    } else {
        m_program->setText(settings.value(QStringLiteral("program")).toString());
        m_args->setText(settings.value(QStringLiteral("arguments")).toString());
        m_cwd->setText(settings.value(QStringLiteral("workingDirectory")).toString());
        m_env->setPlainText(settings.value(QStringLiteral("environment")).toString());
        // A policy given on the command line wins over a remembered program that cannot run
        // under it (one of the user's own cannot take hand-offs from the master): then the
        // built-in worker runs, and the remembered program stays in its fields.
        const bool handsOff = options.policyGiven && masterAccepts(options.config.policy);
        setOwnProgram(settings.value(QStringLiteral("ownProgram"), false).toBool() && !handsOff);
    }
    // The policy after the program: the program decides which policies are offered.
    Policy policy = options.config.policy;
    if (!options.policyGiven && options.configFile.empty())
        policy = parsePolicy(settings.value(QStringLiteral("policy")).toString().toStdString()).value_or(defaults.policy);
    const int policyIndex = m_policy->findData(int(policy));
    if (policyIndex >= 0 && (!ownProgram() || !masterAccepts(policy)))
        m_policy->setCurrentIndex(policyIndex);
    if (options.metricsPort >= 0)
        setMetricsPort(options.metricsPort);
    else
        m_metricsPort->setText(settings.value(QStringLiteral("metricsPort")).toString());
    updateExplanation();
    showError({});
}

ClusterConfig LauncherPanel::config() const
{
    ClusterConfig config = m_base;
    config.port = std::uint16_t(m_port->value());
    config.bindAddress = m_bind->text().trimmed().toStdString();
    config.workers = m_workers->value();
    config.policy = Policy(m_policy->currentData().toInt());
    config.chaos = m_chaos->isChecked();
    config.pin = m_pin->isChecked();
    // Text that is no list leaves the set empty here; requestStart() refuses it first.
    config.cpus = parseCpuList(m_cpus->text().trimmed().toStdString()).value_or(CpuList {});
    config.execCommand.clear();
    config.workingDirectory.clear();
    config.environment.clear();
    if (ownProgram()) {
        // Split the way a shell would read the line, for the user's convenience; the result is
        // passed to the program as a list, and no shell ever runs.
        config.execCommand.push_back(m_program->text().trimmed().toStdString());
        for (const QString& arg : QProcess::splitCommand(m_args->text()))
            config.execCommand.push_back(arg.toStdString());
        config.workingDirectory = m_cwd->text().trimmed().toStdString();
        for (const QString& line : environmentLines(m_env->toPlainText()))
            config.environment.push_back(line.toStdString());
    }
    return config;
}

void LauncherPanel::setConfig(const ClusterConfig& config)
{
    CliOptions options;
    options.config = config;
    options.portGiven = options.bindGiven = options.workersGiven = options.policyGiven = options.chaosGiven = true;
    options.cpusGiven = true;
    // Marks the program fields as given, even when the definition names the built-in worker.
    options.configFile = "definition";
    const int metrics = metricsPort();
    applyOptions(options);
    setMetricsPort(metrics); // not part of a cluster definition
}

int LauncherPanel::metricsPort() const
{
    bool ok = false;
    const int port = m_metricsPort->text().trimmed().toInt(&ok);
    return ok && port >= 0 && port <= 65535 ? port : -1;
}

void LauncherPanel::setMetricsPort(int port)
{
    m_metricsPort->setText(port >= 0 ? QString::number(port) : QString());
}

bool LauncherPanel::ownProgram() const
{
    return m_workerKind->currentData().toInt() == OwnProgram;
}

void LauncherPanel::setOwnProgram(bool own)
{
    m_workerKind->setCurrentIndex(m_workerKind->findData(int(own ? OwnProgram : BuiltIn)));
    updateProgramMode();
}

bool LauncherPanel::isLoopback(const QString& address)
{
    // The same rule as the command line's warning (a bind address is an IP address: validate()
    // refuses a name before this is asked).
    return isLoopbackAddress(address.trimmed().toStdString());
}

void LauncherPanel::saveSettings() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("launcher"));
    settings.setValue(QStringLiteral("port"), m_port->value());
    settings.setValue(QStringLiteral("bind"), m_bind->text().trimmed());
    settings.setValue(QStringLiteral("workers"), m_workers->value());
    settings.setValue(QStringLiteral("policy"), m_policy->currentText());
    settings.setValue(QStringLiteral("cpus"), m_cpus->text().trimmed());
    settings.setValue(QStringLiteral("pin"), m_pin->isChecked());
    settings.setValue(QStringLiteral("ownProgram"), ownProgram());
    settings.setValue(QStringLiteral("program"), m_program->text().trimmed());
    settings.setValue(QStringLiteral("arguments"), m_args->text());
    settings.setValue(QStringLiteral("workingDirectory"), m_cwd->text().trimmed());
    settings.setValue(QStringLiteral("environment"), m_env->toPlainText());
    settings.setValue(QStringLiteral("metricsPort"), m_metricsPort->text().trimmed());
}

void LauncherPanel::setRunning(bool running)
{
    // While running the form shows what runs; only the live controls stay enabled.
    for (QWidget* field : { static_cast<QWidget*>(m_port), static_cast<QWidget*>(m_bind),
                            static_cast<QWidget*>(m_policy), static_cast<QWidget*>(m_chaos),
                            static_cast<QWidget*>(m_cpus), static_cast<QWidget*>(m_pin),
                            static_cast<QWidget*>(m_workers), static_cast<QWidget*>(m_workerKind),
                            static_cast<QWidget*>(m_programBox), static_cast<QWidget*>(m_metricsPort) })
        field->setEnabled(!running);
}

void LauncherPanel::setListeningPort(quint16 port)
{
    m_port->setSpecialValueText(port != 0 ? tr("%1 (any free port)").arg(port) : tr("any free port"));
}

void LauncherPanel::setWorkerCount(int workers)
{
    if (workers > 0)
        m_workers->setValue(workers);
}

void LauncherPanel::setActions(const ClusterActions& actions)
{
    m_start->setEnabled(actions.start);
    m_stop->setEnabled(actions.stop);
    m_rolling->setEnabled(actions.rollingRestart);
    m_scaleUp->setEnabled(actions.addWorker);
    m_scaleDown->setEnabled(actions.removeWorker);
}

QLabel* LauncherPanel::errorLabel(ConfigField field) const
{
    const auto it = m_fieldErrors.find(field);
    if (it == m_fieldErrors.end())
        return m_error;
    // The program's own fields are hidden with the built-in worker: say it under the form then.
    if ((field == ConfigField::Program || field == ConfigField::Environment) && !ownProgram())
        return m_error;
    return it->second;
}

void LauncherPanel::showProblem(ConfigField field, const QString& message)
{
    m_error->hide();
    for (const auto& entry : m_fieldErrors)
        entry.second->hide();
    m_errorField = message.isEmpty() ? ConfigField::None : field;
    if (!message.isEmpty()) {
        QLabel* label = errorLabel(field);
        label->setText(message);
        label->show();
    }
    Q_EMIT problemChanged(message);
}

void LauncherPanel::clearProblem(ConfigField field)
{
    if (m_errorField == field && !errorText().isEmpty())
        showProblem(ConfigField::None, {});
}

QString LauncherPanel::errorText() const
{
    if (!m_error->isHidden())
        return m_error->text();
    for (const auto& entry : m_fieldErrors)
        if (!entry.second->isHidden())
            return entry.second->text();
    return {};
}

std::optional<ConfigProblem> LauncherPanel::programProblem() const
{
    if (!ownProgram())
        return std::nullopt;
    if (m_program->text().trimmed().isEmpty())
        return ConfigProblem { ConfigField::Program,
                               tr("Choose the program the workers run, or pick the built-in worker.").toStdString() };
    const QStringList lines = environmentLines(m_env->toPlainText());
    for (int i = 0; i < lines.size(); ++i) {
        const qsizetype eq = lines[i].indexOf(QLatin1Char('='));
        if (eq <= 0)
            return ConfigProblem { ConfigField::Environment,
                                   tr("Environment line %1 (\"%2\") is not NAME=value; fix or remove it.")
                                       .arg(i + 1)
                                       .arg(lines[i])
                                       .toStdString() };
    }
    return std::nullopt;
}

std::optional<ConfigProblem> LauncherPanel::cpusProblem() const
{
    const QString text = m_cpus->text().trimmed();
    if (text.isEmpty() || parseCpuList(text.toStdString()))
        return std::nullopt;
    return ConfigProblem { ConfigField::Cpus,
                           tr("\"%1\" is not a list of CPUs; use numbers and ranges such as 0,2-3, or leave it empty "
                              "for all of them.")
                               .arg(text)
                               .toStdString() };
}

void LauncherPanel::requestStart()
{
    if (!m_start->isEnabled())
        return;
    if (const auto problem = programProblem()) {
        showProblem(problem->field, QString::fromStdString(problem->message));
        return;
    }
    if (const auto problem = cpusProblem()) {
        showProblem(problem->field, QString::fromStdString(problem->message));
        return;
    }
    const ClusterConfig candidate = config();
    if (const auto problem = validate(withDefaults(candidate))) {
        showProblem(problem->field, QString::fromStdString(problem->message));
        return;
    }
    // Safe default (issue 6): the loopback needs no question; anything else exposes the
    // workers (and /crash with chaos) to the network, so the user confirms it first.
    const QString bind = QString::fromStdString(candidate.bindAddress);
    if (!isLoopback(bind) && m_askExposure && !m_askExposure(bind)) {
        showProblem(ConfigField::Bind,
                    tr("Not started: the workers would have listened on %1. Use 127.0.0.1 to keep them on this machine.")
                        .arg(bind));
        return;
    }
    showError({});
    saveSettings();
    Q_EMIT startRequested(candidate);
}

void LauncherPanel::updateProgramMode()
{
    const bool own = ownProgram();
    m_programBox->setVisible(own);
    // The hand-off policies send connections over the built-in worker's channel: a program
    // we did not write cannot take them, so they are offered for the built-in worker only.
    auto* items = qobject_cast<QStandardItemModel*>(m_policy->model());
    for (int i = 0; i < m_policy->count(); ++i) {
        const auto policy = Policy(m_policy->itemData(i).toInt());
        const bool offered = !own || !masterAccepts(policy);
        if (items)
            items->item(i)->setEnabled(offered);
        m_policy->setItemData(i,
                              offered ? qs(policyExplanation(policy))
                                      : tr(kNeedsBuiltIn) + QLatin1Char(' ') + qs(policyExplanation(policy)),
                              Qt::ToolTipRole);
    }
    if (own && masterAccepts(Policy(m_policy->currentData().toInt())))
        m_policy->setCurrentIndex(m_policy->findData(int(Policy::Shared)));
    updateExplanation();
}

void LauncherPanel::updateArgumentsTip()
{
    const QStringList args = QProcess::splitCommand(m_args->text());
    QStringList shown;
    shown.append(QStringLiteral("[%1]").arg(m_program->text().trimmed()));
    for (const QString& arg : args)
        shown.append(QStringLiteral("[%1]").arg(arg));
    m_args->setToolTip(tr("Arguments for the program, split like a shell would split them (quotes group words); "
                          "no shell runs. The workers will run:\n%1")
                           .arg(shown.join(QLatin1Char(' '))));
}

void LauncherPanel::browseProgram()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Worker program"), m_cwd->text());
    if (!file.isEmpty()) {
        m_program->setText(file);
        showError({});
    }
}

void LauncherPanel::browseDirectory()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Working directory"), m_cwd->text());
    if (!dir.isEmpty())
        m_cwd->setText(dir);
}

void LauncherPanel::updateExplanation()
{
    const auto policy = Policy(m_policy->currentData().toInt());
    QString text = qs(policyExplanation(policy));
    m_policy->setToolTip(tr("How connections reach the workers: %1\n\n%2\n\n%3")
                             .arg(text, qs(policySpread(policy)), qs(policyCost(policy))));
    if (ownProgram())
        text += QLatin1Char('\n') + tr("Round-robin and least-connections: %1").arg(tr(kNeedsBuiltIn).toLower());
    m_explanation->setText(text);
}

} // namespace cs::ui
