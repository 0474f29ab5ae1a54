#include "record/recorder.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace cs {

Recorder::~Recorder()
{
    close();
}

std::string Recorder::open(const std::string& path, RecordingHeader header)
{
    close();
    m_note.clear();
    m_lines = 0;
    if (header.started.empty())
        header.started = isoTimeNow();
    if (header.host.empty()) {
        char name[256] = {};
        if (::gethostname(name, sizeof(name) - 1) == 0)
            header.host = name;
    }
    if (header.clusterscope.empty())
        header.clusterscope = CLUSTERSCOPE_VERSION;
    std::string line;
    try {
        line = recordingHeaderLine(header);
    } catch (const std::exception& e) {
        return "The recording " + path + " was not started: " + e.what() + ".";
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return "The recording " + path + " cannot be written (" + std::strerror(errno)
            + "); choose another file or check the folder's permissions.";
    m_fd = fd;
    m_path = path;
    write(line);
    if (m_fd < 0) {
        std::string why = m_note;
        m_note.clear();
        return why;
    }
    return {};
}

void Recorder::append(const Snapshot& snapshot) noexcept
{
    if (m_fd < 0)
        return;
    try {
        write(recordingSnapshotLine(snapshot));
        ++m_lines;
    } catch (const std::exception&) {
        // Only an allocation can fail here; losing one line beats losing the master.
    }
}

void Recorder::append(const Event& event) noexcept
{
    if (m_fd < 0)
        return;
    try {
        write(recordingEventLine(event));
        ++m_lines;
    } catch (const std::exception&) {
    }
}

void Recorder::appendLoadSummary(const LoadSummary& summary) noexcept
{
    if (m_fd < 0)
        return;
    try {
        write(recordingLoadSummaryLine(summary));
    } catch (const std::exception&) {
    }
}

void Recorder::close() noexcept
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void Recorder::write(const std::string& line) noexcept
{
    // One write per line (looping only on a short write), straight to the kernel: a writer
    // killed at any point leaves whole lines and at most one partial last line.
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : ENOSPC;
            try {
                m_note = "Recording to " + m_path + " stopped: writing failed (" + std::strerror(error)
                    + "); what was written before is kept. Free some space and record again.";
            } catch (const std::exception&) {
            }
            close();
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

} // namespace cs
