// `clusterscope --headless --record FILE` as a user runs it: a real master records, a worker is
// killed, the master stops, and the file reads back as what happened: snapshots in order, the
// kill's exit and the respawn's fork. A master killed outright still leaves a readable file.
#include "record/recording.h"
#include "testsupport.h"

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include <QTemporaryDir>
#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using cs::test::waitFor;

namespace {

std::string clusterscope() { return cs::test::binDir() + "/clusterscope"; }

cs::Recording readOrFail(const std::string& path, bool* ok)
{
    auto read = cs::readRecording(path);
    *ok = std::holds_alternative<cs::Recording>(read);
    if (!*ok) {
        qWarning("%s", std::get<cs::RecordingError>(read).message.c_str());
        return {};
    }
    return std::get<cs::Recording>(std::move(read));
}

} // namespace

class TestRecording : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headlessRecordsAKillAndTheRespawn();
    void aMasterKilledMidRunLeavesAReadableRecording();
    void anUnwritableRecordingIsRefusedBeforeStarting();
};

void TestRecording::headlessRecordsAKillAndTheRespawn()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("run.jsonl")).toStdString();
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "2", "--policy", "least-connections",
                                          "--json", "--interval", "100", "--record", path });
    QVERIFY(master.start());
    const auto port = cs::test::jsonPort(master);
    QVERIFY(port != 0);
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    QCOMPARE(cs::test::httpGet(port, "/").status, 200);
    QVERIFY2(master.stderrText().find("clusterscope: recording to " + path) != std::string::npos, master.stderrText().c_str());
    const int victim = workers[0];
    ::kill(victim, SIGKILL);
    const auto after = cs::test::onlineWorkerPids(master, 2, { victim });
    QCOMPARE(after.size(), std::size_t { 2 });
    // The respawn shows in a snapshot (every 500 ms) before the stop.
    QVERIFY(waitFor([&] {
        bool ok = false;
        const auto r = readOrFail(path, &ok);
        return ok && !r.snapshots.empty()
            && std::any_of(r.snapshots.back().workers.begin(), r.snapshots.back().workers.end(), [&](const cs::WorkerSample& w) {
                   return w.pid == after[0] || w.pid == after[1];
               }) && std::none_of(r.snapshots.back().workers.begin(), r.snapshots.back().workers.end(), [&](const cs::WorkerSample& w) { return w.pid == victim; });
    }, 10s));
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);

    bool ok = false;
    const cs::Recording r = readOrFail(path, &ok);
    QVERIFY(ok);
    QVERIFY(r.note.empty());
    QCOMPARE(r.header.version, 1);
    QVERIFY(!r.header.started.empty());
    QVERIFY(!r.header.host.empty());
    QCOMPARE(r.header.cluster.workers, 2);
    QCOMPARE(r.header.cluster.policy, cs::Policy::LeastConnections);
    QVERIFY(!r.header.load);

    QVERIFY2(r.snapshots.size() >= 3, std::to_string(r.snapshots.size()).c_str());
    for (std::size_t i = 1; i < r.snapshots.size(); ++i) {
        QVERIFY(r.snapshots[i].sequence > r.snapshots[i - 1].sequence);
        QVERIFY(r.snapshots[i].clusterUptimeSeconds >= r.snapshots[i - 1].clusterUptimeSeconds);
    }
    QCOMPARE(r.snapshots.front().port, port);
    QCOMPARE(r.snapshots.front().policy, cs::Policy::LeastConnections);

    // The kill: an exit of the victim by signal 9, then a fork in the same slot.
    const auto exit = std::find_if(r.events.begin(), r.events.end(), [&](const cs::Event& e) {
        return e.kind == cs::EventKind::Exit && e.pid == victim;
    });
    QVERIFY(exit != r.events.end());
    QCOMPARE(exit->signal, SIGKILL);
    QCOMPARE(exit->reason, cs::ExitReason::Crash);
    const auto fork = std::find_if(exit, r.events.end(), [&](const cs::Event& e) {
        return e.kind == cs::EventKind::Fork && e.slot == exit->slot && e.pid != victim;
    });
    QVERIFY(fork != r.events.end());
    QVERIFY(fork->time >= exit->time);
    QVERIFY(std::find(after.begin(), after.end(), fork->pid) != after.end());
    // Every worker's first fork is there too, and the stop is the last event.
    QVERIFY(std::count_if(r.events.begin(), r.events.end(), [](const cs::Event& e) { return e.kind == cs::EventKind::Fork; }) >= 3);
    QCOMPARE(r.events.back().kind, cs::EventKind::Stopped);
    // Snapshots and events are written in the order they happened.
    const std::string text = [&] {
        std::ifstream in(path);
        std::ostringstream all;
        all << in.rdbuf();
        return all.str();
    }();
    QVERIFY(text.find("\"kind\":\"exit\"") < text.rfind("\"type\":\"snapshot\""));
}

void TestRecording::aMasterKilledMidRunLeavesAReadableRecording()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("killed.jsonl")).toStdString();
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "100",
                                          "--record", path });
    QVERIFY(master.start());
    QVERIFY(cs::test::jsonPort(master) != 0);
    QCOMPARE(cs::test::onlineWorkerPids(master, 1).size(), std::size_t { 1 });
    QVERIFY(waitFor([&] {
        bool ok = false;
        return readOrFail(path, &ok).snapshots.size() >= 2 && ok;
    }, 10s));
    ::kill(master.pid(), SIGKILL);
    QVERIFY(master.waitExit(5s).has_value());
    bool ok = false;
    const cs::Recording r = readOrFail(path, &ok);
    QVERIFY(ok);
    QVERIFY(r.snapshots.size() >= 2);
    QVERIFY(r.events.empty() || r.events.back().kind != cs::EventKind::Stopped);
}

void TestRecording::anUnwritableRecordingIsRefusedBeforeStarting()
{
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "1", "--record", "/nonexistent/dir/run.jsonl" });
    QVERIFY(master.start());
    const auto status = master.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 2);
    const std::string err = master.stderrText();
    QVERIFY2(err.find("clusterscope: The recording /nonexistent/dir/run.jsonl cannot be written") == 0, err.c_str());
    QVERIFY2(err.find("(--record).") != std::string::npos, err.c_str());
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1L);
}

QTEST_APPLESS_MAIN(TestRecording)
#include "tst_recording.moc"
