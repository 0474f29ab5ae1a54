#include "load/loadgenerator.h"

#include "load/responseparser.h"
#include "messages/wording.h"
#include "metrics/histogram.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace cs {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// Room for the largest response head the parser accepts, and then some for reading bodies.
constexpr std::size_t kBufferBytes = 2 * ResponseParser::kHeaderLimit;
static_assert(kBufferBytes > ResponseParser::kHeaderLimit);
constexpr auto kProgressPeriod = std::chrono::milliseconds(200);
// After a failed connect, wait a little before the next attempt so a dead port is not a busy loop.
constexpr auto kConnectBackoff = std::chrono::milliseconds(20);

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

LatencyFigures latencyFigures(const LatencyHistogram& histogram, Clock::duration max)
{
    LatencyFigures f;
    f.maxMs = std::chrono::duration<double, std::milli>(max).count();
    // Quantiles are bucket midpoints; never report one above the exact maximum.
    auto quantileMs = [&](double q) { return std::min(histogram.quantileMicros(q) / 1000.0, f.maxMs); };
    f.p50Ms = quantileMs(0.50);
    f.p90Ms = quantileMs(0.90);
    f.p99Ms = quantileMs(0.99);
    return f;
}

} // namespace

class LoadConnection;

/// One load: owns the io_context, the connections and the counters. Everything except
/// requestStop() runs on the load thread, so the counters need no locks.
class LoadRun {
public:
    LoadRun(LoadOptions options, std::function<void(const LoadProgress&)> onProgress);
    ~LoadRun();
    LoadSummary run();
    void requestStop();

    // Used by the connections, on the load thread.
    bool finished() const { return m_finished; }
    std::optional<std::uint64_t> claimSlot();
    Clock::time_point slotTime(std::uint64_t slot) const;
    /// `latency` is timed from the request's scheduled send time under a rate (else from
    /// the send), `asSent` from the moment it was actually written.
    void recordResponse(Clock::duration latency, Clock::duration asSent, int status, std::string_view worker);
    void recordError(const std::string& message);
    void recordConnect() { ++m_connects; }
    void connectionEnded();
    const LoadOptions& options() const { return m_options; }
    const std::string& request() const { return m_request; }
    const std::string& target() const { return m_target; } ///< host:port, for messages
    const tcp::resolver::results_type& endpoints() const { return m_endpoints; }
    asio::io_context& io() { return m_io; }

private:
    void finish();
    void attemptDone();
    void scheduleProgress();
    LoadProgress progress(Clock::time_point now);

    LoadOptions m_options;
    std::function<void(const LoadProgress&)> m_onProgress;
    asio::io_context m_io { 1 };
    asio::steady_timer m_durationTimer { m_io };
    asio::steady_timer m_progressTimer { m_io };
    tcp::resolver::results_type m_endpoints;
    std::string m_request;
    std::string m_target;
    // Declared after m_io so they are destroyed first, while the io_context still exists.
    std::vector<std::unique_ptr<LoadConnection>> m_connections;
    int m_live = 0;

    bool m_finished = false;
    std::atomic<bool> m_stopRequested { false };
    Clock::time_point m_start;
    Clock::time_point m_end;
    std::uint64_t m_issued = 0;
    std::uint64_t m_done = 0; ///< attempts that ended, as a response or an error
    std::uint64_t m_completed = 0;
    std::uint64_t m_errors = 0;
    std::uint64_t m_non2xx = 0;
    std::uint64_t m_connects = 0;
    Clock::duration m_maxLatency {};
    LatencyHistogram m_latency; ///< from the scheduled send time under a rate
    Clock::duration m_maxAsSent {};
    LatencyHistogram m_asSent; ///< from the actual send
    std::map<std::string, std::uint64_t, std::less<>> m_perWorker;
    std::string m_firstError;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> m_recent; ///< for the recent rate
};

/// Memory for the one operation of a kind a connection has pending at a time (a socket
/// operation, a pacing wait, a deadline wait): Asio allocates each operation through the
/// handler's allocator, so with this one the request loop allocates nothing.
class HandlerMemory {
public:
    void* allocate(std::size_t size)
    {
        if (!m_inUse && size <= sizeof m_storage) {
            m_inUse = true;
            return m_storage;
        }
        return ::operator new(size); // larger or overlapping: correct, just not free
    }
    void deallocate(void* pointer)
    {
        if (pointer == m_storage)
            m_inUse = false;
        else
            ::operator delete(pointer);
    }

private:
    alignas(std::max_align_t) unsigned char m_storage[512];
    bool m_inUse = false;
};

