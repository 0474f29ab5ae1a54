#include "ipc/message.h"

#include <cstring>
#include <type_traits>

namespace cs::ipc {
namespace {

// Little-endian on the wire; every platform we run on is little-endian, so the copies are
// plain memcpy, but going through these two keeps the layout in one place.
template <typename T>
void put(std::vector<std::byte>& out, T value)
{
    static_assert(std::is_trivially_copyable_v<T>);
    const auto offset = out.size();
    out.resize(offset + sizeof(T));
    std::memcpy(out.data() + offset, &value, sizeof(T));
}

class Reader {
public:
    explicit Reader(std::span<const std::byte> bytes) : m_bytes(bytes) { }
    template <typename T>
    bool get(T& value)
    {
        if (m_bytes.size() - m_offset < sizeof(T))
            return false;
        std::memcpy(&value, m_bytes.data() + m_offset, sizeof(T));
        m_offset += sizeof(T);
        return true;
    }
    bool atEnd() const { return m_offset == m_bytes.size(); }

private:
    std::span<const std::byte> m_bytes;
    std::size_t m_offset = 0;
};

Type typeOf(const Message& message)
{
    struct Visitor {
        Type operator()(const Ready&) const { return Type::Ready; }
        Type operator()(const Listening&) const { return Type::Listening; }
        Type operator()(const Telemetry&) const { return Type::Telemetry; }
        Type operator()(const Connection&) const { return Type::Connection; }
        Type operator()(const Drain&) const { return Type::Drain; }
    };
    return std::visit(Visitor {}, message);
}

} // namespace

void encode(const Message& message, std::vector<std::byte>& out)
{
    out.clear();
    put(out, kMagic);
    put(out, static_cast<std::uint8_t>(typeOf(message)));
    put(out, kVersion);
    put(out, std::uint32_t { 0 }); // payload length, patched below
    if (const auto* ready = std::get_if<Ready>(&message)) {
        put(out, ready->pid);
    } else if (const auto* telemetry = std::get_if<Telemetry>(&message)) {
        put(out, telemetry->requests);
        put(out, telemetry->openConnections);
        put(out, telemetry->connectionsAccepted);
        for (auto count : telemetry->latency)
            put(out, count);
        put(out, telemetry->latencySum.seconds);
        put(out, telemetry->latencySum.nanos);
    } else if (const auto* connection = std::get_if<Connection>(&message)) {
        put(out, connection->count);
    } else if (const auto* drain = std::get_if<Drain>(&message)) {
        put(out, drain->graceMs);
    }
    const auto payload = static_cast<std::uint32_t>(out.size() - kHeaderSize);
    std::memcpy(out.data() + 4, &payload, sizeof(payload));
}

const char* describe(DecodeError error) noexcept
{
    switch (error) {
    case DecodeError::TooShort:
        return "packet shorter than its header";
    case DecodeError::BadMagic:
        return "packet does not start with the Clusterscope magic";
    case DecodeError::BadVersion:
        return "packet has an unknown protocol version";
    case DecodeError::UnknownType:
        return "packet has an unknown message type";
    case DecodeError::LengthMismatch:
        return "packet length does not match its header";
    case DecodeError::BadPayload:
        return "packet payload does not fit its message type";
    }
    return "packet is malformed";
}

Decoded decode(std::span<const std::byte> packet)
{
    Decoded result;
    Reader header(packet);
    std::uint16_t magic = 0;
    std::uint8_t type = 0, version = 0;
    std::uint32_t length = 0;
    if (!header.get(magic) || !header.get(type) || !header.get(version) || !header.get(length)) {
        result.error = DecodeError::TooShort;
        return result;
    }
    if (magic != kMagic) {
        result.error = DecodeError::BadMagic;
        return result;
    }
    if (version != kVersion) {
        result.error = DecodeError::BadVersion;
        return result;
    }
    if (length != packet.size() - kHeaderSize) {
        result.error = DecodeError::LengthMismatch;
        return result;
    }
    Reader body(packet.subspan(kHeaderSize));
    bool ok = true;
    switch (static_cast<Type>(type)) {
    case Type::Ready: {
        Ready ready;
        ok = body.get(ready.pid) && ready.pid > 0;
        result.message = ready;
        break;
    }
    case Type::Listening:
        result.message = Listening {};
        break;
    case Type::Telemetry: {
        Telemetry telemetry;
        ok = body.get(telemetry.requests) && body.get(telemetry.openConnections)
            && body.get(telemetry.connectionsAccepted);
        for (auto& count : telemetry.latency)
            ok = ok && body.get(count);
        ok = ok && body.get(telemetry.latencySum.seconds) && body.get(telemetry.latencySum.nanos)
            && telemetry.latencySum.nanos < DurationSum::kNanosPerSecond;
        result.message = telemetry;
        break;
    }
    case Type::Connection: {
        Connection connection;
        ok = body.get(connection.count) && connection.count >= 1 && connection.count <= kMaxHandoffFds;
        result.message = connection;
        break;
    }
    case Type::Drain: {
        Drain drain;
        ok = body.get(drain.graceMs);
        result.message = drain;
        break;
    }
    default:
        result.error = DecodeError::UnknownType;
        return result;
    }
    if (!ok || !body.atEnd()) {
        result.message.reset();
        result.error = DecodeError::BadPayload;
    }
    return result;
}

} // namespace cs::ipc
