#include "worker/responses.h"

#include <charconv>

namespace cs::worker {
namespace {

std::string_view statusLine(int status)
{
    switch (status) {
    case 200: return "HTTP/1.1 200 OK\r\n";
    case 400: return "HTTP/1.1 400 Bad Request\r\n";
    case 404: return "HTTP/1.1 404 Not Found\r\n";
    case 405: return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 408: return "HTTP/1.1 408 Request Timeout\r\n";
    case 413: return "HTTP/1.1 413 Payload Too Large\r\n";
    case 414: return "HTTP/1.1 414 URI Too Long\r\n";
    case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 503: return "HTTP/1.1 503 Service Unavailable\r\n";
    default: return "HTTP/1.1 500 Internal Server Error\r\n";
    }
}

} // namespace

Responses::Responses(int slot, int pid)
{
    m_workerHeader = "X-Worker: " + std::to_string(slot) + "\r\n";
    const std::string body = "Hello from worker " + std::to_string(slot) + " (pid " + std::to_string(pid) + ")\n";
    for (int keepAlive = 0; keepAlive < 2; ++keepAlive) {
        for (int head = 0; head < 2; ++head) {
            std::string& out = m_root[keepAlive][head];
            append(out, 200, body, keepAlive != 0, head != 0);
            out.shrink_to_fit();
        }
    }
}

void Responses::append(std::string& out, int status, std::string_view body, bool keepAlive, bool head) const
{
    char length[24];
    auto [end, ec] = std::to_chars(length, length + sizeof(length), body.size());
    (void)ec;
    out.append(statusLine(status));
    out.append("Content-Type: text/plain\r\nContent-Length: ");
    out.append(length, end);
    out.append("\r\n");
    out.append(m_workerHeader);
    out.append(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (!head)
        out.append(body);
}

} // namespace cs::worker
