// IPC messages: every type round-trips, and malformed packets are refused without reading past them.
#include "ipc/channel.h"
#include "ipc/message.h"

#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>

using namespace cs::ipc;

Q_DECLARE_METATYPE(cs::ipc::DecodeError)

namespace {
std::vector<std::byte> encoded(const Message& message)
{
    std::vector<std::byte> out;
    encode(message, out);
    return out;
}
} // namespace

class TestMessage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void rejectsMalformed_data();
    void rejectsMalformed();
    void rejectsEveryTruncation();
    void channelCarriesADescriptor();
    void channelReportsEofAndExtraDescriptorsAreClosed();
    void channelCarriesAFullBatchInOrder();
    void channelDropsDescriptorsBeyondABatch();
};

void TestMessage::roundTrip()
{
    Telemetry telemetry;
    telemetry.requests = 123456789012ull;
    telemetry.openConnections = 42;
    telemetry.connectionsAccepted = 7;
    for (int i = 0; i < cs::LatencyHistogram::kBuckets; ++i)
        telemetry.latency[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i * 3 + 1);
    telemetry.latencySum = { 86'400'123, 999'999'999 };
    const auto decoded = decode(encoded(telemetry));
    QVERIFY(decoded.message);
    const auto& back = std::get<Telemetry>(*decoded.message);
    QCOMPARE(back.requests, telemetry.requests);
    QCOMPARE(back.openConnections, 42u);
    QCOMPARE(back.connectionsAccepted, 7u);
    QVERIFY(back.latency == telemetry.latency);
    QVERIFY(back.latencySum == telemetry.latencySum);

    QCOMPARE(std::get<Ready>(*decode(encoded(Ready { 4321 })).message).pid, 4321);
    QCOMPARE(std::get<Drain>(*decode(encoded(Drain { 2500 })).message).graceMs, 2500u);
    QVERIFY(std::holds_alternative<Listening>(*decode(encoded(Listening {})).message));
    QCOMPARE(std::get<Connection>(*decode(encoded(Connection {})).message).count, std::uint16_t(1));
    QCOMPARE(std::get<Connection>(*decode(encoded(Connection { 16 })).message).count, std::uint16_t(16));
    QVERIFY(encoded(Connection {}).size() == kHeaderSize + 2);
}

void TestMessage::rejectsMalformed_data()
{
    QTest::addColumn<QByteArray>("packet");
    QTest::addColumn<cs::ipc::DecodeError>("error");
    auto bytes = [](const std::vector<std::byte>& v) {
        return QByteArray(reinterpret_cast<const char*>(v.data()), static_cast<qsizetype>(v.size()));
    };
    const QByteArray ready = bytes(encoded(Ready { 10 }));
    QTest::newRow("empty") << QByteArray() << DecodeError::TooShort;
    QTest::newRow("half a header") << ready.left(5) << DecodeError::TooShort;
    QByteArray badMagic = ready;
    badMagic[0] = 'X';
    QTest::newRow("bad magic") << badMagic << DecodeError::BadMagic;
    QByteArray badVersion = ready;
    badVersion[3] = char(9);
    QTest::newRow("bad version") << badVersion << DecodeError::BadVersion;
    QByteArray unknown = ready;
    unknown[2] = char(99);
    QTest::newRow("unknown type") << unknown << DecodeError::UnknownType;
    QTest::newRow("length says more than is there") << ready.left(ready.size() - 1) << DecodeError::LengthMismatch;
    QByteArray longer = ready + QByteArray("xx");
    QTest::newRow("trailing bytes") << longer << DecodeError::LengthMismatch;
    // A header whose length field agrees with the packet, but the payload is too short for its type.
    QByteArray shortPayload = ready.left(int(kHeaderSize)) + QByteArray(2, '\0');
    const std::uint32_t two = 2;
    std::memcpy(shortPayload.data() + 4, &two, 4);
    QTest::newRow("payload too short for type") << shortPayload << DecodeError::BadPayload;
    QByteArray zeroPid = bytes(encoded(Ready { 1 }));
    std::memset(zeroPid.data() + kHeaderSize, 0, 4);
    QTest::newRow("ready with pid 0") << zeroPid << DecodeError::BadPayload;
    QByteArray connectionWithPayload = bytes(encoded(Connection {})) + QByteArray(4, '\0');
    const std::uint32_t six = 6;
    std::memcpy(connectionWithPayload.data() + 4, &six, 4);
    QTest::newRow("connection with more payload") << connectionWithPayload << DecodeError::BadPayload;
    QTest::newRow("connection of no socket") << bytes(encoded(Connection { 0 })) << DecodeError::BadPayload;
    QTest::newRow("connection of more sockets than a message carries")
        << bytes(encoded(Connection { static_cast<std::uint16_t>(kMaxHandoffFds + 1) })) << DecodeError::BadPayload;
    // The latency sum's nanoseconds are the last four bytes and stay below a second.
    QByteArray badNanos = bytes(encoded(Telemetry {}));
    const std::uint32_t aSecond = 1'000'000'000;
    std::memcpy(badNanos.data() + badNanos.size() - 4, &aSecond, 4);
    QTest::newRow("telemetry with a second of nanoseconds") << badNanos << DecodeError::BadPayload;
}

