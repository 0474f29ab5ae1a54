// How messages are worded: counts with their noun in the right number, host:port as URLs write it.
#include "messages/wording.h"

#include <QtTest>

class TestWording : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countedPicksSingularOrPlural_data();
    void countedPicksSingularOrPlural();
    void hostPortBracketsIpv6_data();
    void hostPortBracketsIpv6();
};

void TestWording::countedPicksSingularOrPlural_data()
{
    QTest::addColumn<qulonglong>("count");
    QTest::addColumn<QByteArray>("singular");
    QTest::addColumn<QByteArray>("plural");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("one") << 1ull << QByteArray("worker") << QByteArray() << QByteArray("1 worker");
    QTest::newRow("two") << 2ull << QByteArray("worker") << QByteArray() << QByteArray("2 workers");
    QTest::newRow("none") << 0ull << QByteArray("error") << QByteArray() << QByteArray("0 errors");
    QTest::newRow("many") << 18446744073709551615ull << QByteArray("request") << QByteArray()
                          << QByteArray("18446744073709551615 requests");
    QTest::newRow("irregular one") << 1ull << QByteArray("process") << QByteArray("processes") << QByteArray("1 process");
    QTest::newRow("irregular") << 3ull << QByteArray("process") << QByteArray("processes") << QByteArray("3 processes");
}

void TestWording::countedPicksSingularOrPlural()
{
    QFETCH(qulonglong, count);
    QFETCH(QByteArray, singular);
    QFETCH(QByteArray, plural);
    QFETCH(QByteArray, expected);
    QCOMPARE(QByteArray::fromStdString(cs::counted(count, singular.toStdString(), plural.toStdString())), expected);
}

void TestWording::hostPortBracketsIpv6_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("expected");
    QTest::newRow("IPv4") << QStringLiteral("127.0.0.1") << QStringLiteral("127.0.0.1:8000");
    QTest::newRow("any IPv4") << QStringLiteral("0.0.0.0") << QStringLiteral("0.0.0.0:8000");
    QTest::newRow("name") << QStringLiteral("localhost") << QStringLiteral("localhost:8000");
    QTest::newRow("IPv6 loopback") << QStringLiteral("::1") << QStringLiteral("[::1]:8000");
    QTest::newRow("any IPv6") << QStringLiteral("::") << QStringLiteral("[::]:8000");
    QTest::newRow("IPv6 full") << QStringLiteral("2001:db8::42") << QStringLiteral("[2001:db8::42]:8000");
    QTest::newRow("already in brackets") << QStringLiteral("[::1]") << QStringLiteral("[::1]:8000");
}

void TestWording::hostPortBracketsIpv6()
{
    QFETCH(QString, host);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(cs::hostPort(host.toStdString(), 8000)), expected);
    QCOMPARE(QString::fromStdString(cs::httpUrl(host.toStdString(), 8000, "/metrics")),
             QStringLiteral("http://") + expected + QStringLiteral("/metrics"));
}

QTEST_APPLESS_MAIN(TestWording)
#include "tst_wording.moc"
