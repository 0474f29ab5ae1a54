#pragma once

#include "load/loadoptions.h"
#include "load/loadsummary.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace cs {

class LoadRun;

/// An HTTP/1.1 load generator: N connections on one io_context, on a thread of its own,
/// so the window's GUI thread and the command line can both drive it.
class LoadGenerator {
public:
    LoadGenerator();
    /// Stops a running load and joins its thread.
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    /// Starts the load on its own thread. `onProgress` (may be empty) is called about every
    /// 200 ms and once at the end, on the load thread. Returns false when a load is already
    /// running or the options are invalid (wait() then tells why in firstError).
    bool start(const LoadOptions& options, std::function<void(const LoadProgress&)> onProgress);
    /// Ends the load early; safe from any thread, and a no-op when nothing runs.
    void stop();
    /// True until the load has finished (by duration, count, or stop()).
    bool running() const { return m_running.load(); }
    /// Waits for the load to finish, joins its thread and returns what it measured.
    LoadSummary wait();

private:
    std::thread m_thread;
    std::atomic<bool> m_running { false };
    mutable std::mutex m_mutex; ///< guards m_run against stop() from another thread
    std::unique_ptr<LoadRun> m_run;
    LoadSummary m_summary;
};

} // namespace cs
