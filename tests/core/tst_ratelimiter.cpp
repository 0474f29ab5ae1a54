// RateLimiter: the first of a storm of repeated messages is printed, the rest are counted
// and summarised once a second; nothing is lost. Time is injected.
#include "messages/ratelimiter.h"

#include <QtTest>

using namespace std::chrono_literals;
using cs::RateLimiter;
using Lines = std::vector<std::string>;

namespace {

const RateLimiter::Clock::time_point t0 {}; // any origin will do

} // namespace

class TestRateLimiter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void steps_data();
    void steps();
    void aStormPrintsTwoLinesASecondAndLosesNothing();
    void theSummaryNamesTheLastMessageHeldBack();
};

// Each step is "r MS" (report "m" at MS, expecting the lines given) or "s MS" (summary at
// MS); `expected` has one entry per step, the lines joined by '|', "-" for none.
void TestRateLimiter::steps_data()
{
    QTest::addColumn<QByteArrayList>("steps");
    QTest::addColumn<QByteArrayList>("expected");
    const QByteArray summary1("m (and 1 more in the last second)");
    QTest::newRow("a single message") << QByteArrayList { "r 0", "s 1000", "s 5000" } << QByteArrayList { "m", "-", "-" };
    QTest::newRow("repeats within the second are held back")
        << QByteArrayList { "r 0", "r 1", "r 999", "s 999" } << QByteArrayList { "m", "-", "-", "-" };
    QTest::newRow("summarised once when the second is over")
        << QByteArrayList { "r 0", "r 500", "r 600", "s 1000", "s 1100" }
        << QByteArrayList { "m", "-", "-", "m (and 2 more in the last second)", "-" };
    QTest::newRow("a new period after a quiet second")
        << QByteArrayList { "r 0", "r 2000", "r 2500", "s 3000" } << QByteArrayList { "m", "m", "-", summary1 };
    // The timer has not come yet when the next message does: the summary goes first.
    QTest::newRow("summary before the next message")
        << QByteArrayList { "r 0", "r 10", "r 1000", "r 1001", "s 2000" }
        << QByteArrayList { "m", "-", summary1 + "|m", "-", summary1 };
    QTest::newRow("the period runs from the printed message")
        << QByteArrayList { "r 0", "r 999", "r 1000", "r 1998", "s 1999", "s 2000" }
        << QByteArrayList { "m", "-", summary1 + "|m", "-", "-", summary1 };
}

void TestRateLimiter::steps()
{
    QFETCH(QByteArrayList, steps);
    QFETCH(QByteArrayList, expected);
    QCOMPARE(steps.size(), expected.size());
    RateLimiter limiter;
    for (int i = 0; i < steps.size(); ++i) {
        const auto now = t0 + std::chrono::milliseconds(steps[i].mid(2).toInt());
        QByteArrayList lines;
        if (steps[i].startsWith('r')) {
            for (const auto& line : limiter.report("m", now))
                lines << QByteArray::fromStdString(line);
        } else if (const auto line = limiter.summary(now)) {
            lines << QByteArray::fromStdString(*line);
        }
        QCOMPARE(lines.isEmpty() ? QByteArray("-") : lines.join('|'), expected[i]);
    }
}

void TestRateLimiter::aStormPrintsTwoLinesASecondAndLosesNothing()
{
    // 200 failures a second for 10 s, the summary asked for every 100 ms (a housekeeping timer).
    RateLimiter limiter;
    Lines printed;
    std::uint64_t accounted = 0;
    auto take = [&](const std::string& line) {
        printed.push_back(line);
        const auto more = line.find("(and ");
        accounted += more == std::string::npos ? 1 : std::stoull(line.substr(more + 5));
    };
    for (int ms = 0; ms < 10000; ms += 5) {
        for (const auto& line : limiter.report("accept failed", t0 + std::chrono::milliseconds(ms)))
            take(line);
        if (ms % 100 == 0)
            if (auto line = limiter.summary(t0 + std::chrono::milliseconds(ms)))
                take(*line);
    }
    if (auto line = limiter.summary(t0 + 11s))
        take(*line);
    QCOMPARE(accounted, std::uint64_t(2000));
    QVERIFY2(printed.size() <= 20, std::to_string(printed.size()).c_str());
    QCOMPARE(printed.front(), std::string("accept failed"));
    QCOMPARE(printed[1], std::string("accept failed (and 199 more in the last second)"));
}

void TestRateLimiter::theSummaryNamesTheLastMessageHeldBack()
{
    RateLimiter limiter;
    QCOMPARE(limiter.report("accept failed: Too many open files", t0),
             Lines { "accept failed: Too many open files" });
    QVERIFY(limiter.report("accept failed: Cannot allocate memory", t0 + 1ms).empty());
    QCOMPARE(limiter.summary(t0 + 1s),
             std::optional<std::string>("accept failed: Cannot allocate memory (and 1 more in the last second)"));
}

QTEST_APPLESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
