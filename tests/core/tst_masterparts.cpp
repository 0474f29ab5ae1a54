#include "master/lifecycle.h"
#include "master/logsplitter.h"
#include "master/rollingrestart.h"
#include "supervision/exitclassification.h"

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <QTest>

using cs::ExitReason;
using cs::Lifecycle;
using cs::LifecyclePhase;

using Strings = std::vector<std::string>;
Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(Strings)
Q_DECLARE_METATYPE(ExitReason)

// QCOMPARE shows the strings it compares.
template<>
char* QTest::toString<std::string>(const std::string& text)
{
    return qstrdup(text.c_str());
}

namespace {

// Wait statuses as waitpid() reports them.
int killedBy(int signal)
{
    return signal;
}
int exitedWith(int code)
{
    return code << 8;
}

std::string join(const Strings& parts)
{
    std::string text;
    for (const auto& part : parts)
        text += (text.empty() ? "" : ", ") + part;
    return text;
}

std::string stepName(Lifecycle::StopStep step)
{
    switch (step) {
    case Lifecycle::StopStep::None:
        return "none";
    case Lifecycle::StopStep::Drain:
        return "drain";
    case Lifecycle::StopStep::Kill:
        return "kill";
    }
    return "?";
}

/// Carries out one request ("stop", "stop fast", "stop fast code 1", "grace", "finish busy",
/// "finish idle") and says what it answered and the phase after it: "drain, draining".
std::string request(Lifecycle& lifecycle, const std::string& what)
{
    std::string answer;
    if (what.starts_with("stop"))
        answer = stepName(lifecycle.stop(what.find("fast") != std::string::npos, what.ends_with("code 1") ? 1 : 0));
    else if (what == "grace")
        answer = lifecycle.graceExpired() ? "true" : "false";
    else if (what.starts_with("finish"))
        answer = lifecycle.finish(what == "finish idle") ? "true" : "false";
    else
        answer = "unknown request";
    return answer + ", " + std::string(cs::lifecyclePhaseName(lifecycle.phase()));
}

/// Carries out one operation ("begin 1 2 3", "next", "done", "end") and says what the rolling
/// restart looks like after it: "next's answer | active | step | remaining".
std::string operate(cs::RollingRestart& rolling, const std::string& what)
{
    std::string answer = "-";
    if (what.starts_with("begin")) {
        std::vector<int> slots;
        for (std::size_t at = 5; at < what.size(); ++at)
            if (what[at] != ' ')
                slots.push_back(what[at] - '0');
        rolling.begin(slots);
    } else if (what == "next") {
        const auto next = rolling.next();
        answer = next ? std::to_string(*next) : "none";
    } else if (what == "done") {
        rolling.stepDone();
    } else if (what == "end") {
        rolling.end();
    }
    return answer + " | " + (rolling.active() ? "active" : "inactive") + " | " + std::to_string(rolling.step())
        + " | " + std::to_string(rolling.remaining());
}

} // namespace

class TestMasterParts : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void lifecycle_data();
    void lifecycle();
    void lifecycleExitCode();
    void rollingRestart_data();
    void rollingRestart();
    void classifyExit_data();
    void classifyExit();
    void countsAsCrash_data();
    void countsAsCrash();
    void describeWaitStatus_data();
    void describeWaitStatus();
    void logSplitter_data();
    void logSplitter();
    void logSplitterFinishesOnce();
};

