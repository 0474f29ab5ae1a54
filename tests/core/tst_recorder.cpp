// A recording: what the Recorder writes, readRecording reads back field by field (the same
// snapshots, the same events); a file cut off mid-line opens with what was whole; a foreign,
// damaged or newer file is one sentence; a full disk stops the recording with one note.
#include "cli/report.h"
#include "record/recorder.h"
#include "record/recording.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include <sys/resource.h>

#include <QTemporaryDir>
#include <QTest>

using namespace cs;

namespace {

RecordingHeader sampleHeader()
{
    RecordingHeader h;
    h.started = "2026-12-01T15:20:00Z";
    h.host = "web1";
    h.cluster.policy = Policy::Shared;
    h.cluster.workers = 3;
    h.cluster.port = 0;
    h.cluster.bindAddress = "::1";
    h.cluster.execCommand = { "node", "server.js", "--flag=a b" };
    h.cluster.environment = { "NODE_ENV=production" };
    h.cluster.restart.maxCrashes = 7;
    LoadOptions load;
    load.connections = 50;
    load.durationSeconds = 12.5;
    load.rate = 200;
    load.keepAlive = false;
    load.path = "/cpu?ms=5";
    load.workers = 3;
    h.load = load;
    return h;
}

/// Numbers the snapshot line carries exactly: its fixed decimals.
Snapshot sampleSnapshot(std::uint64_t sequence)
{
    Snapshot s;
    s.sequence = sequence;
    s.clusterUptimeSeconds = 0.5 * double(sequence);
    s.running = true;
    s.bindAddress = "::1";
    s.port = 40123;
    s.policy = Policy::Shared;
    s.masterPid = 4242;
    s.masterCpuPercent = 1.5;
    s.masterRssBytes = 12'345'678;
    s.totalRequestsPerSecond = 1500.5 + double(sequence);
    s.totalRequests = 100 * sequence;
    s.fairness = 0.75;
    s.connectionFairness = std::nullopt;
    s.latencyP50Ms = 0.125;
    s.latencyP99Ms = 4.5;
    s.cores = { { 0, 12.5 }, { 1, 99.5 } };
    for (int slot = 1; slot <= 3; ++slot) {
        WorkerSample w;
        w.slot = slot;
        w.pid = slot == 2 ? 0 : 1000 + slot;
        w.state = slot == 2 ? WorkerState::BackingOff : WorkerState::Online;
        w.uptimeSeconds = 1.25 * slot;
        w.restarts = slot - 1;
        w.requests = 30 * sequence + slot;
        w.requestsPerSecond = 500.5 * slot;
        w.openConnections = std::uint32_t(slot);
        w.connectionsHandedOff = 7u * slot;
        w.connectionsAccepted = 9u * slot;
        w.cpuPercent = 33.5;
        w.rssBytes = 5'000'000u + slot;
        w.core = slot % 2;
        w.latencyP50Ms = 0.25;
        w.latencyP99Ms = 3.75;
        s.workers.push_back(w);
    }
    return s;
}

std::vector<Event> sampleEvents()
{
    std::vector<Event> events;
    Event fork;
    fork.kind = EventKind::Fork;
    fork.time = 0.125;
    fork.slot = 1;
    fork.pid = 1001;
    fork.message = "worker 1 started (pid 1001)";
    events.push_back(fork);
    Event exit;
    exit.kind = EventKind::Exit;
    exit.time = 2.5;
    exit.slot = 2;
    exit.pid = 1002;
    exit.reason = ExitReason::KilledByUser;
    exit.signal = 9;
    exit.message = "worker 2 (pid 1002) killed by signal 9";
    events.push_back(exit);
    Event restart;
    restart.kind = EventKind::Restart;
    restart.time = 2.5;
    restart.slot = 2;
    restart.delayMs = 100;
    restart.message = "respawning worker 2 in 100 ms";
    events.push_back(restart);
    Event log;
    log.kind = EventKind::Log;
    log.time = 3;
    log.slot = 3;
    log.pid = 1003;
    log.stream = LogStream::Stderr;
    log.message = "a line with \"quotes\", a comma,\ta tab and UTF-8: é→";
    events.push_back(log);
    Event scaled;
    scaled.kind = EventKind::Scaled;
    scaled.time = 4;
    scaled.workers = 4;
    scaled.message = "scaled to 4 workers";
    events.push_back(scaled);
    Event stopped;
    stopped.kind = EventKind::Stopped;
    stopped.time = 5;
    stopped.exitCode = 1;
    stopped.message = "cluster stopped";
    events.push_back(stopped);
    return events;
}

LoadSummary sampleSummary()
{
    LoadSummary s;
    s.elapsedSeconds = 12.5;
    s.completed = 2500;
    s.errors = 3;
    s.non2xx = 1;
    s.requestsPerSecond = 200;
    s.p50Ms = 1.25;
    s.p90Ms = 2.5;
    s.p99Ms = 8.125;
    s.maxMs = 20;
    s.asSent = { 1, 2, 4, 10 };
    s.fromSchedule = true;
    s.perWorker = { { "1", 1000 }, { "2", 500 }, { "3", 1000 } };
    s.fairness = 0.925926;
    s.workers = 3;
    s.workersFrom = WorkerCount::Given;
    s.connectionsOpened = 2503;
    s.firstError = "connection reset by peer";
    return s;
}

std::string readAll(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

void writeAll(const QString& path, const std::string& text)
{
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out << text;
}

/// Writes the sample recording with `snapshots` snapshots, the events between them.
void record(const QString& path, int snapshots)
{
    Recorder recorder;
    QCOMPARE(recorder.open(path.toStdString(), sampleHeader()), std::string());
    QVERIFY(recorder.recording());
    const auto events = sampleEvents();
    for (int i = 1; i <= snapshots; ++i) {
        recorder.append(sampleSnapshot(std::uint64_t(i)));
        if (i == 1)
            for (const auto& e : events)
                recorder.append(e);
    }
    recorder.appendLoadSummary(sampleSummary());
    recorder.close();
    QVERIFY(!recorder.recording());
    QVERIFY(recorder.note().empty());
}

QString errorOf(const QString& path)
{
    auto read = readRecording(path.toStdString());
    if (!std::holds_alternative<RecordingError>(read))
        return {};
    return QString::fromStdString(std::get<RecordingError>(read).message);
}

/// One sentence: not empty, one line, ends with a full stop.
void checkSentence(const QString& message)
{
    QVERIFY2(!message.isEmpty(), "expected an error");
    QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(message));
    QVERIFY2(message.endsWith(QLatin1Char('.')), qPrintable(message));
}

} // namespace

