#include "metrics/fairness.h"

#include <vector>

#include <QList>
#include <QTest>

class TestFairness : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void jain_data();
    void jain();
};

void TestFairness::jain_data()
{
    QTest::addColumn<QList<double>>("shares");
    QTest::addColumn<double>("expected");
    QTest::newRow("empty") << QList<double> {} << 1.0;
    QTest::newRow("all zero") << QList<double> { 0, 0, 0 } << 1.0;
    QTest::newRow("single") << QList<double> { 7 } << 1.0;
    QTest::newRow("equal") << QList<double> { 5, 5, 5, 5 } << 1.0;
    QTest::newRow("equal fractions") << QList<double> { 0.25, 0.25, 0.25, 0.25 } << 1.0;
    QTest::newRow("one-hot of 2") << QList<double> { 0, 9 } << 0.5;
    QTest::newRow("one-hot of 4") << QList<double> { 0, 0, 42, 0 } << 0.25;
    QTest::newRow("two of three") << QList<double> { 100, 100, 0 } << 2.0 / 3.0;
    QTest::newRow("1 2 3") << QList<double> { 1, 2, 3 } << 36.0 / 42.0;
    QTest::newRow("scale free") << QList<double> { 1000, 2000, 3000 } << 36.0 / 42.0;
}

void TestFairness::jain()
{
    QFETCH(QList<double>, shares);
    QFETCH(double, expected);
    const std::vector<double> values(shares.begin(), shares.end());
    QCOMPARE(cs::jainIndex(values), expected);
}

QTEST_APPLESS_MAIN(TestFairness)
#include "tst_fairness.moc"
