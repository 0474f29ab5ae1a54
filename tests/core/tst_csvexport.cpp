// CSV export of a recording: one tidy table per kind, written and read back with an RFC 4180
// reader of the test's own, gives the recording's numbers exactly; a message with a comma, a
// quote and a line break survives; what is unknown is an empty field, not a zero.
#include "record/csvexport.h"
#include "record/recorder.h"

#include <fstream>
#include <sstream>

#include <QTemporaryDir>
#include <QTest>

using namespace cs;

namespace {

using Rows = std::vector<std::vector<std::string>>;

/// A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes and any byte
/// (line breaks included) inside; fails the test on anything else.
Rows parseCsv(const std::string& text, bool* ok)
{
    Rows rows;
    std::vector<std::string> row;
    std::string field;
    *ok = true;
    std::size_t i = 0;
    bool startOfField = true;
    while (i < text.size()) {
        const char c = text[i];
        if (startOfField && c == '"') {
            ++i;
            for (;;) {
                if (i >= text.size()) {
                    *ok = false;
                    return rows;
                }
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
            startOfField = false;
            if (i < text.size() && text[i] != ',' && text[i] != '\r') {
                *ok = false;
                return rows;
            }
            continue;
        }
        if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            startOfField = true;
            ++i;
        } else if (c == '\r') {
            if (i + 1 >= text.size() || text[i + 1] != '\n') {
                *ok = false;
                return rows;
            }
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
            startOfField = true;
            i += 2;
        } else if (c == '"' || c == '\n') {
            *ok = false; // a quote inside an unquoted field, or a bare LF
            return rows;
        } else {
            field += c;
            startOfField = false;
            ++i;
        }
    }
    if (!row.empty() || !field.empty())
        *ok = false; // the last record must end with CRLF
    return rows;
}

Rows readCsv(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    bool ok = false;
    Rows rows = parseCsv(all.str(), &ok);
    if (!ok)
        qWarning("not RFC 4180: %s", qPrintable(path));
    return ok ? rows : Rows {};
}

double asDouble(const std::string& text)
{
    return std::stod(text);
}

std::size_t column(const Rows& rows, const std::string& name)
{
    const auto& header = rows.front();
    return std::size_t(std::find(header.begin(), header.end(), name) - header.begin());
}

Recording sampleRecording()
{
    Recording r;
    r.header.cluster.workers = 2;
    for (int i = 1; i <= 3; ++i) {
        Snapshot s;
        s.sequence = std::uint64_t(i);
        s.clusterUptimeSeconds = 0.5 * i + 0.001;
        s.running = true;
        s.policy = Policy::Shared;
        s.totalRequestsPerSecond = 1234.5 * i;
        s.totalRequests = 1000u * i;
        s.fairness = i == 1 ? std::nullopt : std::optional<double>(0.9876);
        s.latencyP50Ms = 0.125;
        s.latencyP99Ms = 7.5 * i;
        s.masterCpuPercent = 0.5;
        s.masterRssBytes = 9'000'000;
        s.cores = { { 0, 10.5 * i }, { 1, 33.25 } };
        for (int slot = 1; slot <= 2; ++slot) {
            WorkerSample w;
            w.slot = slot;
            w.pid = 100 * i + slot;
            w.state = slot == 2 && i == 2 ? WorkerState::BackingOff : WorkerState::Online;
            w.uptimeSeconds = 0.25 * i;
            w.restarts = i - 1;
            w.requests = 400u * i + slot;
            w.requestsPerSecond = 617.25 * i;
            w.openConnections = std::uint32_t(slot);
            w.cpuPercent = 45.5 + slot;
            w.rssBytes = 4'000'000u + slot;
            w.core = slot - 1;
            w.latencyP50Ms = 0.1 * slot; // not exact in binary: the shortest form must read back the same
            w.latencyP99Ms = 3.3 * slot;
            s.workers.push_back(w);
        }
        r.snapshots.push_back(s);
    }
    Event exit;
    exit.kind = EventKind::Exit;
    exit.time = 1.25;
    exit.slot = 2;
    exit.pid = 202;
    exit.reason = ExitReason::Crash;
    exit.signal = 9;
    exit.message = "worker 2 (pid 202) killed by signal 9";
    Event log;
    log.kind = EventKind::Log;
    log.time = 1.5;
    log.slot = 1;
    log.pid = 301;
    log.stream = LogStream::Stderr;
    log.message = "oops, \"quoted\"\nand a second line";
    r.events = { exit, log };
    return r;
}

} // namespace

class TestCsvExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fieldsAreQuotedPerRfc4180_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        QTest::newRow("plain") << "online" << "online";
        QTest::newRow("empty") << "" << "";
        QTest::newRow("comma") << "a,b" << "\"a,b\"";
        QTest::newRow("quote") << "say \"hi\"" << "\"say \"\"hi\"\"\"";
        QTest::newRow("newline") << "a\nb" << "\"a\nb\"";
        QTest::newRow("carriage return") << "a\rb" << "\"a\rb\"";
    }
    void fieldsAreQuotedPerRfc4180()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        QCOMPARE(QString::fromStdString(csvField(text.toStdString())), field);
    }

    void roundTripGivesTheRecordingsNumbers()
    {
        // Through a file first: what is exported is what a recording reads back as.
        QTemporaryDir dir;
        const std::string recordingPath = dir.filePath(QStringLiteral("run.jsonl")).toStdString();
        const Recording original = sampleRecording();
        {
            Recorder recorder;
            QCOMPARE(recorder.open(recordingPath, original.header), std::string());
            for (const auto& s : original.snapshots)
                recorder.append(s);
            for (const auto& e : original.events)
                recorder.append(e);
        }
        auto read = readRecording(recordingPath);
        QVERIFY(std::holds_alternative<Recording>(read));
        const Recording& r = std::get<Recording>(read);

        QCOMPARE(writeCsvTables(r, dir.path().toStdString(), "run-"), std::string());
        const Rows workers = readCsv(dir.filePath(QStringLiteral("run-workers.csv")));
        const Rows cores = readCsv(dir.filePath(QStringLiteral("run-cores.csv")));
        const Rows cluster = readCsv(dir.filePath(QStringLiteral("run-cluster.csv")));
        const Rows events = readCsv(dir.filePath(QStringLiteral("run-events.csv")));
        QCOMPARE(workers.size(), std::size_t(1 + 3 * 2));
        QCOMPARE(cores.size(), std::size_t(1 + 3 * 2));
        QCOMPARE(cluster.size(), std::size_t(1 + 3));
        QCOMPARE(events.size(), std::size_t(1 + 2));
        for (const Rows* table : { &workers, &cores, &cluster, &events })
            for (const auto& row : *table)
                QCOMPARE(row.size(), table->front().size());
        QCOMPARE(workers.front().front(), std::string("time_s"));
        QVERIFY(column(workers, "rss_bytes") < workers.front().size());
        QVERIFY(column(workers, "latency_p99_ms") < workers.front().size());

        std::size_t w = 1;
        for (const Snapshot& s : r.snapshots)
            for (const WorkerSample& sample : s.workers) {
                const auto& row = workers[w++];
                QCOMPARE(asDouble(row[column(workers, "time_s")]), s.clusterUptimeSeconds);
                QCOMPARE(std::stoull(row[column(workers, "sequence")]), s.sequence);
                QCOMPARE(std::stoi(row[column(workers, "slot")]), sample.slot);
                QCOMPARE(std::stoi(row[column(workers, "pid")]), sample.pid);
                QCOMPARE(row[column(workers, "state")], std::string(stateName(sample.state)));
                QCOMPARE(std::stoull(row[column(workers, "requests_total")]), sample.requests);
                QCOMPARE(asDouble(row[column(workers, "requests_per_s")]), sample.requestsPerSecond);
                QCOMPARE(asDouble(row[column(workers, "cpu_percent")]), sample.cpuPercent);
                QCOMPARE(std::stoull(row[column(workers, "rss_bytes")]), sample.rssBytes);
                QCOMPARE(std::stoi(row[column(workers, "core")]), sample.core);
                QCOMPARE(asDouble(row[column(workers, "latency_p50_ms")]), sample.latencyP50Ms);
                QCOMPARE(asDouble(row[column(workers, "latency_p99_ms")]), sample.latencyP99Ms);
                QCOMPARE(std::stoul(row[column(workers, "open_connections")]), sample.openConnections);
            }
        for (std::size_t i = 0; i < r.snapshots.size(); ++i) {
            const Snapshot& s = r.snapshots[i];
            const auto& row = cluster[i + 1];
            QCOMPARE(asDouble(row[column(cluster, "total_requests_per_s")]), s.totalRequestsPerSecond);
            QCOMPARE(std::stoull(row[column(cluster, "total_requests")]), s.totalRequests);
            QCOMPARE(row[column(cluster, "policy")], std::string("shared"));
            if (s.fairness)
                QCOMPARE(asDouble(row[column(cluster, "fairness")]), *s.fairness);
            else
                QCOMPARE(row[column(cluster, "fairness")], std::string()); // unknown: empty, not 0
            QCOMPARE(asDouble(row[column(cluster, "master_cpu_percent")]), s.masterCpuPercent);
            QCOMPARE(asDouble(cores[2 * i + 1][column(cores, "busy_percent")]), s.cores[0].busyPercent);
            QCOMPARE(asDouble(cores[2 * i + 2][column(cores, "busy_percent")]), s.cores[1].busyPercent);
        }
        QCOMPARE(events[1][column(events, "kind")], std::string("exit"));
        QCOMPARE(events[1][column(events, "reason")], std::string("crash"));
        QCOMPARE(events[1][column(events, "signal")], std::string("9"));
        QCOMPARE(asDouble(events[1][column(events, "time_s")]), 1.25);
        QCOMPARE(events[2][column(events, "stream")], std::string("stderr"));
        QCOMPARE(events[2][column(events, "message")], original.events[1].message); // comma, quotes, newline
    }

    // A program of the user's own counts no requests: those cells are empty.
    void unknownRequestCountsAreEmpty()
    {
        Recording r = sampleRecording();
        for (auto& s : r.snapshots)
            s.requestMetrics = false;
        const auto tables = csvTables(r);
        bool ok = false;
        const Rows workers = parseCsv(tables[0].text, &ok);
        QVERIFY(ok);
        QCOMPARE(workers[1][column(workers, "requests_per_s")], std::string());
        QCOMPARE(workers[1][column(workers, "latency_p99_ms")], std::string());
        QVERIFY(!workers[1][column(workers, "cpu_percent")].empty());
        const Rows cluster = parseCsv(tables[2].text, &ok);
        QVERIFY(ok);
        QCOMPARE(cluster[1][column(cluster, "total_requests_per_s")], std::string());
    }

    void unwritableFolderIsOneSentence()
    {
        const std::string why = writeCsvTables(sampleRecording(), "/nonexistent/folder");
        QVERIFY(!why.empty());
        QVERIFY(why.find("/nonexistent/folder/workers.csv") != std::string::npos);
        QCOMPARE(why.back(), '.');
    }
};

QTEST_APPLESS_MAIN(TestCsvExport)
#include "tst_csvexport.moc"