class TestRecorder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.jsonl"));
        record(path, 3);
        auto read = readRecording(path.toStdString());
        QVERIFY2(std::holds_alternative<Recording>(read), std::get_if<RecordingError>(&read) ? std::get<RecordingError>(read).message.c_str() : "");
        const Recording& r = std::get<Recording>(read);
        QVERIFY(r.note.empty());

        const RecordingHeader want = sampleHeader();
        QCOMPARE(r.header.version, kRecordingVersion);
        QCOMPARE(r.header.started, want.started);
        QCOMPARE(r.header.host, want.host);
        QCOMPARE(r.header.clusterscope, std::string(CLUSTERSCOPE_VERSION));
        QCOMPARE(r.header.cluster.policy, Policy::Shared);
        QCOMPARE(r.header.cluster.workers, 3);
        QCOMPARE(r.header.cluster.port, std::uint16_t(0));
        QCOMPARE(r.header.cluster.bindAddress, std::string("::1"));
        QCOMPARE(r.header.cluster.execCommand, want.cluster.execCommand);
        QCOMPARE(r.header.cluster.environment, want.cluster.environment);
        QCOMPARE(r.header.cluster.restart.maxCrashes, 7);
        QVERIFY(r.header.load);
        QCOMPARE(*r.header.load, *want.load);

        QCOMPARE(r.snapshots.size(), std::size_t(3));
        for (std::size_t i = 0; i < r.snapshots.size(); ++i) {
            const Snapshot expected = sampleSnapshot(i + 1);
            const Snapshot& got = r.snapshots[i];
            QCOMPARE(got.sequence, expected.sequence);
            QCOMPARE(got.clusterUptimeSeconds, expected.clusterUptimeSeconds);
            QCOMPARE(got.running, expected.running);
            QCOMPARE(got.bindAddress, expected.bindAddress);
            QCOMPARE(got.port, expected.port);
            QCOMPARE(got.policy, expected.policy);
            QCOMPARE(got.masterPid, expected.masterPid);
            QCOMPARE(got.masterCpuPercent, expected.masterCpuPercent);
            QCOMPARE(got.masterRssBytes, expected.masterRssBytes);
            QCOMPARE(got.totalRequestsPerSecond, expected.totalRequestsPerSecond);
            QCOMPARE(got.totalRequests, expected.totalRequests);
            QCOMPARE(got.fairness, expected.fairness);
            QCOMPARE(got.connectionFairness, expected.connectionFairness);
            QCOMPARE(got.latencyP50Ms, expected.latencyP50Ms);
            QCOMPARE(got.latencyP99Ms, expected.latencyP99Ms);
            QCOMPARE(got.cores.size(), expected.cores.size());
            for (std::size_t c = 0; c < got.cores.size(); ++c) {
                QCOMPARE(got.cores[c].index, expected.cores[c].index);
                QCOMPARE(got.cores[c].busyPercent, expected.cores[c].busyPercent);
            }
            QCOMPARE(got.workers.size(), expected.workers.size());
            for (std::size_t w = 0; w < got.workers.size(); ++w) {
                const WorkerSample& a = got.workers[w];
                const WorkerSample& b = expected.workers[w];
                QCOMPARE(a.slot, b.slot);
                QCOMPARE(a.pid, b.pid);
                QCOMPARE(a.state, b.state);
                QCOMPARE(a.uptimeSeconds, b.uptimeSeconds);
                QCOMPARE(a.restarts, b.restarts);
                QCOMPARE(a.requests, b.requests);
                QCOMPARE(a.requestsPerSecond, b.requestsPerSecond);
                QCOMPARE(a.openConnections, b.openConnections);
                QCOMPARE(a.connectionsHandedOff, b.connectionsHandedOff);
                QCOMPARE(a.connectionsAccepted, b.connectionsAccepted);
                QCOMPARE(a.cpuPercent, b.cpuPercent);
                QCOMPARE(a.rssBytes, b.rssBytes);
                QCOMPARE(a.core, b.core);
                QCOMPARE(a.latencyP50Ms, b.latencyP50Ms);
                QCOMPARE(a.latencyP99Ms, b.latencyP99Ms);
            }
            // And nothing else the line carries differs: it encodes to the same line.
            QCOMPARE(snapshotJson(got), snapshotJson(expected));
        }

        const auto events = sampleEvents();
        QCOMPARE(r.events.size(), events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& a = r.events[i];
            const Event& b = events[i];
            QCOMPARE(a.kind, b.kind);
            QCOMPARE(a.time, b.time);
            QCOMPARE(a.slot, b.slot);
            QCOMPARE(a.pid, b.pid);
            QCOMPARE(a.reason, b.reason);
            QCOMPARE(a.exitCode, b.exitCode);
            QCOMPARE(a.signal, b.signal);
            QCOMPARE(a.delayMs, b.delayMs);
            QCOMPARE(a.workers, b.workers);
            QCOMPARE(a.stream, b.stream);
            QCOMPARE(a.message, b.message);
        }

        QVERIFY(r.loadSummary);
        const LoadSummary want2 = sampleSummary();
        QCOMPARE(summaryJson(*r.loadSummary), summaryJson(want2));
        QCOMPARE(r.loadSummary->perWorker, want2.perWorker);
        QCOMPARE(r.loadSummary->fairness, want2.fairness);
        QCOMPARE(r.loadSummary->workersFrom, WorkerCount::Given);
        QVERIFY(r.loadSummary->fromSchedule);
    }

    // The header says what the file is, on its first line, readable by anyone.
    void headerIsFirstLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.jsonl"));
        record(path, 1);
        const std::string text = readAll(path);
        QVERIFY(text.rfind("{\"format\":\"clusterscope-recording\",\"version\":1,", 0) == 0);
        QVERIFY(text.find("\n{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{\"seq\":1,") != std::string::npos);
        QVERIFY(text.find("\n{\"v\":1,\"type\":\"event\",\"event\":{\"kind\":\"exit\"") != std::string::npos);
        QVERIFY(text.find("\n{\"type\":\"load-summary\",\"summary\":{") != std::string::npos);
        QCOMPARE(text.back(), '\n');
    }

    // A recorder killed mid-line: what was whole opens, and the note says what happened.
    void truncatedLastLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("cut.jsonl"));
        {
            Recorder recorder;
            QCOMPARE(recorder.open(path.toStdString(), sampleHeader()), std::string());
            for (int i = 1; i <= 4; ++i)
                recorder.append(sampleSnapshot(std::uint64_t(i)));
        }
        std::string text = readAll(path);
        text.resize(text.size() - 40); // into the 4th snapshot's line
        writeAll(path, text);
        auto read = readRecording(path.toStdString());
        QVERIFY(std::holds_alternative<Recording>(read));
        const Recording& r = std::get<Recording>(read);
        QCOMPARE(r.snapshots.size(), std::size_t(3));
        QCOMPARE(r.snapshots.back().sequence, std::uint64_t(3));
        QVERIFY2(QString::fromStdString(r.note).contains(QStringLiteral("partial line")), r.note.c_str());
        checkSentence(QString::fromStdString(r.note));

        // Cut inside the header: nothing to open, and it says so.
        writeAll(path, text.substr(0, 30));
        const QString error = errorOf(path);
        checkSentence(error);
        QVERIFY2(error.contains(QStringLiteral("ends inside its header")), qPrintable(error));
    }

    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("says");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("is empty");
        QTest::newRow("plain text") << QByteArray("hello\nworld\n") << QStringLiteral("is not a Clusterscope recording");
        QTest::newRow("another JSON") << QByteArray("{\"format\":\"something-else\",\"version\":1}\n")
                                      << QStringLiteral("is not a Clusterscope recording");
        QTest::newRow("ctl output") << QByteArray("{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{}}\n")
                                    << QStringLiteral("is not a Clusterscope recording");
        QTest::newRow("no version") << QByteArray("{\"format\":\"clusterscope-recording\"}\n")
                                    << QStringLiteral(":1: the recording header has no valid \"version\"");
        QTest::newRow("newer") << QByteArray("{\"format\":\"clusterscope-recording\",\"version\":2,\"cluster\":{}}\n")
                               << QStringLiteral("made by a newer Clusterscope (version 2");
        QTest::newRow("bad cluster") << QByteArray("{\"format\":\"clusterscope-recording\",\"version\":1,\"cluster\":{\"policy\":\"random\"}}\n")
                                     << QStringLiteral(":1: the recording's cluster definition is not valid");
        QTest::newRow("damaged line 3")
            << QByteArray("{\"format\":\"clusterscope-recording\",\"version\":1,\"cluster\":{}}\n"
                          "{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{\"seq\":1}}\n"
                          "{\"v\":1,\"type\":\"snapsh\n"
                          "{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{\"seq\":2}}\n")
            << QStringLiteral(":3: not a recording line");
        QTest::newRow("snapshot without its object")
            << QByteArray("{\"format\":\"clusterscope-recording\",\"version\":1}\n"
                          "{\"v\":1,\"type\":\"snapshot\",\"snapshot\":5}\n")
            << QStringLiteral(":2: a snapshot line without");
    }
    void badFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, says);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.jsonl"));
        writeAll(path, content.toStdString());
        const QString error = errorOf(path);
        checkSentence(error);
        QVERIFY2(error.contains(says), qPrintable(error));
        QVERIFY2(error.contains(path), qPrintable(error));
    }

    void newerVersionSaysUpdate()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("new.jsonl"));
        writeAll(path, "{\"format\":\"clusterscope-recording\",\"version\":7,\"future\":true}\n{\"type\":\"x\"}\n");
        QCOMPARE(errorOf(path), path + QStringLiteral(" is a recording made by a newer Clusterscope (version 7; this one "
                                                      "reads version 1); update Clusterscope to open it."));
    }

    void missingFile()
    {
        const QString error = errorOf(QStringLiteral("/nonexistent/recording.jsonl"));
        checkSentence(error);
        QVERIFY(error.contains(QStringLiteral("cannot be opened")));
    }

    // Lines of kinds a later release adds (same version) are skipped, not refused.
    void unknownLinesAreSkipped()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("later.jsonl"));
        writeAll(path, "{\"format\":\"clusterscope-recording\",\"version\":1,\"extra\":[1]}\n"
                       "{\"type\":\"marker\",\"text\":\"later\"}\n"
                       "{\"v\":1,\"type\":\"event\",\"event\":{\"kind\":\"teleported\",\"time\":1}}\n"
                       "{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{\"seq\":9,\"newField\":1}}\n");
        auto read = readRecording(path.toStdString());
        QVERIFY(std::holds_alternative<Recording>(read));
        QCOMPARE(std::get<Recording>(read).snapshots.size(), std::size_t(1));
        QCOMPARE(std::get<Recording>(read).snapshots[0].sequence, std::uint64_t(9));
        QVERIFY(std::get<Recording>(read).events.empty());
    }

    void unwritableFile()
    {
        Recorder recorder;
        const std::string why = recorder.open("/nonexistent/dir/run.jsonl", sampleHeader());
        checkSentence(QString::fromStdString(why));
        QVERIFY(!recorder.recording());
        // /dev/full takes the open and refuses the write: the header's write fails.
        const std::string full = recorder.open("/dev/full", sampleHeader());
        checkSentence(QString::fromStdString(full));
        QVERIFY2(full.find("No space left") != std::string::npos, full.c_str());
        QVERIFY(!recorder.recording());
    }

    // The disk fills up while recording (a file size limit here): one note, the recording stops,
    // what was written opens.
    void fullDiskStopsWithOneNote()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("full.jsonl"));
        const auto previous = std::signal(SIGXFSZ, SIG_IGN);
        rlimit old {};
        ::getrlimit(RLIMIT_FSIZE, &old);
        rlimit small = old;
        small.rlim_cur = 16 * 1024;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        Recorder recorder;
        const std::string opened = recorder.open(path.toStdString(), sampleHeader());
        int appended = 0;
        for (; appended < 1000 && recorder.recording(); ++appended)
            recorder.append(sampleSnapshot(std::uint64_t(appended + 1)));
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, previous);
        QCOMPARE(opened, std::string());
        QVERIFY(appended < 1000);
        QVERIFY(!recorder.recording());
        checkSentence(QString::fromStdString(recorder.note()));
        QVERIFY2(recorder.note().find("stopped") != std::string::npos, recorder.note().c_str());
        recorder.append(sampleSnapshot(5000)); // a no-op now, not a crash
        auto read = readRecording(path.toStdString());
        QVERIFY(std::holds_alternative<Recording>(read));
        QVERIFY(std::get<Recording>(read).snapshots.size() >= 5);
    }
};

QTEST_APPLESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