void TestMessage::rejectsMalformed()
{
    QFETCH(QByteArray, packet);
    QFETCH(cs::ipc::DecodeError, error);
    const auto decoded = decode(std::as_bytes(std::span(packet.constData(), std::size_t(packet.size()))));
    QVERIFY(!decoded.message);
    QCOMPARE(decoded.error, error);
    QVERIFY(std::strlen(describe(error)) > 10);
}

void TestMessage::rejectsEveryTruncation()
{
    // Every prefix of a valid telemetry packet is refused (and, under ASan, read in bounds).
    const auto full = encoded(Telemetry {});
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::vector<std::byte> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        QVERIFY2(!decode(prefix).message, qPrintable(QString::number(n)));
    }
    QVERIFY(decode(full).message);
}

void TestMessage::channelCarriesADescriptor()
{
    std::error_code ec;
    const auto pair = makeChannel(ec);
    QVERIFY(!ec);
    QVERIFY(::fcntl(pair.master, F_GETFD) & FD_CLOEXEC);
    int pipeFds[2];
    QCOMPARE(::pipe(pipeFds), 0);
    QCOMPARE(sendMessage(pair.master, Connection {}, pipeFds[1]), 0);
    std::array<std::byte, kMaxPacket> buffer;
    const auto received = receivePacket(pair.worker, buffer);
    QCOMPARE(received.error, 0);
    QVERIFY(received.fd >= 0);
    QVERIFY(::fcntl(received.fd, F_GETFD) & FD_CLOEXEC);
    QVERIFY(std::holds_alternative<Connection>(*decode(std::span(buffer.data(), received.size)).message));
    // The passed descriptor is the pipe's write end: what we write through it arrives.
    QCOMPARE(::write(received.fd, "x", 1), ssize_t(1));
    char c = 0;
    QCOMPARE(::read(pipeFds[0], &c, 1), ssize_t(1));
    QCOMPARE(c, 'x');
    for (int fd : { received.fd, pipeFds[0], pipeFds[1], pair.master, pair.worker })
        ::close(fd);
}

void TestMessage::channelReportsEofAndExtraDescriptorsAreClosed()
{
    std::error_code ec;
    const auto pair = makeChannel(ec);
    std::array<std::byte, kMaxPacket> buffer;
    QCOMPARE(receivePacket(pair.worker, buffer).error, EAGAIN);
    ::close(pair.master);
    const auto received = receivePacket(pair.worker, buffer);
    QVERIFY(received.eof);
    ::close(pair.worker);
}

