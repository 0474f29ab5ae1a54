#include "adapter/loadadapter.h"

#include "load/loadgenerator.h"

#include <QMetaObject>

namespace cs::ui {

LoadAdapter::LoadAdapter(QObject* parent)
    : QObject(parent)
{
}

LoadAdapter::~LoadAdapter()
{
    // The waiter posts its summary to this object; posted events die with it, so joining
    // here is all it takes for nothing to arrive after.
    if (m_generator)
        m_generator->stop();
    if (m_waiter.joinable())
        m_waiter.join();
}

QString LoadAdapter::start(const LoadOptions& options)
{
    if (m_running)
        return tr("A load is already running; stop it first.");
    if (const std::string problem = validateLoadOptions(options); !problem.empty())
        return QString::fromStdString(problem);
    if (m_waiter.joinable())
        m_waiter.join();
    m_generator = std::make_unique<LoadGenerator>();
    // On the load thread: a copy of the numbers, queued to the GUI thread.
    const bool started = m_generator->start(options, [this](const LoadProgress& progress) {
        QMetaObject::invokeMethod(this, [this, progress] { Q_EMIT progressed(progress); }, Qt::QueuedConnection);
    });
    if (!started) {
        const LoadSummary summary = m_generator->wait();
        m_generator.reset();
        return summary.firstError.empty() ? tr("The load could not start.") : QString::fromStdString(summary.firstError);
    }
    m_running = true;
    m_options = options;
    m_waiter = std::thread([this, generator = m_generator.get()] {
        LoadSummary summary = generator->wait();
        QMetaObject::invokeMethod(this, [this, summary = std::move(summary)] { onFinished(summary); }, Qt::QueuedConnection);
    });
    Q_EMIT this->started();
    return {};
}

void LoadAdapter::stop()
{
    if (m_generator)
        m_generator->stop();
}

void LoadAdapter::onFinished(const LoadSummary& summary)
{
    if (m_waiter.joinable())
        m_waiter.join();
    m_generator.reset();
    m_running = false;
    Q_EMIT finished(summary);
}

} // namespace cs::ui