template <typename T>
class HandlerAllocator {
public:
    using value_type = T;
    explicit HandlerAllocator(HandlerMemory& memory)
        : m_memory(&memory)
    {
    }
    template <typename U>
    HandlerAllocator(const HandlerAllocator<U>& other) noexcept
        : m_memory(other.m_memory)
    {
    }
    T* allocate(std::size_t n) { return static_cast<T*>(m_memory->allocate(sizeof(T) * n)); }
    void deallocate(T* pointer, std::size_t) { m_memory->deallocate(pointer); }
    template <typename U>
    bool operator==(const HandlerAllocator<U>& other) const noexcept
    {
        return m_memory == other.m_memory;
    }

private:
    template <typename>
    friend class HandlerAllocator;
    HandlerMemory* m_memory;
};

/// One client connection looping over requests; reconnects after errors or Connection: close.
/// A chain of callbacks, one operation pending at a time: claim a slot, wait for its time
/// (under a rate), connect if needed, write, read until the response is complete, record.
class LoadConnection {
public:
    explicit LoadConnection(LoadRun& run)
        : m_run(run)
        , m_socket(run.io())
        , m_pace(run.io())
        , m_deadline(run.io())
        , m_buffer(kBufferBytes)
    {
        m_buffer.reserve(kBufferBytes); // once: reads never grow it, so they never allocate
    }
    /// Starts the loop; LoadRun::connectionEnded() is called once when it ends.
    void start() { next(); }
    /// Ends whatever is pending so the loop ends; on the load thread.
    void shutdown();

private:
    template <typename Handler>
    auto withMemory(HandlerMemory& memory, Handler handler)
    {
        return asio::bind_allocator(HandlerAllocator<char>(memory), std::move(handler));
    }
    void next();
    void send();
    void write();
    void read();
    void parse();
    void complete();
    /// The attempt failed: counts `message` and goes on with the next request.
    void fail(const std::string& message);
    /// A read or write failed with `ec`: retried once on a fresh connection when that is safe.
    void ioFailed(const char* what, const error_code& ec);
    void end();
    void armDeadline();
    void onDeadline(const error_code& ec);
    void closeSocket();
    std::string describe(const char* what, const error_code& ec) const;

    LoadRun& m_run;
    tcp::socket m_socket;
    asio::steady_timer m_pace;
    asio::steady_timer m_deadline;
    HandlerMemory m_socketMemory;
    HandlerMemory m_paceMemory;
    HandlerMemory m_deadlineMemory;
    // The deadline timer is not re-armed per request: it wakes at the earliest deadline it
    // was set for and, when the request in flight then has a later one, waits again.
    Clock::time_point m_deadlineAt;
    bool m_deadlinePending = false;
    bool m_inFlight = false;
    bool m_timedOut = false;
    bool m_ended = false;
    // The request in flight.
    std::optional<Clock::time_point> m_scheduled; ///< its slot's time, under a rate
    Clock::time_point m_sent;
    bool m_reused = false; ///< sent on a connection that had served a response before
    bool m_retried = false;
    boost::beast::flat_buffer m_buffer; ///< bytes received and not parsed yet
    ResponseParser m_parser;
};

// ---- LoadConnection

void LoadConnection::shutdown()
{
    closeSocket();
    m_pace.cancel();
    m_deadline.cancel();
}

void LoadConnection::closeSocket()
{
    error_code ignored;
    m_socket.close(ignored);
    m_buffer.clear(); // keeps its capacity
}

void LoadConnection::armDeadline()
{
    m_inFlight = true;
    m_timedOut = false;
    m_deadlineAt = Clock::now() + std::chrono::milliseconds(m_run.options().timeoutMs);
    if (m_deadlinePending)
        return; // it wakes earlier and waits again for this one
    m_deadlinePending = true;
    m_deadline.expires_at(m_deadlineAt);
    m_deadline.async_wait(withMemory(m_deadlineMemory, [this](const error_code& ec) { onDeadline(ec); }));
}

