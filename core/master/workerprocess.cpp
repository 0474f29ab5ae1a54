#include "master/workerprocess.h"

#include "ipc/channel.h"

#include <cerrno>
#include <csignal>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
enum FdIndex { PidFd, ChannelFd, OutFd, ErrFd };
} // namespace

WorkerProcess::WorkerProcess(asio::io_context& io, std::uint64_t id, int slot, const SpawnedProcess& spawned,
                             ProcessEvents& events)
    : m_id(id)
    , m_slot(slot)
    , m_pid(spawned.pid)
    , m_hasChannel(spawned.channel >= 0)
    , m_events(events)
    , m_fds { spawned.pidfd, spawned.channel, spawned.out, spawned.err }
    , m_pidfd(io)
    , m_channel(io)
    , m_out(io)
    , m_err(io)
    , m_eofTimer(io)
    , m_started(Clock::now())
    , m_lastHeard(m_started)
    , m_stat(spawned.pid, m_hasChannel) // only a worker that reports is read by its run time
{
}

WorkerProcess::~WorkerProcess()
{
    close();
}

std::string WorkerProcess::watch()
{
    asio::posix::stream_descriptor* streams[] = { &m_pidfd, &m_channel, &m_out, &m_err };
    for (int i = 0; i < 4; ++i) {
        if (m_fds[i] < 0)
            continue;
        boost::system::error_code ec;
        streams[i]->assign(m_fds[i], ec);
        if (ec)
            return "the event loop could not watch it (" + ec.message() + ")";
        m_fds[i] = -1; // the stream owns it now
    }
    watchExit();
    if (m_hasChannel)
        readChannel();
    readLog(LogStream::Stdout);
    readLog(LogStream::Stderr);
    return {};
}

void WorkerProcess::close()
{
    for (int& fd : m_fds)
        if (fd >= 0)
            ::close(std::exchange(fd, -1));
    closeControl();
    boost::system::error_code ignored;
    m_out.close(ignored);
    m_err.close(ignored);
}

void WorkerProcess::closeControl()
{
    boost::system::error_code ignored;
    m_pidfd.close(ignored);
    m_channel.close(ignored);
    m_eofTimer.cancel();
}

int WorkerProcess::signal(int signal)
{
    if (m_exited || !m_pidfd.is_open())
        return ESRCH;
    if (::syscall(SYS_pidfd_send_signal, m_pidfd.native_handle(), signal, nullptr, 0) == 0)
        return 0;
    return errno;
}

void WorkerProcess::drain(int graceMs)
{
    const auto grace = static_cast<std::uint32_t>(std::max(0, graceMs));
    // Programs we did not write understand SIGTERM as "finish and exit"; so does ours when its
    // channel is full or gone.
    if (!m_hasChannel || ipc::sendMessage(m_channel.native_handle(), ipc::Drain { grace }) != 0)
        signal(SIGTERM);
}

void WorkerProcess::watchExit()
{
    m_pidfd.async_wait(asio::posix::descriptor_base::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           if (ec || self->m_exited)
                               return;
                           int status = 0;
                           const int reaped = ::waitpid(self->m_pid, &status, WNOHANG);
                           if (reaped == 0) {
                               self->watchExit();
                               return;
                           }
                           self->m_exited = true;
                           self->closeControl(); // stdout and stderr are read to their end

                           self->m_events.onExit(*self, reaped == self->m_pid ? status : 0);
                       });
}

void WorkerProcess::readChannel()
{
    m_channel.async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->m_exited)
            return;
        // One message per wake-up: re-arming the wait (Asio's epoll_ctl) reports at once
        // whatever else is queued, so no recvmsg goes on learning that the channel is empty
        // (with 256 resting workers that EAGAIN was a third of the master's calls at rest).
        std::array<std::byte, ipc::kMaxPacket> buffer;
        if (self->receive(buffer))
            self->readChannel();
    });
}

/// One packet; false when nothing is queued (then reading goes on) or the channel is done.
bool WorkerProcess::receive(std::span<std::byte> buffer)
{
    const auto received = ipc::receivePacket(m_channel.native_handle(), buffer);
    ipc::closeDescriptors(received); // workers never send descriptors
    if (received.error == EAGAIN) {
        readChannel();
        return false;
    }
    if (received.error != 0 || received.eof) {
        channelEnded();
        return false;
    }
    if (received.truncated) {
        m_events.onChannelBroken(*this, "sent an oversized packet on its channel");
        return false;
    }
    const auto decoded = ipc::decode(buffer.first(received.size));
    if (!decoded.message) {
        m_events.onChannelBroken(*this, std::string("sent a malformed message (") + ipc::describe(decoded.error) + ")");
        return false;
    }
    m_lastHeard = Clock::now();
    if (m_firstHeard == Clock::time_point::max())
        m_firstHeard = m_lastHeard;
    if (const auto* telemetry = std::get_if<ipc::Telemetry>(&*decoded.message))
        m_telemetry = *telemetry;
    m_events.onMessage(*this, *decoded.message);
    return !m_exited;
}

void WorkerProcess::channelEnded()
{
    // EOF also comes just before a normal exit: give the exit a moment to show up before
    // calling it a broken channel.
    m_eofTimer.expires_after(500ms);
    m_eofTimer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && !self->m_exited)
            self->m_events.onChannelBroken(*self, "closed its channel to the master");
    });
}

void WorkerProcess::readLog(LogStream stream)
{
    auto& buffer = stream == LogStream::Stderr ? m_errBuffer : m_outBuffer;
    streamOf(stream).async_read_some(asio::buffer(buffer), [self = shared_from_this(), stream,
                                                            &buffer](boost::system::error_code ec, std::size_t n) {
        auto& lines = stream == LogStream::Stderr ? self->m_errLines : self->m_outLines;
        for (auto& line : lines.feed(std::string_view(buffer.data(), n)))
            self->m_events.onLogLine(*self, stream, std::move(line));
        if (ec) {
            if (auto rest = lines.finish())
                self->m_events.onLogLine(*self, stream, std::move(*rest));
            return;
        }
        self->readLog(stream);
    });
}

std::optional<ProcessStat> WorkerProcess::sampleStat(Clock::time_point now)
{
    const auto ran = m_hasChannel && !m_exited ? m_stat.runNanos() : std::nullopt;
    // Only a reading taken once it spoke to us stands: before, it may not even have exec'd
    // (its memory then is a fraction of a MiB; exec and start-up may take less than kRestRun).
    if (ran && m_lastStat && m_statRunNanos && m_statReadAt > m_firstHeard && *ran - *m_statRunNanos < kRestRun
        && now - m_statReadAt < kStatReuse)
        return m_lastStat;
    m_lastStat = m_stat.read();
    m_statReadAt = now;
    m_statRunNanos = ran;
    return m_lastStat;
}

} // namespace cs
