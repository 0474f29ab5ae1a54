#include "widgets/launcherpanel.h"

#include "models/slotpalette.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace cs::ui {

namespace {

QString qs(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

} // namespace

LauncherPanel::LauncherPanel(QWidget* parent)
    : QGroupBox(tr("Cluster"), parent)
    , m_port(new QSpinBox(this))
    , m_bind(new QLineEdit(this))
    , m_workers(new QSpinBox(this))
    , m_policy(new QComboBox(this))
    , m_explanation(new QLabel(this))
    , m_chaos(new QCheckBox(tr("Chaos: allow GET /crash"), this))
    , m_error(new QLabel(this))
    , m_start(new QPushButton(tr("Start"), this))
    , m_stop(new QPushButton(tr("Stop"), this))
    , m_rolling(new QPushButton(tr("Rolling restart"), this))
    , m_scaleDown(new QPushButton(tr("− Worker"), this))
    , m_scaleUp(new QPushButton(tr("+ Worker"), this))
{
    setObjectName(QStringLiteral("launcherPanel"));
    m_port->setObjectName(QStringLiteral("portSpin"));
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    m_port->setToolTip(tr("TCP port the master binds; 0 picks any free port"));
    m_bind->setObjectName(QStringLiteral("bindEdit"));
    m_bind->setToolTip(tr("Address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface"));
    m_workers->setObjectName(QStringLiteral("workersSpin"));
    m_workers->setRange(1, 256);
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
    m_chaos->setToolTip(tr("Let workers crash on request (GET /crash), to watch the master respawn them"));
    m_error->setObjectName(QStringLiteral("launcherError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette errorPalette = m_error->palette();
    errorPalette.setColor(QPalette::WindowText, toneColor(Tone::Error));
    m_error->setPalette(errorPalette);
    m_error->hide();

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
    form->addRow(tr("&Port"), m_port);
    form->addRow(tr("&Bind"), m_bind);
    form->addRow(tr("&Workers"), m_workers);
    form->addRow(tr("P&olicy"), m_policy);
    form->addRow(QString(), m_explanation);
    form->addRow(QString(), m_chaos);

    auto* buttons = new QGridLayout;
    buttons->addWidget(m_start, 0, 0);
    buttons->addWidget(m_stop, 0, 1);
    buttons->addWidget(m_rolling, 1, 0, 1, 2);
    buttons->addWidget(m_scaleDown, 2, 0);
    buttons->addWidget(m_scaleUp, 2, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addLayout(buttons);

    connect(m_policy, &QComboBox::currentIndexChanged, this, &LauncherPanel::updateExplanation);
    connect(m_start, &QPushButton::clicked, this, &LauncherPanel::requestStart);
    connect(m_stop, &QPushButton::clicked, this, &LauncherPanel::stopRequested);
    connect(m_rolling, &QPushButton::clicked, this, &LauncherPanel::rollingRestartRequested);
    connect(m_scaleUp, &QPushButton::clicked, this, &LauncherPanel::scaleUpRequested);
    connect(m_scaleDown, &QPushButton::clicked, this, &LauncherPanel::scaleDownRequested);
    // Editing a field clears an old complaint about it.
    connect(m_port, &QSpinBox::valueChanged, this, [this] { showError({}); });
    connect(m_bind, &QLineEdit::textEdited, this, [this] { showError({}); });

    applyOptions(CliOptions {});
    setRunning(false);
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
    Policy policy = options.config.policy;
    if (!options.policyGiven)
        policy = parsePolicy(settings.value(QStringLiteral("policy")).toString().toStdString()).value_or(defaults.policy);
    m_policy->setCurrentIndex(std::max(0, m_policy->findData(int(policy))));
    m_chaos->setChecked(options.chaosGiven ? options.config.chaos : settings.value(QStringLiteral("chaos"), false).toBool());
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
    return config;
}

void LauncherPanel::saveSettings() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("launcher"));
    settings.setValue(QStringLiteral("port"), m_port->value());
    settings.setValue(QStringLiteral("bind"), m_bind->text().trimmed());
    settings.setValue(QStringLiteral("workers"), m_workers->value());
    settings.setValue(QStringLiteral("policy"), m_policy->currentText());
    settings.setValue(QStringLiteral("chaos"), m_chaos->isChecked());
}

void LauncherPanel::setRunning(bool running)
{
    // While running the form shows what runs; only the live controls stay enabled.
    for (QWidget* field : { static_cast<QWidget*>(m_port), static_cast<QWidget*>(m_bind),
                            static_cast<QWidget*>(m_policy), static_cast<QWidget*>(m_chaos),
                            static_cast<QWidget*>(m_workers) })
        field->setEnabled(!running);
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    m_rolling->setEnabled(running);
    m_scaleUp->setEnabled(running);
    m_scaleDown->setEnabled(running);
}

void LauncherPanel::showError(const QString& message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

QString LauncherPanel::errorText() const
{
    return m_error->isVisible() ? m_error->text() : QString();
}

void LauncherPanel::requestStart()
{
    if (!m_start->isEnabled())
        return;
    const ClusterConfig candidate = config();
    if (const auto problem = validate(withDefaults(candidate))) {
        showError(QString::fromStdString(*problem));
        return;
    }
    showError({});
    saveSettings();
    Q_EMIT startRequested(candidate);
}

void LauncherPanel::updateExplanation()
{
    const auto policy = Policy(m_policy->currentData().toInt());
    const QString text = qs(policyExplanation(policy));
    m_explanation->setText(text);
    m_policy->setToolTip(tr("How connections reach the workers: %1").arg(text));
}

} // namespace cs::ui
