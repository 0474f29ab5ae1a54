#pragma once

#include <string>
#include <string_view>

namespace cs::worker {

/// Serializes the worker's responses straight into a connection's output buffer. The whole
/// `GET /` response never changes within a process, so it is built once per variant
/// (keep-alive or close, GET or HEAD) and copied with one append.
class Responses {
public:
    Responses(int slot, int pid);

    /// Appends the `/` response.
    void appendRoot(std::string& out, bool keepAlive, bool head) const
    {
        out.append(m_root[keepAlive ? 1 : 0][head ? 1 : 0]);
    }
    /// Appends any other response: status line, the common headers, then `body` unless HEAD.
    void append(std::string& out, int status, std::string_view body, bool keepAlive, bool head) const;

private:
    std::string m_workerHeader; ///< "X-Worker: <slot>\r\n"
    std::string m_root[2][2]; ///< [keepAlive][head]
};

} // namespace cs::worker
