#include "load/loadgenerator.h"

#include "load/responseparser.h"
#include "messages/wording.h"
#include "metrics/histogram.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace cs {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// Errors come back as values: a refused connect or a reset is counted, not thrown.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kBufferBytes = 16 * 1024; // also the largest response head accepted
constexpr auto kProgressPeriod = std::chrono::milliseconds(200);
// After a failed connect, wait a little before the next attempt so a dead port is not a busy loop.
constexpr auto kConnectBackoff = std::chrono::milliseconds(20);

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
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
    void recordResponse(Clock::duration latency, int status, std::string_view worker);
    void recordError(const std::string& message);
    void recordConnect() { ++m_connects; }
    void connectionEnded();
    const LoadOptions& options() const { return m_options; }
    const std::string& request() const { return m_request; }
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
    LatencyHistogram m_latency;
    std::map<std::string, std::uint64_t, std::less<>> m_perWorker;
    std::string m_firstError;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> m_recent; ///< for the recent rate
};

/// One client connection looping over requests; reconnects after errors or Connection: close.
class LoadConnection {
public:
    explicit LoadConnection(LoadRun& run)
        : m_run(run)
        , m_socket(run.io())
        , m_pace(run.io())
        , m_deadline(run.io())
        , m_buffer(kBufferBytes)
    {
    }
    asio::awaitable<void> loop();
    /// Ends whatever is pending so loop() returns; on the load thread.
    void shutdown();

private:
    asio::awaitable<void> exchange();
    void armDeadline();
    void disarmDeadline();
    void closeSocket();
    std::string describe(const char* what, const error_code& ec) const;

    LoadRun& m_run;
    tcp::socket m_socket;
    asio::steady_timer m_pace;
    asio::steady_timer m_deadline;
    std::uint64_t m_deadlineGeneration = 0;
    bool m_timedOut = false;
    std::vector<char> m_buffer;
    std::size_t m_used = 0; ///< bytes in m_buffer not consumed yet
    std::string m_worker; ///< X-Worker of the response being read, kept while the body overwrites the buffer
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
    m_used = 0;
}

void LoadConnection::armDeadline()
{
    m_timedOut = false;
    m_deadline.expires_after(std::chrono::milliseconds(m_run.options().timeoutMs));
    // The generation tells an expiry of this request from a stale one already queued.
    m_deadline.async_wait([this, generation = ++m_deadlineGeneration](const error_code& ec) {
        if (ec || generation != m_deadlineGeneration)
            return;
        m_timedOut = true;
        error_code ignored;
        m_socket.close(ignored);
    });
}

void LoadConnection::disarmDeadline()
{
    ++m_deadlineGeneration;
    m_deadline.cancel();
}

std::string LoadConnection::describe(const char* what, const error_code& ec) const
{
    const LoadOptions& o = m_run.options();
    const std::string target = hostPort(o.host, o.port);
    if (m_timedOut)
        return std::string(what) + " " + target + " timed out after " + std::to_string(o.timeoutMs) + " ms";
    if (ec == asio::error::eof)
        return std::string(what) + " " + target + ": the server closed the connection before a full response";
    return std::string(what) + " " + target + " failed: " + ec.message();
}

asio::awaitable<void> LoadConnection::loop()
{
    while (!m_run.finished()) {
        std::optional<std::uint64_t> slot = m_run.claimSlot();
        if (!slot)
            break;
        if (m_run.options().rate > 0) {
            m_pace.expires_at(m_run.slotTime(*slot));
            co_await m_pace.async_wait(nothrow);
            if (m_run.finished())
                break;
        }
        co_await exchange();
    }
    closeSocket();
    disarmDeadline();
}

