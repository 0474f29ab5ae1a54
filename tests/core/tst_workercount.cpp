// Reading a cluster's worker count for clusterscope-load --metrics-url: the URL, and the
// clusterscope_workers gauge in the Prometheus text.
#include "load/workercount.h"

#include <QTest>

class TestWorkerCount : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parseUrl_data();
    void parseUrl();
    void countFromMetrics_data();
    void countFromMetrics();
};

void TestWorkerCount::parseUrl_data()
{
    QTest::addColumn<QByteArray>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QByteArray>("target");
    QTest::newRow("full") << QByteArray("http://127.0.0.1:9100/metrics") << true << QByteArray("127.0.0.1") << 9100
                          << QByteArray("/metrics");
    QTest::newRow("no path") << QByteArray("http://127.0.0.1:9100") << true << QByteArray("127.0.0.1") << 9100
                             << QByteArray("/metrics");
    QTest::newRow("no scheme") << QByteArray("localhost:9100") << true << QByteArray("localhost") << 9100
                               << QByteArray("/metrics");
    QTest::newRow("no port") << QByteArray("http://metrics.example/m") << true << QByteArray("metrics.example") << 80
                             << QByteArray("/m");
    QTest::newRow("ipv6") << QByteArray("http://[::1]:9100/metrics") << true << QByteArray("::1") << 9100
                          << QByteArray("/metrics");
    QTest::newRow("https") << QByteArray("https://127.0.0.1:9100/metrics") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("empty") << QByteArray("") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("no host") << QByteArray("http://:9100/metrics") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("port zero") << QByteArray("http://127.0.0.1:0/metrics") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("port too big") << QByteArray("127.0.0.1:70000") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("port not a number") << QByteArray("127.0.0.1:http") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("empty port") << QByteArray("127.0.0.1:/metrics") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("space") << QByteArray("http://127.0.0.1:9100/me trics") << false << QByteArray() << 0 << QByteArray();
    QTest::newRow("unclosed bracket") << QByteArray("http://[::1:9100/") << false << QByteArray() << 0 << QByteArray();
}

void TestWorkerCount::parseUrl()
{
    QFETCH(QByteArray, url);
    QFETCH(bool, valid);
    const auto parsed = cs::parseMetricsUrl(url.toStdString());
    QCOMPARE(parsed.has_value(), valid);
    if (!parsed)
        return;
    QTEST(QByteArray::fromStdString(parsed->host), "host");
    QTEST(int(parsed->port), "port");
    QTEST(QByteArray::fromStdString(parsed->target), "target");
}

void TestWorkerCount::countFromMetrics_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("count"); // -1: none
    QTest::newRow("as the master writes it")
        << QByteArray("# HELP clusterscope_up 1 while the cluster runs.\n# TYPE clusterscope_up gauge\nclusterscope_up 1\n"
                      "# HELP clusterscope_workers Worker slots of the cluster.\n# TYPE clusterscope_workers gauge\n"
                      "clusterscope_workers 2\nclusterscope_worker_up{slot=\"1\"} 1\n")
        << 2;
    QTest::newRow("last line without newline") << QByteArray("clusterscope_workers 16") << 16;
    QTest::newRow("longer names are not it")
        << QByteArray("clusterscope_workers_total 9\nclusterscope_worker_up{slot=\"1\"} 1\n") << -1;
    QTest::newRow("comment mentioning it") << QByteArray("# HELP clusterscope_workers 3\n") << -1;
    QTest::newRow("not a count") << QByteArray("clusterscope_workers 2.5\n") << -1;
    QTest::newRow("NaN") << QByteArray("clusterscope_workers NaN\n") << -1;
    QTest::newRow("negative") << QByteArray("clusterscope_workers -1\n") << -1;
    QTest::newRow("nothing") << QByteArray("") << -1;
}

void TestWorkerCount::countFromMetrics()
{
    QFETCH(QByteArray, text);
    QFETCH(int, count);
    const auto found = cs::workerCountFromMetrics(text.toStdString());
    QCOMPARE(found.has_value(), count >= 0);
    if (found)
        QCOMPARE(*found, count);
}

QTEST_APPLESS_MAIN(TestWorkerCount)
#include "tst_workercount.moc"