void LoadConnection::onDeadline(const error_code& ec)
{
    m_deadlinePending = false;
    if (ec || m_run.finished() || !m_inFlight)
        return;
    if (Clock::now() < m_deadlineAt) { // set for an earlier request: wait for this one's
        m_deadlinePending = true;
        m_deadline.expires_at(m_deadlineAt);
        m_deadline.async_wait(withMemory(m_deadlineMemory, [this](const error_code& e) { onDeadline(e); }));
        return;
    }
    // Closing fails the pending operation, whose handler reports the timeout.
    m_timedOut = true;
    error_code ignored;
    m_socket.close(ignored);
}

std::string LoadConnection::describe(const char* what, const error_code& ec) const
{
    const LoadOptions& o = m_run.options();
    const std::string& target = m_run.target();
    if (m_timedOut)
        return std::string(what) + " " + target + " timed out after " + std::to_string(o.timeoutMs) + " ms";
    if (ec == asio::error::eof)
        return std::string(what) + " " + target + ": the server closed the connection before a full response";
    return std::string(what) + " " + target + " failed: " + ec.message();
}

void LoadConnection::end()
{
    if (m_ended)
        return;
    m_ended = true;
    m_inFlight = false;
    closeSocket();
    m_pace.cancel();
    m_deadline.cancel();
    m_run.connectionEnded();
}

void LoadConnection::next()
{
    m_inFlight = false;
    if (m_run.finished())
        return end();
    std::optional<std::uint64_t> slot = m_run.claimSlot();
    if (!slot)
        return end();
    m_scheduled.reset();
    m_retried = false;
    if (m_run.options().rate <= 0)
        return send();
    m_scheduled = m_run.slotTime(*slot);
    m_pace.expires_at(*m_scheduled);
    m_pace.async_wait(withMemory(m_paceMemory, [this](const error_code&) {
        if (m_run.finished())
            return end();
        send();
    }));
}

void LoadConnection::send()
{
    if (!m_inFlight)
        armDeadline();
    m_reused = m_socket.is_open();
    if (m_reused)
        return write();
    asio::async_connect(m_socket, m_run.endpoints(),
                        withMemory(m_socketMemory, [this](const error_code& ec, const tcp::endpoint&) {
                            if (m_run.finished())
                                return end();
                            if (ec) {
                                m_run.recordError(describe("connect to", ec));
                                closeSocket();
                                m_inFlight = false;
                                // A dead port is not a busy loop: wait a little before the next attempt.
                                m_pace.expires_after(kConnectBackoff);
                                m_pace.async_wait(withMemory(m_paceMemory, [this](const error_code&) { next(); }));
                                return;
                            }
                            m_run.recordConnect();
                            error_code ignored;
                            m_socket.set_option(tcp::no_delay(true), ignored);
                            write();
                        }));
}

void LoadConnection::write()
{
    m_parser.reset();
    m_sent = Clock::now();
    asio::async_write(m_socket, asio::buffer(m_run.request()),
                      withMemory(m_socketMemory, [this](const error_code& ec, std::size_t) {
                          if (m_run.finished())
                              return end();
                          if (ec)
                              return ioFailed("sending to", ec);
                          parse();
                      }));
}

