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
    QTest::addColumn<int>("workerCount");
    QTest::addColumn<bool>("defined"); // false: nothing to judge yet, no index at all
    QTest::addColumn<double>("expected");
    QTest::newRow("no workers") << QList<double> {} << 0 << false << 0.0;
    QTest::newRow("workers, no requests yet") << QList<double> {} << 2 << false << 0.0;
    QTest::newRow("all zero") << QList<double> { 0, 0, 0 } << 3 << false << 0.0;
    QTest::newRow("single") << QList<double> { 7 } << 1 << true << 1.0;
    QTest::newRow("even split of 2") << QList<double> { 50, 50 } << 2 << true << 1.0;
    QTest::newRow("even split of 4") << QList<double> { 5, 5, 5, 5 } << 4 << true << 1.0;
    QTest::newRow("equal fractions") << QList<double> { 0.25, 0.25, 0.25, 0.25 } << 4 << true << 1.0;
    QTest::newRow("100/0 of 2") << QList<double> { 100, 0 } << 2 << true << 0.5;
    // The case of issue 17: only the worker that answered is in the counts; the other got
    // nothing and still counts.
    QTest::newRow("100 and one silent worker") << QList<double> { 100 } << 2 << true << 0.5;
    QTest::newRow("one-hot of 4") << QList<double> { 0, 0, 42, 0 } << 4 << true << 0.25;
    QTest::newRow("one of 4 answered") << QList<double> { 42 } << 4 << true << 0.25;
    QTest::newRow("two of three") << QList<double> { 100, 100, 0 } << 3 << true << 2.0 / 3.0;
    QTest::newRow("two of three answered") << QList<double> { 100, 100 } << 3 << true << 2.0 / 3.0;
    QTest::newRow("1 2 3") << QList<double> { 1, 2, 3 } << 3 << true << 36.0 / 42.0;
    QTest::newRow("scale free") << QList<double> { 1000, 2000, 3000 } << 3 << true << 36.0 / 42.0;
    // More shares than the count says (a worker count that was too low): every share counts.
    QTest::newRow("count below shares") << QList<double> { 10, 10, 0, 0 } << 2 << true << 0.5;
}

void TestFairness::jain()
{
    QFETCH(QList<double>, shares);
    QFETCH(int, workerCount);
    QFETCH(bool, defined);
    QFETCH(double, expected);
    const std::vector<double> values(shares.begin(), shares.end());
    const std::optional<double> index = cs::jainIndex(values, static_cast<std::size_t>(workerCount));
    QCOMPARE(index.has_value(), defined);
    if (defined)
        QCOMPARE(*index, expected);
}

QTEST_APPLESS_MAIN(TestFairness)
#include "tst_fairness.moc"
