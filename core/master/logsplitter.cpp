#include "master/logsplitter.h"

#include <utility>

namespace cs {

std::vector<std::string> LogSplitter::feed(std::string_view bytes)
{
    std::vector<std::string> lines;
    for (const char c : bytes) {
        if (c == '\n') {
            lines.push_back(std::exchange(m_partial, {}));
            continue;
        }
        if (m_partial.size() == kMaxLine)
            lines.push_back(std::exchange(m_partial, {}));
        m_partial.push_back(c);
    }
    return lines;
}

std::optional<std::string> LogSplitter::finish()
{
    if (m_partial.empty())
        return std::nullopt;
    return std::exchange(m_partial, {});
}

} // namespace cs
