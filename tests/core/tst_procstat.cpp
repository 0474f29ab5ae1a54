#include "metrics/procstat.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QTest>

using cs::CpuTimes;
using cs::ProcessStat;

namespace {

// Fixtures come from CS_TEST_DATA (set by ctest), else from the source tree beside this file.
QString fixturePath(const QString& name)
{
    const QByteArray dir = qgetenv("CS_TEST_DATA");
    if (!dir.isEmpty())
        return QString::fromLocal8Bit(dir) + QStringLiteral("/proc/") + name;
    return QFINDTESTDATA(QStringLiteral("../data/proc/") + name);
}

std::string fixture(const QString& name)
{
    const auto text = cs::readSmallFile(fixturePath(name).toStdString());
    if (!text)
        qFatal("fixture %s is missing", qPrintable(name));
    return *text;
}

QList<quint64> fields(const CpuTimes& t)
{
    return { t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal };
}

} // namespace

class TestProcStat : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void procStat_data();
    void procStat();
    void procStatIgnoresEverythingElse();
    void pidStat_data();
    void pidStat();
    void pidStatRejects_data();
    void pidStatRejects();
    void readSmallFileReadsProcAndFixtures();
    void readSmallFileMissing();
    void statFileReadsOneProcessUntilItIsGone();
    void runTimeGrowsOnlyWhileItRuns();
};

void TestProcStat::procStat_data()
{
    // Each core as its 8 counters, in core order.
    QTest::addColumn<QString>("file");
    QTest::addColumn<QList<QList<quint64>>>("cores");

    QTest::newRow("real capture")
        << QStringLiteral("stat-real")
        << QList<QList<quint64>> { { 686, 0, 1158, 632844, 22, 0, 13, 2 }, { 1026, 0, 1185, 633023, 259, 0, 43, 4 } };
    QTest::newRow("real capture, later")
        << QStringLiteral("stat-real-later")
        << QList<QList<quint64>> { { 955, 0, 1256, 633633, 27, 0, 13, 2 }, { 1293, 0, 1300, 633798, 262, 0, 45, 4 } };
    QTest::newRow("crafted")
        << QStringLiteral("stat-before")
        << QList<QList<quint64>> { { 1000, 50, 500, 10000, 200, 0, 50, 0 }, { 2000, 50, 1000, 10000, 200, 0, 50, 0 } };
    // cpu1 is offline: its place stays, empty, so cpu2 keeps index 2.
    QTest::newRow("core gone") << QStringLiteral("stat-core-gone")
                               << QList<QList<quint64>> { { 1100, 50, 600, 10500, 300, 0, 150, 0 },
                                                          { 0, 0, 0, 0, 0, 0, 0, 0 },
                                                          { 900, 0, 400, 19500, 0, 0, 0, 0 } };
    // cpu1 is cut short and cpu2 garbled (skipped, left empty); cpu3 has the old 4-field
    // layout; cpu4 ends the file without a newline.
    QTest::newRow("truncated") << QStringLiteral("stat-truncated")
                               << QList<QList<quint64>> { { 1, 2, 3, 4, 5, 6, 7, 8 },
                                                          { 0, 0, 0, 0, 0, 0, 0, 0 },
                                                          { 0, 0, 0, 0, 0, 0, 0, 0 },
                                                          { 100, 200, 300, 400, 0, 0, 0, 0 },
                                                          { 5, 6, 7, 8, 9, 1, 0, 0 } };
}

void TestProcStat::procStat()
{
    QFETCH(QString, file);
    QFETCH(QList<QList<quint64>>, cores);
    const auto parsed = cs::parseProcStat(fixture(file));
    QCOMPARE(qsizetype(parsed.size()), cores.size());
    for (qsizetype i = 0; i < cores.size(); ++i)
        QCOMPARE(fields(parsed[std::size_t(i)]), cores[i]);
}

void TestProcStat::procStatIgnoresEverythingElse()
{
    QVERIFY(cs::parseProcStat("").empty());
    QVERIFY(cs::parseProcStat("cpu  1 2 3 4 5 6 7 8 0 0\nintr 5 6\nctxt 9\n").empty());
    QVERIFY(cs::parseProcStat("cpux 1 2 3 4\ncpu-1 1 2 3 4\ncpu99999999999999999999 1 2 3 4\n").empty());
    const auto one = cs::parseProcStat("cpu0 1 2 3 4 5 6 7 8 9 10\n");
    QCOMPARE(one.size(), std::size_t(1));
    QCOMPARE(one[0].total(), quint64(36));
    QCOMPARE(one[0].idleAll(), quint64(9));
}

void TestProcStat::pidStat_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("pid");
    QTest::addColumn<char>("state");
    QTest::addColumn<quint64>("utime");
    QTest::addColumn<quint64>("stime");
    QTest::addColumn<quint64>("startTime");
    QTest::addColumn<qint64>("rss");
    QTest::addColumn<int>("processor");

    QTest::newRow("real capture") << QStringLiteral("pid-stat-real") << 6650 << 'R' << quint64(0) << quint64(0)
                                  << quint64(636090) << qint64(382) << 1;
    QTest::newRow("real capture, busy") << QStringLiteral("pid-stat-real-busy") << 6851 << 'R' << quint64(10)
                                        << quint64(5) << quint64(637255) << qint64(376) << 1;
    QTest::newRow("name with spaces and parens") << QStringLiteral("pid-stat-spaces") << 4242 << 'S' << quint64(1234)
                                                 << quint64(567) << quint64(98765) << qint64(2048) << 1;
}

