#include "messages/wording.h"

#include <cstdio>

namespace cs {

std::string counted(std::uint64_t count, std::string_view singular, std::string_view plural)
{
    std::string out = std::to_string(count) + " ";
    if (count == 1)
        return out += singular;
    if (plural.empty())
        return (out += singular) += 's';
    return out += plural;
}

std::string hostPort(std::string_view host, unsigned port)
{
    // Only an IPv6 address has a ':'; one already in brackets stays as it is.
    const bool bracket = host.find(':') != std::string_view::npos && !host.starts_with('[');
    std::string out;
    if (bracket)
        out += '[';
    out += host;
    if (bracket)
        out += ']';
    return out + ":" + std::to_string(port);
}

std::string httpUrl(std::string_view host, unsigned port, std::string_view path)
{
    return "http://" + hostPort(host, port) + std::string(path);
}

std::string formatUptime(double seconds)
{
    char buffer[32];
    const auto total = static_cast<long>(seconds);
    if (total >= 3600)
        std::snprintf(buffer, sizeof(buffer), "%ldh%02ldm", total / 3600, (total / 60) % 60);
    else if (total >= 60)
        std::snprintf(buffer, sizeof(buffer), "%ldm%02lds", total / 60, total % 60);
    else
        std::snprintf(buffer, sizeof(buffer), "%.1fs", seconds);
    return buffer;
}

} // namespace cs
