#include "metrics/procstat.h"

#include <string>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QTest>

using cs::CpuTimes;
using cs::CpuUsageComputer;

namespace {

QString fixturePath(const QString& name)
{
    const QByteArray dir = qgetenv("CS_TEST_DATA");
    if (!dir.isEmpty())
        return QString::fromLocal8Bit(dir) + QStringLiteral("/proc/") + name;
    return QFINDTESTDATA(QStringLiteral("../data/proc/") + name);
}

std::vector<CpuTimes> stat(const QString& name)
{
    const auto text = cs::readSmallFile(fixturePath(name).toStdString());
    if (!text)
        qFatal("fixture %s is missing", qPrintable(name));
    return cs::parseProcStat(*text);
}

CpuTimes times(std::uint64_t busy, std::uint64_t idle)
{
    CpuTimes t;
    t.user = busy;
    t.idle = idle;
    return t;
}

void compareBusy(const std::vector<double>& actual, const QList<double>& expected)
{
    QCOMPARE(qsizetype(actual.size()), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        // Four decimals is far finer than any chart shows.
        QVERIFY2(qAbs(actual[std::size_t(i)] - expected[i]) < 1e-4,
                 qPrintable(QStringLiteral("core %1: %2 != %3").arg(i).arg(actual[std::size_t(i)]).arg(expected[i])));
    }
}

} // namespace

class TestCpuUsage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixturePairs_data();
    void fixturePairs();
    void firstCallIsZero();
    void noTicksIsZero();
    void recoversAfterBackwards();
    void coresAppearAndVanish();
    void clampsToRange();
    void processPercent_data();
    void processPercent();
};

void TestCpuUsage::fixturePairs_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QList<double>>("busy");
    // cpu0 367 busy of 1161 ticks, cpu1 384 of 1162 (counted by hand from the captures).
    QTest::newRow("real") << QStringLiteral("stat-real") << QStringLiteral("stat-real-later")
                          << QList<double> { 100.0 * 367 / 1161, 100.0 * 384 / 1162 };
    // cpu0: 600 busy (user, system, softirq) of 1000, iowait counted as idle; cpu1's idle
    // counter went backwards, so it reads 0 instead of nonsense.
    QTest::newRow("backwards") << QStringLiteral("stat-before") << QStringLiteral("stat-after")
                               << QList<double> { 60.0, 0.0 };
    // cpu1 went offline (its empty entry is "backwards"), cpu2 is new: both 0.
    QTest::newRow("core gone") << QStringLiteral("stat-before") << QStringLiteral("stat-core-gone")
                               << QList<double> { 100.0 / 3.0, 0.0, 0.0 };
    QTest::newRow("same reading") << QStringLiteral("stat-real") << QStringLiteral("stat-real")
                                  << QList<double> { 0.0, 0.0 };
}

void TestCpuUsage::fixturePairs()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QList<double>, busy);
    CpuUsageComputer computer;
    computer.update(stat(before));
    compareBusy(computer.update(stat(after)), busy);
}

void TestCpuUsage::firstCallIsZero()
{
    CpuUsageComputer computer;
    compareBusy(computer.update(stat(QStringLiteral("stat-real-later"))), { 0.0, 0.0 });
    QVERIFY(computer.update({}).empty());
}

void TestCpuUsage::noTicksIsZero()
{
    CpuUsageComputer computer;
    computer.update({ times(10, 10) });
    compareBusy(computer.update({ times(10, 10) }), { 0.0 });
}

void TestCpuUsage::recoversAfterBackwards()
{
    // The reading after a reset is the new baseline: the next sample is real again.
    CpuUsageComputer computer;
    computer.update({ times(1000, 1000) });
    compareBusy(computer.update({ times(10, 10) }), { 0.0 });
    compareBusy(computer.update({ times(40, 20) }), { 75.0 });
}

void TestCpuUsage::coresAppearAndVanish()
{
    CpuUsageComputer computer;
    computer.update({ times(0, 0) });
    compareBusy(computer.update({ times(50, 50), times(100, 0) }), { 50.0, 0.0 });
    compareBusy(computer.update({ times(60, 50), times(100, 100), times(5, 5) }), { 100.0, 0.0, 0.0 });
    compareBusy(computer.update({ times(60, 60) }), { 0.0 });
    compareBusy(computer.update({ times(70, 90), times(1, 1) }), { 25.0, 0.0 });
}

void TestCpuUsage::clampsToRange()
{
    // Every non-idle counter is busy time.
    CpuTimes a;
    CpuTimes b;
    b.user = 1;
    b.nice = 1;
    b.system = 1;
    b.irq = 1;
    b.softirq = 1;
    b.steal = 1;
    CpuUsageComputer computer;
    computer.update({ a });
    compareBusy(computer.update({ b }), { 100.0 });
    CpuTimes c = b;
    c.idle = 3;
    c.iowait = 3;
    compareBusy(computer.update({ c }), { 0.0 });
}

void TestCpuUsage::processPercent_data()
{
    QTest::addColumn<quint64>("before");
    QTest::addColumn<quint64>("now");
    QTest::addColumn<double>("elapsed");
    QTest::addColumn<int>("hz");
    QTest::addColumn<double>("expected");
    QTest::newRow("one core") << quint64(0) << quint64(100) << 1.0 << 100 << 100.0;
    QTest::newRow("half a core") << quint64(200) << quint64(250) << 1.0 << 100 << 50.0;
    QTest::newRow("short interval") << quint64(0) << quint64(50) << 0.5 << 100 << 100.0;
    QTest::newRow("two threads") << quint64(0) << quint64(400) << 2.0 << 100 << 200.0;
    QTest::newRow("other clock rate") << quint64(0) << quint64(250) << 1.0 << 1000 << 25.0;
    QTest::newRow("idle") << quint64(7) << quint64(7) << 1.0 << 100 << 0.0;
    QTest::newRow("no time passed") << quint64(0) << quint64(100) << 0.0 << 100 << 0.0;
    QTest::newRow("time went backwards") << quint64(0) << quint64(100) << -1.0 << 100 << 0.0;
    QTest::newRow("ticks went backwards") << quint64(100) << quint64(10) << 1.0 << 100 << 0.0;
    QTest::newRow("no clock rate") << quint64(0) << quint64(100) << 1.0 << 0 << 0.0;
}

void TestCpuUsage::processPercent()
{
    QFETCH(quint64, before);
    QFETCH(quint64, now);
    QFETCH(double, elapsed);
    QFETCH(int, hz);
    QFETCH(double, expected);
    QCOMPARE(cs::processCpuPercent(before, now, elapsed, hz), expected);
}

QTEST_APPLESS_MAIN(TestCpuUsage)
#include "tst_cpuusage.moc"