void TestProcStat::pidStat()
{
    QFETCH(QString, file);
    QFETCH(int, pid);
    QFETCH(char, state);
    QFETCH(quint64, utime);
    QFETCH(quint64, stime);
    QFETCH(quint64, startTime);
    QFETCH(qint64, rss);
    QFETCH(int, processor);

    const auto stat = cs::parseProcPidStat(fixture(file));
    QVERIFY(stat);
    QCOMPARE(stat->pid, pid);
    QCOMPARE(stat->state, state);
    QCOMPARE(stat->utimeTicks, utime);
    QCOMPARE(stat->stimeTicks, stime);
    QCOMPARE(stat->startTimeTicks, startTime);
    QCOMPARE(stat->rssPages, rss);
    QCOMPARE(stat->processor, processor);
}

void TestProcStat::pidStatRejects_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("no name") << QByteArray("12 R 1 2 3");
    QTest::newRow("unclosed name") << QByteArray("12 (cat R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21");
    QTest::newRow("pid not a number") << QByteArray("abc (cat) R 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7");
    QTest::newRow("state too long") << QByteArray("12 (cat) RR 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7");
    QTest::newRow("utime garbled") << QByteArray("12 (cat) R 1 1 1 0 -1 0 0 0 0 0 1x 2 0 0 20 0 1 0 5 6 7");
    QTest::newRow("cut before rss") << QByteArray("12 (cat) R 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6");
    QTest::newRow("truncated fixture") << QByteArray::fromStdString(fixture(QStringLiteral("pid-stat-truncated")));
}

void TestProcStat::pidStatRejects()
{
    QFETCH(QByteArray, text);
    QVERIFY(!cs::parseProcPidStat(std::string_view(text.constData(), std::size_t(text.size()))));
}

void TestProcStat::readSmallFileReadsProcAndFixtures()
{
    // /proc files claim a size of 0; the reader must not believe it.
    const auto self = cs::readSmallFile("/proc/self/stat");
    QVERIFY(self);
    const auto stat = cs::parseProcPidStat(*self);
    QVERIFY(stat);
    QCOMPARE(stat->pid, int(::getpid()));
    QCOMPARE(stat->state, 'R');

    QFile file(fixturePath(QStringLiteral("stat-real")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QByteArray::fromStdString(fixture(QStringLiteral("stat-real"))), file.readAll());

    const auto live = cs::readSmallFile("/proc/stat");
    QVERIFY(live);
    QCOMPARE(cs::parseProcStat(*live).size(), std::size_t(::sysconf(_SC_NPROCESSORS_CONF)));
}

void TestProcStat::readSmallFileMissing()
{
    QVERIFY(!cs::readSmallFile("/nonexistent/clusterscope/file"));
    QVERIFY(!cs::readSmallFile(""));
}

// The master keeps each worker's /proc/PID/stat open: every read is current, and once the
// process is reaped the file says nothing (its pid may already name another process).
void TestProcStat::statFileReadsOneProcessUntilItIsGone()
{
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        for (;;)
            ::pause();
    }
    bool reaped = false;
    const auto cleanup = qScopeGuard([&] {
        if (!reaped) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
    });
    // A process read without its run time (the master's exec workers) costs one descriptor.
    const auto openFds = [] { return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                                   std::filesystem::directory_iterator {}); };
    const auto fdsBefore = openFds();
    const cs::ProcStatFile statOnly(child, false);
    QCOMPARE(openFds(), fdsBefore + 1);
    QVERIFY(statOnly.read());
    QVERIFY(!statOnly.runNanos());
    const cs::ProcStatFile file(child);
    QCOMPARE(openFds(), fdsBefore + 3);
    QVERIFY(file.runNanos());
    const auto first = file.read();
    QVERIFY(first);
    QCOMPARE(first->pid, int(child));
    QVERIFY(first->startTimeTicks > 0);
    const auto second = file.read(); // the same descriptor, read again from the start
    QVERIFY(second);
    QCOMPARE(second->pid, int(child));
    QCOMPARE(second->startTimeTicks, first->startTimeTicks);

    QCOMPARE(::kill(child, SIGKILL), 0);
    QCOMPARE(::waitpid(child, nullptr, 0), child);
    reaped = true;
    QVERIFY(!file.read());
    QVERIFY(!file.runNanos());

    QVERIFY(!cs::ProcStatFile(-1).read());
    QVERIFY(!cs::ProcStatFile(-1).runNanos());
}

void TestProcStat::runTimeGrowsOnlyWhileItRuns()
{
    int toChild[2];
    QCOMPARE(::pipe(toChild), 0);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        // Waits for a byte, then burns CPU for good.
        char byte;
        while (::read(toChild[0], &byte, 1) != 1) { }
        volatile std::uint64_t spins = 0;
        for (;;)
            spins = spins + 1;
    }
    ::close(toChild[0]);
    const auto cleanup = qScopeGuard([&] {
        ::close(toChild[1]);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    });
    const cs::ProcStatFile file(child);
    // A window, not a wait: blocked in read(), the child's run time stands still.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto blocked = file.runNanos();
    QVERIFY(blocked);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    QCOMPARE(*file.runNanos(), *blocked);
    QCOMPARE(::write(toChild[1], "x", 1), 1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::optional<std::uint64_t> now;
    while ((now = file.runNanos()) && *now < *blocked + 50'000'000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    QVERIFY(now);
    QVERIFY2(*now >= *blocked + 50'000'000, qPrintable(QString::number(*now - *blocked)));
}

QTEST_APPLESS_MAIN(TestProcStat)
#include "tst_procstat.moc"
