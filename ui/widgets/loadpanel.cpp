#include "widgets/loadpanel.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include "adapter/loadadapter.h"
#include "settings/settingtable.h"
#include "models/workertablemodel.h"

namespace cs::ui {

namespace {

// Singular and plural by hand: Qt's "%n" forms need a loaded translation, and we ship none.
QString requestsText(qulonglong n)
{
    return (n == 1 ? LoadPanel::tr("%L1 request") : LoadPanel::tr("%L1 requests")).arg(n);
}

QString errorsText(qulonglong n)
{
    return (n == 1 ? LoadPanel::tr("%L1 error") : LoadPanel::tr("%L1 errors")).arg(n);
}

} // namespace

LoadPanel::LoadPanel(QWidget* parent)
    : QGroupBox(tr("Load"), parent)
    , m_adapter(new LoadAdapter(this))
    , m_connections(new QSpinBox(this))
    , m_duration(new QSpinBox(this))
    , m_rate(new QSpinBox(this))
    , m_keepAlive(new QRadioButton(tr("Keep-alive"), this))
    , m_newConnection(new QRadioButton(tr("New connection"), this))
    , m_path(new QComboBox(this))
    , m_start(new QPushButton(tr("Run load"), this))
    , m_stop(new QPushButton(tr("Stop load"), this))
    , m_bar(new QProgressBar(this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("loadPanel"));
    m_connections->setObjectName(QStringLiteral("loadConnections"));
    // The limits are clusterscope-load's own (its table): the window offers what the command
    // line takes, in whole seconds.
    constexpr const Setting& connections = setting(Program::Load, "--connections");
    constexpr const Setting& duration = setting(Program::Load, "--duration");
    constexpr const Setting& rate = setting(Program::Load, "--rate");
    m_connections->setRange(int(connections.minimum), int(connections.maximum));
    m_connections->setToolTip(tr("How many connections send requests at the same time"));
    m_duration->setObjectName(QStringLiteral("loadDuration"));
    m_duration->setRange(1, int(duration.maximum));
    m_duration->setSuffix(tr(" s"));
    m_duration->setToolTip(tr("How long the load runs"));
    m_rate->setObjectName(QStringLiteral("loadRate"));
    m_rate->setRange(int(rate.minimum), int(rate.maximum));
    m_rate->setSingleStep(100);
    m_rate->setSpecialValueText(tr("as fast as possible"));
    m_rate->setSuffix(tr(" req/s"));
    m_rate->setToolTip(tr("Requests per second over all connections; 0 sends as fast as the cluster answers"));
    m_keepAlive->setObjectName(QStringLiteral("loadKeepAlive"));
    m_newConnection->setObjectName(QStringLiteral("loadNewConnection"));
    m_keepAlive->setToolTip(tr("Reuse each connection for many requests (HTTP keep-alive)"));
    m_newConnection->setToolTip(tr("Open a new connection for every request: shows how the policy spreads connections"));
    auto* mode = new QButtonGroup(this);
    mode->addButton(m_keepAlive);
    mode->addButton(m_newConnection);
    m_path->setObjectName(QStringLiteral("loadPath"));
    m_path->addItem(QStringLiteral("/"), tr("A tiny hello response: measures the plumbing"));
    m_path->addItem(QStringLiteral("/cpu?ms=5"), tr("Burns 5 ms of CPU per request: loads the cores"));
    m_path->addItem(QStringLiteral("/sleep?ms=50"), tr("Waits 50 ms per request without blocking: many open connections"));
    for (int i = 0; i < m_path->count(); ++i)
        m_path->setItemData(i, m_path->itemData(i), Qt::ToolTipRole);
    m_path->setToolTip(tr("Which request the load sends"));
    m_start->setObjectName(QStringLiteral("loadStartButton"));
    m_start->setToolTip(tr("Send load to the running cluster (Ctrl+L)"));
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_stop->setObjectName(QStringLiteral("loadStopButton"));
    m_stop->setToolTip(tr("Stop sending load"));
    m_bar->setRange(0, 1000);
    m_bar->setValue(0);
    m_bar->setTextVisible(false);
    m_bar->setMaximumHeight(8);
    m_bar->setToolTip(tr("How much of the load's duration has passed"));
    m_summary->setObjectName(QStringLiteral("loadSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont mono = m_summary->font();
    mono.setStyleHint(QFont::Monospace);
    mono.setFamily(QStringLiteral("monospace"));
    mono.setPointSizeF(mono.pointSizeF() * 0.9);
    m_summary->setFont(mono);
    m_summary->setToolTip(tr("What the last load run measured"));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Connections"), m_connections);
    form->addRow(tr("Duration"), m_duration);
    form->addRow(tr("Rate"), m_rate);
    auto* modes = new QHBoxLayout;
    modes->addWidget(m_keepAlive);
    modes->addWidget(m_newConnection);
    form->addRow(tr("Mode"), modes);
    form->addRow(tr("Path"), m_path);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_bar);
    layout->addWidget(m_summary);

    QSettings settings;
    settings.beginGroup(QStringLiteral("load"));
    m_connections->setValue(settings.value(QStringLiteral("connections"), 16).toInt());
    m_duration->setValue(settings.value(QStringLiteral("duration"), 20).toInt());
    m_rate->setValue(settings.value(QStringLiteral("rate"), 0).toInt());
    (settings.value(QStringLiteral("keepAlive"), true).toBool() ? m_keepAlive : m_newConnection)->setChecked(true);
    m_path->setCurrentIndex(std::max(0, m_path->findText(settings.value(QStringLiteral("path"), QStringLiteral("/")).toString())));

    connect(m_start, &QPushButton::clicked, this, &LoadPanel::start);
    connect(m_stop, &QPushButton::clicked, this, &LoadPanel::stop);
    connect(m_adapter, &LoadAdapter::started, this, [this] {
        m_bar->setValue(0);
        m_summary->setText(tr("Running…"));
        m_summary->setToolTip(tr("What the last load run measured"));
        updateButtons();
        Q_EMIT started();
    });
    connect(m_adapter, &LoadAdapter::progressed, this, &LoadPanel::showProgress);
    connect(m_adapter, &LoadAdapter::finished, this, &LoadPanel::showSummary);
    updateButtons();
}

// The adapter, a child, ends the load when it goes: no summary and no signal then.
LoadPanel::~LoadPanel() = default;

void LoadPanel::setTarget(const QString& host, quint16 port, int workers)
{
    m_workers = workers;
    m_host = host;
    if (m_host == QLatin1String("0.0.0.0"))
        m_host = QStringLiteral("127.0.0.1");
    else if (m_host == QLatin1String("::"))
        m_host = QStringLiteral("::1");
    m_port = port;
    updateButtons();
}

bool LoadPanel::running() const
{
    return m_adapter->running();
}

QString LoadPanel::summaryText() const
{
    return m_summary->text();
}

void LoadPanel::updateButtons()
{
    const bool target = !m_host.isEmpty() && m_port != 0;
    m_start->setEnabled(target && !running());
    m_stop->setEnabled(running());
    if (!target && !running())
        m_start->setToolTip(tr("Start the cluster first, then send load to it"));
    else
        m_start->setToolTip(tr("Send load to the running cluster (Ctrl+L)"));
}

void LoadPanel::start()
{
    if (running() || m_host.isEmpty() || m_port == 0)
        return;
    QSettings settings;
    settings.beginGroup(QStringLiteral("load"));
    settings.setValue(QStringLiteral("connections"), m_connections->value());
    settings.setValue(QStringLiteral("duration"), m_duration->value());
    settings.setValue(QStringLiteral("rate"), m_rate->value());
    settings.setValue(QStringLiteral("keepAlive"), m_keepAlive->isChecked());
    settings.setValue(QStringLiteral("path"), m_path->currentText());

    LoadOptions options;
    options.host = m_host.toStdString();
    options.port = m_port;
    options.connections = m_connections->value();
    options.durationSeconds = m_duration->value();
    options.rate = m_rate->value();
    options.keepAlive = m_keepAlive->isChecked();
    options.path = m_path->currentText().toStdString();
    options.workers = m_workers;
    if (const QString problem = m_adapter->start(options); !problem.isEmpty())
        m_summary->setText(problem);
}

void LoadPanel::showProgress(const LoadProgress& p)
{
    m_bar->setValue(int(p.fraction * 1000));
    m_summary->setText(tr("%1, %L2 req/s, %3")
                           .arg(requestsText(p.completed))
                           .arg(p.requestsPerSecond, 0, 'f', 0)
                           .arg(errorsText(p.errors)));
}

void LoadPanel::showSummary(const LoadSummary& s)
{
    m_bar->setValue(1000);
    // Over the cluster's workers, so one that got nothing pulls the index down.
    QString over;
    if (s.workersFrom == WorkerCount::Answered)
        over = s.workers == 1 ? tr("over the 1 worker that answered") : tr("over the %1 workers that answered").arg(s.workers);
    else
        over = s.workers == 1 ? tr("over 1 worker") : tr("over %1 workers").arg(s.workers);
    // Under a rate the latency counts from each request's scheduled send (stalls included);
    // the as-sent p99 beside it shows what a naive client would have reported.
    const QString latencyFrom = s.fromSchedule ? tr(" from schedule (as sent p99 %1 ms)").arg(s.asSent.p99Ms, 0, 'f', 2) : QString();
    QString text = tr("%1 in %2 s\n%L3 req/s, p50 %4 ms, p99 %5 ms%9\n%6, Jain %7 %8")
                       .arg(requestsText(s.completed))
                       .arg(s.elapsedSeconds, 0, 'f', 1)
                       .arg(s.requestsPerSecond, 0, 'f', 0)
                       .arg(s.p50Ms, 0, 'f', 2)
                       .arg(s.p99Ms, 0, 'f', 2)
                       .arg(errorsText(s.errors + s.non2xx))
                       .arg(formatFairness(s.fairness), s.fairness ? over : QString())
                       .arg(latencyFrom);
    text = text.trimmed();
    if (!s.firstError.empty())
        text += QLatin1Char('\n') + tr("First error: %1").arg(QString::fromStdString(s.firstError));
    m_summary->setText(text);
    m_summary->setToolTip(QString::fromStdString(formatSummary(s)));
    updateButtons();
    Q_EMIT finished(QString(text).replace(QLatin1Char('\n'), QStringLiteral("; ")));
}

void LoadPanel::stop()
{
    if (!running())
        return;
    m_adapter->stop();
    m_stop->setEnabled(false);
    m_summary->setText(tr("Stopping…"));
}

} // namespace cs::ui
