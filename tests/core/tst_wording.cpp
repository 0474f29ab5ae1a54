// How messages are worded: host:port as URLs write it.
#include "messages/wording.h"

#include <QtTest>

class TestWording : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hostPortBracketsIpv6_data();
    void hostPortBracketsIpv6();
};

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
