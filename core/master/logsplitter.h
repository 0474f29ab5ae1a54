#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

/// Cuts a worker's output stream into lines: at each '\n', and every kMaxLine bytes of a line
/// that does not end (a flood must not eat memory). Pure; one per stream.
class LogSplitter {
public:
    static constexpr std::size_t kMaxLine = 2000;

    /// The lines `bytes` completes, without their '\n'.
    std::vector<std::string> feed(std::string_view bytes);
    /// The stream ended: what is left of an unterminated last line, if anything.
    std::optional<std::string> finish();

private:
    std::string m_partial;
};

} // namespace cs