namespace {
int openDescriptors()
{
    int count = 0;
    for (int fd = 0; fd < 1024; ++fd)
        if (::fcntl(fd, F_GETFD) >= 0)
            ++count;
    return count;
}

// A raw SCM_RIGHTS send of `fds`, bypassing sendPacket's limit (a hostile master).
int sendRaw(int channel, std::span<const std::byte> packet, const std::vector<int>& fds)
{
    iovec iov { const_cast<std::byte*>(packet.data()), packet.size() };
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    return ::sendmsg(channel, &msg, MSG_DONTWAIT) >= 0 ? 0 : errno;
}
} // namespace

void TestMessage::channelCarriesAFullBatchInOrder()
{
    std::error_code ec;
    const auto pair = makeChannel(ec);
    QVERIFY(!ec);
    // kMaxHandoffFds pipes; each write end travels, and what is written through the i-th
    // received descriptor comes out of the i-th pipe: the order is kept.
    std::vector<std::array<int, 2>> pipes(kMaxHandoffFds);
    std::vector<int> writeEnds;
    for (auto& p : pipes) {
        QCOMPARE(::pipe(p.data()), 0);
        writeEnds.push_back(p[1]);
    }
    std::vector<std::byte> packet;
    encode(Connection { static_cast<std::uint16_t>(kMaxHandoffFds) }, packet);
    QCOMPARE(sendPacket(pair.master, packet, std::span<const int>(writeEnds)), 0);
    std::array<std::byte, kMaxPacket> buffer;
    const auto received = receivePacket(pair.worker, buffer);
    QCOMPARE(received.error, 0);
    QVERIFY(!received.descriptorLost);
    QCOMPARE(received.fdCount, kMaxHandoffFds);
    QCOMPARE(received.fd, received.fds[0]);
    QCOMPARE(std::get<Connection>(*decode(std::span(buffer.data(), received.size)).message).count,
             std::uint16_t(kMaxHandoffFds));
    for (std::size_t i = 0; i < kMaxHandoffFds; ++i) {
        QVERIFY(::fcntl(received.fds[i], F_GETFD) & FD_CLOEXEC);
        const char c = static_cast<char>('a' + i);
        QCOMPARE(::write(received.fds[i], &c, 1), ssize_t(1));
        char back = 0;
        QCOMPARE(::read(pipes[i][0], &back, 1), ssize_t(1));
        QCOMPARE(back, c);
    }
    // More than a message carries is refused before anything is sent.
    writeEnds.push_back(writeEnds.front());
    QCOMPARE(sendPacket(pair.master, packet, std::span<const int>(writeEnds)), EINVAL);
    closeDescriptors(received);
    for (auto& p : pipes)
        for (int fd : p)
            ::close(fd);
    ::close(pair.master);
    ::close(pair.worker);
}

void TestMessage::channelDropsDescriptorsBeyondABatch()
{
    std::error_code ec;
    const auto pair = makeChannel(ec);
    QVERIFY(!ec);
    int pipeFds[2];
    QCOMPARE(::pipe(pipeFds), 0);
    const int before = openDescriptors();
    // A peer attaching 40 descriptors: the receiver keeps a batch's worth and owns them; the
    // kernel drops the rest (nothing leaks into the receiver).
    std::vector<int> many(40, pipeFds[1]);
    std::vector<std::byte> packet;
    encode(Connection { 1 }, packet);
    QCOMPARE(sendRaw(pair.master, packet, many), 0);
    std::array<std::byte, kMaxPacket> buffer;
    const auto received = receivePacket(pair.worker, buffer);
    QCOMPARE(received.error, 0);
    QVERIFY(received.descriptorLost);
    QVERIFY(received.fdCount <= kMaxHandoffFds);
    closeDescriptors(received);
    QCOMPARE(openDescriptors(), before);
    for (int fd : { pipeFds[0], pipeFds[1], pair.master, pair.worker })
        ::close(fd);
}

QTEST_APPLESS_MAIN(TestMessage)
#include "tst_message.moc"