void LoadConnection::ioFailed(const char* what, const error_code& ec)
{
    // A keep-alive connection the server closed while idle fails at once with nothing
    // received; any HTTP client retries a GET on a fresh connection then, and so do we, once.
    const bool retry = m_run.options().retryOnClose && m_reused && !m_retried && !m_timedOut && !m_parser.gotSome()
        && m_buffer.size() == 0
        && (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
    closeSocket();
    if (retry) {
        m_retried = true;
        return send();
    }
    fail(describe(what, ec));
}

void LoadConnection::fail(const std::string& message)
{
    closeSocket();
    m_inFlight = false;
    m_run.recordError(message);
    next();
}

void LoadConnection::parse()
{
    // Parse what is buffered; a 1xx response is followed by the final one.
    while (m_buffer.size() > 0 && !m_parser.done()) {
        error_code ec;
        const std::size_t used = m_parser.put(m_buffer.data(), ec);
        m_buffer.consume(used);
        if (ec == boost::beast::http::error::need_more)
            break;
        if (ec)
            return fail(m_parser.describe(ec, m_run.target()));
        if (used == 0)
            break;
        if (m_parser.interim())
            m_parser.reset();
    }
    if (m_parser.done())
        return complete();
    read();
}

void LoadConnection::read()
{
    const std::size_t room = m_buffer.max_size() - m_buffer.size();
    if (room == 0) // cannot happen: the parser refuses a head this large first
        return fail(m_parser.describe(boost::beast::http::error::header_limit, m_run.target()));
    m_socket.async_read_some(m_buffer.prepare(room), withMemory(m_socketMemory, [this](const error_code& ec,
                                                                                       std::size_t n) {
                                 if (m_run.finished())
                                     return end();
                                 m_buffer.commit(n);
                                 if (ec == asio::error::eof && m_parser.gotSome()) {
                                     // Ends a body that runs until close; else the response was cut short.
                                     error_code eofError;
                                     m_parser.putEof(eofError);
                                     if (eofError)
                                         return fail(m_parser.describe(eofError, m_run.target()));
                                     return complete();
                                 }
                                 if (ec)
                                     return ioFailed("reading from", ec);
                                 parse();
                             }));
}

void LoadConnection::complete()
{
    m_inFlight = false;
    const Clock::time_point now = Clock::now();
    m_run.recordResponse(now - m_scheduled.value_or(m_sent), now - m_sent, m_parser.status(), m_parser.worker());
    if (!m_parser.keepAlive() || !m_run.options().keepAlive)
        closeSocket();
    next();
}

// ---- LoadRun

LoadRun::LoadRun(LoadOptions options, std::function<void(const LoadProgress&)> onProgress)
    : m_options(std::move(options))
    , m_onProgress(std::move(onProgress))
{
}

LoadRun::~LoadRun() = default;

void LoadRun::requestStop()
{
    m_stopRequested = true;
    asio::post(m_io, [this] { finish(); });
}

std::optional<std::uint64_t> LoadRun::claimSlot()
{
    if (m_finished || (m_options.requests > 0 && m_issued >= m_options.requests))
        return std::nullopt;
    return m_issued++;
}

Clock::time_point LoadRun::slotTime(std::uint64_t slot) const
{
    // Slots are spaced evenly from the start, so a late request does not push the later ones back.
    const auto offset = std::chrono::duration<double>(static_cast<double>(slot) / m_options.rate);
    return m_start + std::chrono::duration_cast<Clock::duration>(offset);
}

void LoadRun::recordResponse(Clock::duration latency, Clock::duration asSent, int status, std::string_view worker)
{
    if (m_finished)
        return;
    ++m_completed;
    if (status < 200 || status > 299)
        ++m_non2xx;
    auto record = [](LatencyHistogram& histogram, Clock::duration& max, Clock::duration d) {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        histogram.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros)));
        max = std::max(max, d);
    };
    record(m_latency, m_maxLatency, latency);
    record(m_asSent, m_maxAsSent, asSent);
    if (!worker.empty()) {
        if (auto it = m_perWorker.find(worker); it != m_perWorker.end())
            ++it->second;
        else
            m_perWorker.emplace(std::string(worker), 1);
    }
    attemptDone();
}

void LoadRun::recordError(const std::string& message)
{
    if (m_finished)
        return;
    ++m_errors;
    if (m_firstError.empty())
        m_firstError = message;
    attemptDone();
}

void LoadRun::attemptDone()
{
    ++m_done;
    if (m_options.requests > 0 && m_done >= m_options.requests)
        finish();
}

void LoadRun::connectionEnded()
{
    // With every connection gone nothing can progress: end rather than wait for a timer.
    if (--m_live == 0)
        finish();
}

void LoadRun::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_end = Clock::now();
    m_durationTimer.cancel();
    m_progressTimer.cancel();
    for (auto& connection : m_connections)
        connection->shutdown();
}

LoadProgress LoadRun::progress(Clock::time_point now)
{
    LoadProgress p;
    p.elapsedSeconds = seconds(now - m_start);
    p.completed = m_completed;
    p.errors = m_errors;
    if (m_options.requests > 0)
        p.fraction = static_cast<double>(m_done) / static_cast<double>(m_options.requests);
    else
        p.fraction = p.elapsedSeconds / m_options.durationSeconds;
    p.fraction = std::clamp(p.fraction, 0.0, 1.0);

    m_recent.emplace_back(now, m_completed);
    while (m_recent.size() > 2 && now - m_recent.front().first > std::chrono::seconds(1))
        m_recent.pop_front();
    const auto& [then, completedThen] = m_recent.front();
    if (now > then)
        p.requestsPerSecond = static_cast<double>(m_completed - completedThen) / seconds(now - then);
    return p;
}

void LoadRun::scheduleProgress()
{
    m_progressTimer.expires_after(kProgressPeriod);
    m_progressTimer.async_wait([this](const error_code& ec) {
        if (ec || m_finished)
            return;
        if (m_onProgress)
            m_onProgress(progress(Clock::now()));
        scheduleProgress();
    });
}