void TestMasterParts::lifecycle_data()
{
    QTest::addColumn<Strings>("requests");
    QTest::addColumn<Strings>("expected"); // after each request: its answer, the phase

    QTest::newRow("graceful, then the last exit") << Strings { "finish busy", "stop", "finish busy", "finish idle",
                                                               "finish idle" }
                                                  << Strings { "false, running", "drain, draining", "false, draining",
                                                               "true, finished", "false, finished" };
    QTest::newRow("fast") << Strings { "stop fast", "finish busy", "finish idle" }
                          << Strings { "kill, killing", "false, killing", "true, finished" };
    QTest::newRow("a second graceful stop escalates")
        << Strings { "stop", "stop", "stop", "stop fast" }
        << Strings { "drain, draining", "kill, killing", "none, killing", "none, killing" };
    QTest::newRow("graceful, then fast") << Strings { "stop", "stop fast" }
                                         << Strings { "drain, draining", "kill, killing" };
    QTest::newRow("the grace expires") << Strings { "stop", "grace", "grace", "finish idle" }
                                       << Strings { "drain, draining", "true, killing", "false, killing",
                                                    "true, finished" };
    QTest::newRow("grace after the escalation") << Strings { "stop", "stop", "grace" }
                                                << Strings { "drain, draining", "kill, killing", "false, killing" };
    QTest::newRow("grace or finish while running") << Strings { "grace", "finish idle", "finish busy" }
                                                   << Strings { "false, running", "false, running", "false, running" };
    QTest::newRow("nothing after the finish")
        << Strings { "stop fast", "finish idle", "stop", "stop fast", "grace", "finish idle" }
        << Strings { "kill, killing", "true, finished", "none, finished", "none, finished", "false, finished",
                     "false, finished" };
}

void TestMasterParts::lifecycle()
{
    QFETCH(Strings, requests);
    QFETCH(Strings, expected);
    Lifecycle lifecycle;
    QVERIFY(lifecycle.running());
    Strings answers;
    for (const auto& what : requests)
        answers.push_back(request(lifecycle, what));
    QCOMPARE(join(answers), join(expected));
    QCOMPARE(lifecycle.running(), lifecycle.phase() == LifecyclePhase::Running);
}

void TestMasterParts::lifecycleExitCode()
{
    // The code of the request that began the stop stays.
    Lifecycle failed;
    request(failed, "stop fast code 1");
    request(failed, "stop");
    request(failed, "finish idle");
    QCOMPARE(failed.exitCode(), 1);
    Lifecycle asked;
    request(asked, "stop");
    request(asked, "stop fast code 1");
    QCOMPARE(asked.exitCode(), 0);
    QCOMPARE(std::string(cs::lifecyclePhaseName(LifecyclePhase::Finished)), std::string("finished"));
}

void TestMasterParts::rollingRestart_data()
{
    QTest::addColumn<Strings>("operations");
    QTest::addColumn<Strings>("expected"); // after each: next's answer | active | step | remaining

    QTest::newRow("three slots, one at a time")
        << Strings { "begin 1 2 3", "next", "done", "next", "done", "next", "done", "next", "end" }
        << Strings { "- | active | 0 | 3", "1 | active | 1 | 2", "- | active | 0 | 2", "2 | active | 2 | 1",
                     "- | active | 0 | 1", "3 | active | 3 | 0", "- | active | 0 | 0", "none | active | 0 | 0",
                     "- | inactive | 0 | 0" };
    QTest::newRow("next without done moves on") << Strings { "begin 4 7", "next", "next" }
                                                << Strings { "- | active | 0 | 2", "4 | active | 4 | 1",
                                                             "7 | active | 7 | 0" };
    QTest::newRow("nothing to replace") << Strings { "begin", "next", "end" }
                                        << Strings { "- | active | 0 | 0", "none | active | 0 | 0",
                                                     "- | inactive | 0 | 0" };
    QTest::newRow("abandoned midway") << Strings { "begin 1 2 3", "next", "end", "next" }
                                      << Strings { "- | active | 0 | 3", "1 | active | 1 | 2",
                                                   "- | inactive | 0 | 0", "none | inactive | 0 | 0" };
    QTest::newRow("begun again") << Strings { "begin 1 2", "next", "end", "begin 5", "next" }
                                 << Strings { "- | active | 0 | 2", "1 | active | 1 | 1", "- | inactive | 0 | 0",
                                              "- | active | 0 | 1", "5 | active | 5 | 0" };
}

void TestMasterParts::rollingRestart()
{
    QFETCH(Strings, operations);
    QFETCH(Strings, expected);
    cs::RollingRestart rolling;
    QVERIFY(!rolling.active());
    Strings states;
    for (const auto& what : operations)
        states.push_back(operate(rolling, what));
    QCOMPARE(join(states), join(expected));
}

