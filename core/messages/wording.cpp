#include "messages/wording.h"

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

} // namespace cs
