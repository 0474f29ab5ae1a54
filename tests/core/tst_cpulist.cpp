// The CPU list syntax of --cpus and /proc/PID/status Cpus_allowed_list, the CPU a pinned slot
// gets, and the sentence for CPUs this machine cannot give.
#include "affinity/cpulist.h"

#include "metrics/procstat.h"

#include <QtTest>

using cs::CpuList;

Q_DECLARE_METATYPE(CpuList)

class TestCpuList : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void format_data();
    void format();
    void cpusForSlot_data();
    void cpusForSlot();
    void problems_data();
    void problems();
    void allowedCpusIsWhatTheKernelSays();
};

void TestCpuList::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<CpuList>("cpus");
    const CpuList none;
    QTest::newRow("one") << "0" << true << CpuList { 0 };
    QTest::newRow("list and range") << "0,2-3" << true << CpuList { 0, 2, 3 };
    QTest::newRow("order kept") << "1,0" << true << CpuList { 1, 0 };
    QTest::newRow("spaces around items") << " 1 , 0-1 " << true << CpuList { 1, 0 };
    QTest::newRow("repeat dropped") << "0-2,1" << true << CpuList { 0, 1, 2 };
    QTest::newRow("range of one") << "3-3" << true << CpuList { 3 };
    QTest::newRow("highest") << "1023" << true << CpuList { 1023 };
    QTest::newRow("kernel format") << "0-1,4-5" << true << CpuList { 0, 1, 4, 5 };
    QTest::newRow("empty") << "" << false << none;
    QTest::newRow("blank") << "  " << false << none;
    QTest::newRow("comma") << "," << false << none;
    QTest::newRow("trailing comma") << "0," << false << none;
    QTest::newRow("leading comma") << ",1" << false << none;
    QTest::newRow("empty item") << "0,,1" << false << none;
    QTest::newRow("backwards") << "3-1" << false << none;
    QTest::newRow("negative") << "-1" << false << none;
    QTest::newRow("open range") << "1-" << false << none;
    QTest::newRow("dash") << "-" << false << none;
    QTest::newRow("word") << "all" << false << none;
    QTest::newRow("hex") << "0x1" << false << none;
    QTest::newRow("fraction") << "1.5" << false << none;
    QTest::newRow("plus") << "+1" << false << none;
    QTest::newRow("space inside") << "1 2" << false << none;
    QTest::newRow("over the set size") << "1024" << false << none;
    QTest::newRow("range over the set size") << "0-1024" << false << none;
    QTest::newRow("huge") << "99999999999999999999" << false << none;
    QTest::newRow("stride (not taken)") << "0-7:2" << false << none;
}

void TestCpuList::parse()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(CpuList, cpus);
    const auto parsed = cs::parseCpuList(text.toStdString());
    QCOMPARE(parsed.has_value(), valid);
    if (valid)
        QCOMPARE(*parsed, cpus);
}

void TestCpuList::format_data()
{
    QTest::addColumn<CpuList>("cpus");
    QTest::addColumn<QString>("text");
    QTest::newRow("none") << CpuList {} << "";
    QTest::newRow("one") << CpuList { 7 } << "7";
    QTest::newRow("runs") << CpuList { 0, 1, 2, 5 } << "0-2,5";
    QTest::newRow("pair") << CpuList { 0, 2, 3 } << "0,2-3";
    QTest::newRow("order kept") << CpuList { 1, 0 } << "1,0";
    QTest::newRow("two runs") << CpuList { 4, 5, 0, 1 } << "4-5,0-1";
}

void TestCpuList::format()
{
    QFETCH(CpuList, cpus);
    QFETCH(QString, text);
    QCOMPARE(QString::fromStdString(cs::formatCpuList(cpus)), text);
    if (!cpus.empty())
        QCOMPARE(cs::parseCpuList(cs::formatCpuList(cpus)), std::optional(cpus)); // round trip
}