void TestMasterParts::classifyExit_data()
{
    QTest::addColumn<int>("waitStatus");
    QTest::addColumn<ExitReason>("killReason");
    QTest::addColumn<bool>("askedToFinish");
    QTest::addColumn<ExitReason>("expected");

    QTest::newRow("exit 0") << exitedWith(0) << ExitReason::None << false << ExitReason::Clean;
    QTest::newRow("exit 3") << exitedWith(3) << ExitReason::None << false << ExitReason::ExitCode;
    QTest::newRow("exit 255") << exitedWith(255) << ExitReason::None << false << ExitReason::ExitCode;
    QTest::newRow("SIGKILL") << killedBy(SIGKILL) << ExitReason::None << false << ExitReason::Crash;
    QTest::newRow("SIGSEGV") << killedBy(SIGSEGV) << ExitReason::None << false << ExitReason::Crash;
    QTest::newRow("SIGABRT") << killedBy(SIGABRT) << ExitReason::None << false << ExitReason::Crash;
    QTest::newRow("SIGTERM") << killedBy(SIGTERM) << ExitReason::None << false << ExitReason::Crash;
    QTest::newRow("drained, exit 0") << exitedWith(0) << ExitReason::None << true << ExitReason::Stopped;
    QTest::newRow("drained, exit 1") << exitedWith(1) << ExitReason::None << true << ExitReason::Stopped;
    QTest::newRow("drained, SIGSEGV") << killedBy(SIGSEGV) << ExitReason::None << true << ExitReason::Stopped;
    for (const auto reason : { ExitReason::KilledByUser, ExitReason::Timeout, ExitReason::MemoryLimit,
                               ExitReason::ChannelError, ExitReason::Stopped }) {
        const std::string name(cs::exitReasonName(reason));
        QTest::addRow("killed for %s, SIGKILL", name.c_str()) << killedBy(SIGKILL) << reason << false << reason;
        QTest::addRow("killed for %s, exit 0", name.c_str()) << exitedWith(0) << reason << false << reason;
        QTest::addRow("killed for %s while draining", name.c_str()) << killedBy(SIGKILL) << reason << true << reason;
    }
}

void TestMasterParts::classifyExit()
{
    QFETCH(int, waitStatus);
    QFETCH(ExitReason, killReason);
    QFETCH(bool, askedToFinish);
    QFETCH(ExitReason, expected);
    QCOMPARE(std::string(cs::exitReasonName(cs::classifyExit(waitStatus, killReason, askedToFinish))),
             std::string(cs::exitReasonName(expected)));
}

void TestMasterParts::countsAsCrash_data()
{
    QTest::addColumn<ExitReason>("reason");
    QTest::addColumn<bool>("counts");
    const std::pair<ExitReason, bool> rows[] = {
        { ExitReason::None, false },       { ExitReason::KilledByUser, false }, { ExitReason::Stopped, false },
        { ExitReason::Crash, true },       { ExitReason::ExitCode, true },      { ExitReason::Clean, true },
        { ExitReason::Timeout, true },     { ExitReason::MemoryLimit, true },   { ExitReason::ChannelError, true },
        { ExitReason::SpawnFailed, true },
    };
    for (const auto& [reason, counts] : rows)
        QTest::addRow("%s", std::string(cs::exitReasonName(reason)).c_str()) << reason << counts;
}

void TestMasterParts::countsAsCrash()
{
    QFETCH(ExitReason, reason);
    QFETCH(bool, counts);
    QCOMPARE(cs::countsAsCrash(reason), counts);
}

void TestMasterParts::describeWaitStatus_data()
{
    QTest::addColumn<int>("waitStatus");
    QTest::addColumn<std::string>("expected");
    QTest::newRow("exit 0") << exitedWith(0) << std::string("exited with code 0");
    QTest::newRow("exit 3") << exitedWith(3) << std::string("exited with code 3");
    QTest::newRow("SIGKILL") << killedBy(SIGKILL) << std::string("killed by signal 9 (Killed)");
    QTest::newRow("SIGTERM") << killedBy(SIGTERM) << std::string("killed by signal 15 (Terminated)");
    QTest::newRow("SIGSEGV") << killedBy(SIGSEGV) << std::string("killed by signal 11 (Segmentation fault)");
}

