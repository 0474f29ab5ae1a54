// ResponseParser, the load generator's reader of HTTP responses (Beast's parser underneath):
// every framing a server may choose, fed whole and one byte at a time, as a socket may
// deliver it, with what follows the response left for the next one.
#include "load/responseparser.h"

#include <boost/beast/http/error.hpp>

#include <QTest>

using namespace cs;

namespace {

struct Outcome {
    bool done = false;
    std::string error; ///< describe() of the error, empty when none
    int status = 0;
    std::string worker;
    std::uint64_t body = 0;
    bool keepAlive = false;
    int interim = 0; ///< 1xx responses passed over before the final one
    std::string rest; ///< bytes left after the final response
};

// Feeds `bytes` in pieces of `step` (0: all at once), as the load generator does: what the
// parser did not use stays in front of the next piece; a 1xx starts the next response.
Outcome feed(ResponseParser& parser, const std::string& bytes, std::size_t step, bool head, bool eofAfter)
{
    Outcome out;
    parser.reset(head);
    std::string pending;
    std::size_t offset = 0;
    boost::system::error_code ec;
    auto parsePending = [&] {
        while (!pending.empty() && !parser.done()) {
            const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
            pending.erase(0, used);
            if (ec == boost::beast::http::error::need_more) {
                ec = {};
                return;
            }
            if (ec || used == 0)
                return;
            if (parser.interim()) {
                ++out.interim;
                parser.reset(head);
            }
        }
    };
    while (offset < bytes.size() && !parser.done() && !ec) {
        const std::size_t n = step == 0 ? bytes.size() - offset : std::min(step, bytes.size() - offset);
        pending.append(bytes, offset, n);
        offset += n;
        parsePending();
    }
    if (!ec && !parser.done() && eofAfter)
        parser.putEof(ec);
    out.done = parser.done();
    out.error = ec ? parser.describe(ec, "host:1") : std::string();
    out.status = parser.status();
    out.worker = std::string(parser.worker());
    out.body = parser.bodyBytes();
    out.keepAlive = parser.keepAlive();
    out.rest = pending + bytes.substr(offset);
    return out;
}

} // namespace

class TestResponseParser : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void framings_data();
    void framings();
    void bodyLimitIsSaidInItsUnit();
};

void TestResponseParser::framings_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("head"); // the answer to a HEAD request
    QTest::addColumn<bool>("eofAfter"); // the server closes after these bytes
    QTest::addColumn<bool>("done");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("worker");
    QTest::addColumn<qulonglong>("body");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<int>("interim");
    QTest::addColumn<QByteArray>("rest");
    QTest::addColumn<QByteArray>("error"); // in describe(); empty: none

    const QByteArray next = "HTTP/1.1 200 OK\r\n"; // the start of a following response
    QTest::newRow("content-length")
        << "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Worker: 2\r\n\r\nhello" + next << false << false << true << 200
        << QByteArray("2") << 5ull << true << 0 << next << QByteArray();
    QTest::newRow("chunked with extension and trailer")
        << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-worker:  7 \r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n"
           "0\r\nTrailer: 1\r\n\r\n"
               + next
        << false << false << true << 200 << QByteArray("7") << 11ull << true << 0 << next << QByteArray();
    QTest::newRow("HEAD: Content-Length but no body")
        << "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nX-Worker: 1\r\n\r\n" + next << true << false << true << 200
        << QByteArray("1") << 0ull << true << 0 << next << QByteArray();
    QTest::newRow("100 and 103 before the response")
        << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Worker: 3\r\n\r\nok")
        << false << false << true << 201 << QByteArray("3") << 2ull << true << 2 << QByteArray() << QByteArray();
    QTest::newRow("204 and 304 have no body")
        << "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n" + next << false << false << true << 304
        << QByteArray() << 0ull << true << 0 << next << QByteArray();
    QTest::newRow("Connection: close")
        << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi") << false << true << true
        << 200 << QByteArray() << 2ull << false << 0 << QByteArray() << QByteArray();
    QTest::newRow("HTTP/1.0 body until close")
        << QByteArray("HTTP/1.0 200 OK\r\nX-Worker: 9\r\n\r\nuntil the end") << false << true << true << 200
        << QByteArray("9") << 13ull << false << 0 << QByteArray() << QByteArray();
    QTest::newRow("HTTP/1.0 keep-alive")
        << QByteArray("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx") << false << false
        << true << 200 << QByteArray() << 1ull << true << 0 << QByteArray() << QByteArray();
    QTest::newRow("101 ends the HTTP conversation")
        << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n") << false
        << false << true << 101 << QByteArray() << 0ull << false << 0 << QByteArray() << QByteArray();
    QTest::newRow("cut short") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf") << false << true
                               << false << 200 << QByteArray() << 4ull << false << 0 << QByteArray()
                               << QByteArray("reading from host:1: the server closed the connection before a full response");
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << false << true << false << 0
                              << QByteArray() << 0ull << false << 0 << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n")
                              << QByteArray("invalid response from host:1: ");
    QTest::newRow("body over the limit")
        << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 68719476737\r\n\r\n") << false << false << false << 200
        << QByteArray() << 0ull << true << 0 << QByteArray()
        << QByteArray("the response from host:1 has a body larger than 64 MiB, the most that is read");
    QTest::newRow("chunk over the limit")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n") << false << false << false
        << 200 << QByteArray() << 0ull << true << 0 << QByteArray("fffffffff\r\n")
        << QByteArray("has a body larger than 64 MiB");
    QTest::newRow("head over 16 KiB")
        << "HTTP/1.1 200 OK\r\nX-Big: " + QByteArray(17 * 1024, 'a') + "\r\n\r\n" << false << false << false << 0
        << QByteArray() << 0ull << true << 0 << QByteArray() << QByteArray("head larger than 16 KiB");
}

void TestResponseParser::framings()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, head);
    QFETCH(bool, eofAfter);
    QFETCH(QByteArray, rest);
    QFETCH(QByteArray, error);
    ResponseParser parser;
    // Whole, then one byte at a time with the same parser (reset() makes it new).
    for (std::size_t step : { std::size_t(0), std::size_t(1) }) {
        const Outcome out = feed(parser, bytes.toStdString(), step, head, eofAfter);
        const QByteArray where = "step " + QByteArray::number(qulonglong(step)) + ": " + QByteArray::fromStdString(out.error);
        QTEST(out.done, "done");
        if (error.isEmpty()) {
            QVERIFY2(out.error.empty(), where.constData());
            QTEST(out.status, "status");
            QTEST(QByteArray::fromStdString(out.worker), "worker");
            QTEST(qulonglong(out.body), "body");
            QTEST(out.keepAlive, "keepAlive");
            QTEST(out.interim, "interim");
            // Whatever the pieces, the next response's bytes are left alone.
            QCOMPARE(QByteArray::fromStdString(out.rest), rest);
        } else {
            QVERIFY2(out.error.find(error.toStdString()) != std::string::npos, where.constData());
        }
    }
}

void TestResponseParser::bodyLimitIsSaidInItsUnit()
{
    ResponseParser parser(100);
    const Outcome out = feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n60\r\n" + std::string(96, 'x')
                                 + "\r\n10\r\n",
                             0, false, false);
    QCOMPARE(out.body, 96u);
    QCOMPARE(out.error, std::string("the response from host:1 has a body larger than 100 bytes, the most that is read"));
}

QTEST_APPLESS_MAIN(TestResponseParser)
#include "tst_responseparser.moc"
