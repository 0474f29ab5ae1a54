#pragma once

#include "load/loadoptions.h"
#include "load/loadsummary.h"

#include <memory>
#include <thread>

#include <QObject>
#include <QString>

namespace cs {
class LoadGenerator;
}

namespace cs::ui {

/// The one QObject over the load generator, as ClusterAdapter is over the cluster: it runs
/// the generator on its own threads and brings its progress and its summary onto the GUI
/// thread as queued signals. Nothing in the window polls the generator or shares its state.
class LoadAdapter : public QObject {
    Q_OBJECT
public:
    explicit LoadAdapter(QObject* parent = nullptr);
    ~LoadAdapter() override; ///< stops a running load and joins its threads; no signal after

    /// From start() until finished() is emitted.
    bool running() const { return m_running; }
    /// Starts a load run. Empty when it started (started() has been emitted), else one
    /// sentence saying why not.
    QString start(const cs::LoadOptions& options);
    /// The options of the run that runs, or ran last.
    const cs::LoadOptions& options() const { return m_options; }

public Q_SLOTS:
    /// Ends a running load early; finished() follows with what it measured.
    void stop();

Q_SIGNALS:
    /// A load run began: what it sends from now on is one run.
    void started();
    /// About every 200 ms while it runs, and once at its end.
    void progressed(const cs::LoadProgress& progress);
    void finished(const cs::LoadSummary& summary);

private:
    void onFinished(const cs::LoadSummary& summary); ///< GUI thread

    std::unique_ptr<LoadGenerator> m_generator;
    LoadOptions m_options;
    std::thread m_waiter; ///< waits for the generator's end and hands its summary over
    bool m_running = false;
};

} // namespace cs::ui