LoadSummary LoadRun::run()
{
    LoadSummary summary;
    tcp::resolver resolver(m_io);
    error_code ec;
    m_endpoints = resolver.resolve(m_options.host, std::to_string(m_options.port), ec);
    if (ec) {
        summary.firstError = "Cannot resolve host " + m_options.host + ": " + ec.message() + ".";
        return summary;
    }

    m_target = hostPort(m_options.host, m_options.port);
    m_request = "GET " + m_options.path + " HTTP/1.1\r\nHost: " + hostPort(m_options.host, m_options.port)
        + "\r\nUser-Agent: clusterscope-load/" CLUSTERSCOPE_VERSION "\r\n"
        + (m_options.keepAlive ? "" : "Connection: close\r\n") + "\r\n";

    m_start = Clock::now();
    m_recent.emplace_back(m_start, 0);
    for (int i = 0; i < m_options.connections; ++i) {
        m_connections.push_back(std::make_unique<LoadConnection>(*this));
        ++m_live;
    }
    for (auto& connection : m_connections)
        connection->start();
    if (m_options.requests == 0) {
        m_durationTimer.expires_at(m_start
                                   + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(m_options.durationSeconds)));
        m_durationTimer.async_wait([this](const error_code& e) {
            if (!e)
                finish();
        });
    }
    scheduleProgress();
    if (m_stopRequested)
        finish();

    for (;;) {
        try {
            m_io.run();
            break;
        } catch (const std::exception& e) {
            // Only a bug or exhausted memory gets here: end the load, say so, let the rest unwind.
            if (m_firstError.empty())
                m_firstError = std::string("internal error: ") + e.what();
            finish();
        }
    }
    if (!m_finished) // cannot happen: the io_context only runs dry after finish()
        finish();

    summary.elapsedSeconds = seconds(m_end - m_start);
    summary.completed = m_completed;
    summary.errors = m_errors;
    summary.non2xx = m_non2xx;
    summary.requestsPerSecond = summary.elapsedSeconds > 0 ? static_cast<double>(m_completed) / summary.elapsedSeconds : 0;
    const LatencyFigures latency = latencyFigures(m_latency, m_maxLatency);
    summary.p50Ms = latency.p50Ms;
    summary.p90Ms = latency.p90Ms;
    summary.p99Ms = latency.p99Ms;
    summary.maxMs = latency.maxMs;
    summary.asSent = latencyFigures(m_asSent, m_maxAsSent);
    summary.fromSchedule = m_options.rate > 0;
    for (const auto& [worker, count] : m_perWorker)
        summary.perWorker.emplace(worker, count);
    setFairness(summary, m_options.workers,
                m_options.metricsUrl.empty() ? WorkerCount::Given : WorkerCount::Metrics);
    summary.firstError = m_firstError;
    summary.connectionsOpened = m_connects;

    if (m_onProgress) {
        LoadProgress last = progress(m_end);
        if (!m_stopRequested)
            last.fraction = 1.0;
        m_onProgress(last);
    }
    return summary;
}

// ---- LoadGenerator

LoadGenerator::LoadGenerator() = default;

LoadGenerator::~LoadGenerator()
{
    stop();
    wait();
}

bool LoadGenerator::start(const LoadOptions& options, std::function<void(const LoadProgress&)> onProgress)
{
    if (m_running)
        return false;
    if (m_thread.joinable()) // a previous load that nobody waited for
        m_thread.join();
    std::lock_guard lock(m_mutex);
    m_summary = LoadSummary {};
    if (std::string error = validateLoadOptions(options); !error.empty()) {
        m_summary.firstError = error;
        return false;
    }
    m_run = std::make_unique<LoadRun>(options, std::move(onProgress));
    m_running = true;
    m_thread = std::thread([this, run = m_run.get()] {
        LoadSummary summary = run->run();
        {
            std::lock_guard lock(m_mutex);
            m_summary = std::move(summary);
        }
        m_running = false;
    });
    return true;
}

void LoadGenerator::stop()
{
    std::lock_guard lock(m_mutex);
    if (m_run && m_running)
        m_run->requestStop();
}

LoadSummary LoadGenerator::wait()
{
    if (m_thread.joinable())
        m_thread.join();
    std::lock_guard lock(m_mutex);
    m_run.reset();
    return m_summary;
}

} // namespace cs