void TestCpuList::cpusForSlot_data()
{
    QTest::addColumn<bool>("pin");
    QTest::addColumn<CpuList>("cpus");
    QTest::addColumn<CpuList>("allowed");
    QTest::addColumn<int>("slot");
    QTest::addColumn<CpuList>("expected");
    const CpuList two { 0, 1 };
    QTest::newRow("free") << false << CpuList {} << two << 1 << CpuList {};
    QTest::newRow("set only") << false << CpuList { 2, 3 } << two << 5 << CpuList { 2, 3 };
    QTest::newRow("pin slot 1") << true << CpuList {} << two << 1 << CpuList { 0 };
    QTest::newRow("pin slot 2") << true << CpuList {} << two << 2 << CpuList { 1 };
    QTest::newRow("pin slot 3 wraps") << true << CpuList {} << two << 3 << CpuList { 0 };
    QTest::newRow("pin within the allowed set") << true << CpuList {} << CpuList { 2, 5 } << 2 << CpuList { 5 };
    QTest::newRow("pin in list order 1") << true << CpuList { 3, 1 } << two << 1 << CpuList { 3 };
    QTest::newRow("pin in list order 2") << true << CpuList { 3, 1 } << two << 2 << CpuList { 1 };
    QTest::newRow("pin in list order 3") << true << CpuList { 3, 1 } << two << 3 << CpuList { 3 };
    QTest::newRow("pin one cpu") << true << CpuList { 1 } << two << 4 << CpuList { 1 };
    QTest::newRow("pin nothing known") << true << CpuList {} << CpuList {} << 1 << CpuList {};
    QTest::newRow("slot 0 is slot 1") << true << CpuList {} << two << 0 << CpuList { 0 };
}

void TestCpuList::cpusForSlot()
{
    QFETCH(bool, pin);
    QFETCH(CpuList, cpus);
    QFETCH(CpuList, allowed);
    QFETCH(int, slot);
    QFETCH(CpuList, expected);
    QCOMPARE(cs::cpusForSlot(pin, cpus, allowed, slot), expected);
}

void TestCpuList::problems_data()
{
    QTest::addColumn<CpuList>("cpus");
    QTest::addColumn<CpuList>("allowed");
    QTest::addColumn<int>("configured");
    QTest::addColumn<QString>("problem");
    QTest::newRow("all usable") << CpuList { 1, 0 } << CpuList { 0, 1 } << 2 << "";
    QTest::newRow("no such cpu") << CpuList { 0, 7 } << CpuList { 0, 1 } << 2
                                 << "CPU 7 does not exist on this machine, which has CPUs 0-1; choose from 0-1.";
    QTest::newRow("single-cpu machine") << CpuList { 1 } << CpuList { 0 } << 1
                                        << "CPU 1 does not exist on this machine, which has only CPU 0; choose from 0.";
    QTest::newRow("outside the allowed set")
        << CpuList { 3 } << CpuList { 0, 1 } << 4
        << "CPU 3 is offline or outside the CPUs this program may use (0-1, set by taskset or a cgroup); choose "
           "from those.";
}

void TestCpuList::problems()
{
    QFETCH(CpuList, cpus);
    QFETCH(CpuList, allowed);
    QFETCH(int, configured);
    QFETCH(QString, problem);
    const auto found = cs::cpuListProblem(cpus, allowed, configured);
    QCOMPARE(found ? QString::fromStdString(*found) : QString(), problem);
}

// sched_getaffinity against what /proc says of the same process.
void TestCpuList::allowedCpusIsWhatTheKernelSays()
{
    QFile status(QStringLiteral("/proc/self/status"));
    QVERIFY(status.open(QIODevice::ReadOnly));
    QString listed;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("Cpus_allowed_list:"))
            listed = QString::fromLatin1(line.mid(int(sizeof("Cpus_allowed_list:") - 1))).trimmed();
    QVERIFY(!listed.isEmpty());
    const CpuList allowed = cs::allowedCpus();
    QVERIFY(!allowed.empty());
    QCOMPARE(QString::fromStdString(cs::formatCpuList(allowed)), listed);
    QVERIFY(int(allowed.size()) <= cs::configuredCpuCount());
    QVERIFY(cs::allowedCpus(999999999).empty()); // no such process
}

QTEST_APPLESS_MAIN(TestCpuList)
#include "tst_cpulist.moc"