void TestMasterParts::describeWaitStatus()
{
    QFETCH(int, waitStatus);
    QFETCH(std::string, expected);
    QCOMPARE(cs::describeWaitStatus(waitStatus), expected);
}

void TestMasterParts::logSplitter_data()
{
    QTest::addColumn<Strings>("chunks"); // fed in turn
    QTest::addColumn<Strings>("lines"); // every line the chunks complete
    QTest::addColumn<std::optional<std::string>>("rest"); // what finish() returns

    constexpr std::size_t max = cs::LogSplitter::kMaxLine;
    const std::string full(max, 'x');
    QTest::newRow("one line") << Strings { "hello\n" } << Strings { "hello" } << std::optional<std::string>();
    QTest::newRow("two lines in one chunk") << Strings { "a\nb\n" } << Strings { "a", "b" }
                                            << std::optional<std::string>();
    QTest::newRow("a line over chunks") << Strings { "hel", "lo\nwor", "ld\n" } << Strings { "hello", "world" }
                                        << std::optional<std::string>();
    QTest::newRow("empty lines") << Strings { "\n", "\n\n" } << Strings { "", "", "" }
                                 << std::optional<std::string>();
    QTest::newRow("unterminated rest") << Strings { "a\nb" } << Strings { "a" } << std::optional<std::string>("b");
    QTest::newRow("no newline at all") << Strings { "abc", "def" } << Strings {}
                                       << std::optional<std::string>("abcdef");
    QTest::newRow("nothing") << Strings {} << Strings {} << std::optional<std::string>();
    QTest::newRow("empty chunks") << Strings { "", "" } << Strings {} << std::optional<std::string>();
    QTest::newRow("carriage return kept") << Strings { "a\r\n" } << Strings { "a\r" } << std::optional<std::string>();
    QTest::newRow("kMaxLine then newline") << Strings { full + "\n" } << Strings { full }
                                           << std::optional<std::string>();
    QTest::newRow("one byte over kMaxLine") << Strings { full + "y\n" } << Strings { full, "y" }
                                            << std::optional<std::string>();
    QTest::newRow("cut over chunks") << Strings { std::string(max - 1, 'x'), "xy", "z\n" } << Strings { full, "yz" }
                                     << std::optional<std::string>();
    QTest::newRow("a flood") << Strings { std::string(2 * max + 500, 'x') } << Strings { full, full }
                             << std::optional<std::string>(std::string(500, 'x'));
    QTest::newRow("a flood ending at a cut") << Strings { std::string(2 * max, 'x') } << Strings { full }
                                             << std::optional<std::string>(full);
    QTest::newRow("a NUL byte") << Strings { std::string("a\0b\n", 4) } << Strings { std::string("a\0b", 3) }
                                << std::optional<std::string>();
}

void TestMasterParts::logSplitter()
{
    QFETCH(Strings, chunks);
    QFETCH(Strings, lines);
    QFETCH(std::optional<std::string>, rest);
    cs::LogSplitter splitter;
    Strings got;
    for (const auto& chunk : chunks)
        for (auto& line : splitter.feed(chunk))
            got.push_back(std::move(line));
    QCOMPARE(got.size(), lines.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        QCOMPARE(got[i], lines[i]);
    const auto last = splitter.finish();
    QCOMPARE(last.has_value(), rest.has_value());
    if (rest)
        QCOMPARE(*last, *rest);
}

void TestMasterParts::logSplitterFinishesOnce()
{
    cs::LogSplitter splitter;
    splitter.feed("tail");
    QCOMPARE(splitter.finish().value_or("none"), std::string("tail"));
    QVERIFY(!splitter.finish().has_value());
    // It can be fed again afterwards, from a clean start.
    QCOMPARE(splitter.feed("x\n"), Strings { "x" });
}

QTEST_APPLESS_MAIN(TestMasterParts)
#include "tst_masterparts.moc"