asio::awaitable<void> LoadConnection::exchange()
{
    const LoadOptions& o = m_run.options();
    armDeadline();
    bool retried = false;
    for (;;) {
        const bool reused = m_socket.is_open();
        if (!reused) {
            auto [ec, endpoint] = co_await asio::async_connect(m_socket, m_run.endpoints(), nothrow);
            if (m_run.finished())
                co_return;
            if (ec) {
                m_run.recordError(describe("connect to", ec));
                closeSocket();
                disarmDeadline();
                m_pace.expires_after(kConnectBackoff);
                co_await m_pace.async_wait(nothrow);
                co_return;
            }
            m_run.recordConnect();
            error_code ignored;
            m_socket.set_option(tcp::no_delay(true), ignored);
        }

        // A keep-alive connection the server closed while idle fails at once with nothing
        // received; any HTTP client retries a GET on a fresh connection then, and so do we, once.
        auto retryable = [&](const error_code& ec) {
            return o.retryOnClose && reused && !retried && !m_timedOut && m_used == 0
                && (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
        };

        const Clock::time_point sent = Clock::now();
        auto [writeError, written] = co_await asio::async_write(m_socket, asio::buffer(m_run.request()), nothrow);
        if (m_run.finished())
            co_return;
        if (writeError) {
            const bool retry = retryable(writeError);
            closeSocket();
            if (retry) {
                retried = true;
                continue;
            }
            m_run.recordError(describe("sending to", writeError));
            disarmDeadline();
            co_return;
        }

        // The head: read until the parser sees the blank line.
        ResponseParser::Result result;
        for (;;) {
            result = m_parser.parse(std::string_view(m_buffer.data(), m_used));
            if (result != ResponseParser::Result::Incomplete)
                break;
            if (m_used == m_buffer.size()) {
                result = ResponseParser::Result::Invalid;
                break;
            }
            auto [ec, n] = co_await m_socket.async_read_some(
                asio::buffer(m_buffer.data() + m_used, m_buffer.size() - m_used), nothrow);
            if (m_run.finished())
                co_return;
            if (ec) {
                const bool retry = retryable(ec);
                closeSocket();
                if (retry)
                    break;
                m_run.recordError(describe("reading from", ec));
                disarmDeadline();
                co_return;
            }
            m_used += n;
        }
        if (result == ResponseParser::Result::Incomplete) { // the retry case above
            retried = true;
            continue;
        }
        if (result == ResponseParser::Result::Invalid) {
            const std::string why = m_used == m_buffer.size() && m_parser.error().empty()
                ? std::string("response head larger than 16 KiB")
                : m_parser.error();
            closeSocket();
            m_run.recordError("invalid response from " + hostPort(o.host, o.port) + ": " + why);
            disarmDeadline();
            co_return;
        }

        const ResponseHead head = m_parser.head();
        if (head.chunked) {
            closeSocket();
            m_run.recordError("chunked responses are not supported; the server at " + hostPort(o.host, o.port)
                              + " must send Content-Length");
            disarmDeadline();
            co_return;
        }
        m_worker.assign(head.worker.data(), head.worker.size());
        bool closeAfter = head.close || !o.keepAlive;

        // The body: by Content-Length, empty for 1xx/204/304, else until the server closes.
        const std::size_t have = m_used - head.headBytes;
        if (head.noBody() || head.hasContentLength) {
            const std::uint64_t length = head.noBody() ? 0 : head.contentLength;
            if (have >= length) {
                const std::size_t consumed = head.headBytes + static_cast<std::size_t>(length);
                std::memmove(m_buffer.data(), m_buffer.data() + consumed, m_used - consumed);
                m_used -= consumed;
            } else {
                std::uint64_t remaining = length - have;
                m_used = 0;
                while (remaining > 0) {
                    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, m_buffer.size()));
                    auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(m_buffer.data(), want), nothrow);
                    if (m_run.finished())
                        co_return;
                    if (ec) {
                        closeSocket();
                        m_run.recordError(describe("reading the body from", ec));
                        disarmDeadline();
                        co_return;
                    }
                    remaining -= n;
                }
            }
        } else {
            m_used = 0;
            for (;;) {
                auto [ec, n] = co_await m_socket.async_read_some(asio::buffer(m_buffer.data(), m_buffer.size()), nothrow);
                if (m_run.finished())
                    co_return;
                if (ec == asio::error::eof)
                    break;
                if (ec) {
                    closeSocket();
                    m_run.recordError(describe("reading the body from", ec));
                    disarmDeadline();
                    co_return;
                }
            }
            closeAfter = true;
        }

        disarmDeadline();
        m_run.recordResponse(Clock::now() - sent, head.status, m_worker);
        if (closeAfter)
            closeSocket();
        co_return;
    }
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

void LoadRun::recordResponse(Clock::duration latency, int status, std::string_view worker)
{
    if (m_finished)
        return;
    ++m_completed;
    if (status < 200 || status > 299)
        ++m_non2xx;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
    m_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros)));
    m_maxLatency = std::max(m_maxLatency, latency);
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

    m_request = "GET " + m_options.path + " HTTP/1.1\r\nHost: " + hostPort(m_options.host, m_options.port)
        + "\r\nUser-Agent: clusterscope-load/" CLUSTERSCOPE_VERSION "\r\n"
        + (m_options.keepAlive ? "" : "Connection: close\r\n") + "\r\n";

    m_start = Clock::now();
    m_recent.emplace_back(m_start, 0);
    std::exception_ptr failure;
    for (int i = 0; i < m_options.connections; ++i) {
        m_connections.push_back(std::make_unique<LoadConnection>(*this));
        ++m_live;
        asio::co_spawn(m_io, m_connections.back()->loop(), [this, &failure](std::exception_ptr e) {
            // Only a bug or exhausted memory gets here; end the load and report it.
            if (e && !failure)
                failure = e;
            if (e)
                finish();
            connectionEnded();
        });
    }
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

    m_io.run();

    if (!m_finished) // cannot happen: the io_context only runs dry after finish()
        finish();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            if (m_firstError.empty())
                m_firstError = std::string("internal error: ") + e.what();
        }
    }

    summary.elapsedSeconds = seconds(m_end - m_start);
    summary.completed = m_completed;
    summary.errors = m_errors;
    summary.non2xx = m_non2xx;
    summary.requestsPerSecond = summary.elapsedSeconds > 0 ? static_cast<double>(m_completed) / summary.elapsedSeconds : 0;
    summary.maxMs = std::chrono::duration<double, std::milli>(m_maxLatency).count();
    // Quantiles are bucket midpoints; never report one above the exact maximum.
    auto quantileMs = [&](double q) { return std::min(m_latency.quantileMicros(q) / 1000.0, summary.maxMs); };
    summary.p50Ms = quantileMs(0.50);
    summary.p90Ms = quantileMs(0.90);
    summary.p99Ms = quantileMs(0.99);
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
