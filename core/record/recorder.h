#pragma once

#include "record/recording.h"

#include <string>

namespace cs {

/// Writes a recording as it happens, one line per snapshot and per event. Each line goes to
/// the file with one write, so a writer killed at any moment leaves every earlier line whole.
/// Nothing here throws: a failed write (a full disk) stops the recording, and note() says
/// why in one sentence. Not thread-safe: call it from one thread.
class Recorder {
public:
    Recorder() = default;
    ~Recorder(); ///< closes
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Creates (or truncates) `path` and writes the header; `started` and `host` are filled
    /// in when empty. Empty when done, else one sentence saying why not.
    std::string open(const std::string& path, RecordingHeader header);
    void append(const Snapshot& snapshot) noexcept;
    void append(const Event& event) noexcept;
    void appendLoadSummary(const LoadSummary& summary) noexcept;
    void close() noexcept;

    /// True between a successful open() and close() or a failed write.
    bool recording() const { return m_fd >= 0; }
    const std::string& path() const { return m_path; }
    /// Why the recording stopped early; empty while all went well.
    const std::string& note() const { return m_note; }
    /// Snapshots and events written since open().
    std::size_t linesWritten() const { return m_lines; }

private:
    void write(const std::string& line) noexcept;

    int m_fd = -1;
    std::string m_path;
    std::string m_note;
    std::size_t m_lines = 0;
};

} // namespace cs
