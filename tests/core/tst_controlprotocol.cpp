// The control socket's lines: what a client may send (and what is refused, in one sentence),
// and a snapshot or an event as the master writes it and a viewer reads it back.
#include "cli/report.h"
#include "control/client.h"
#include "control/protocol.h"

#include <QtTest>

using namespace cs;
using namespace cs::control;

class TestControlProtocol : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void decodes_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("encoded"); // empty: refused
        QTest::newRow("status") << R"({"v":1,"cmd":"status"})" << R"({"v":1,"cmd":"status"})";
        QTest::newRow("scale") << R"({"cmd":"scale","workers":3,"v":1})" << R"({"v":1,"cmd":"scale","workers":3})";
        QTest::newRow("kill, default signal") << R"({"v":1,"cmd":"kill","slot":2})" << R"({"v":1,"cmd":"kill","slot":2,"signal":15})";
        QTest::newRow("reset all") << R"({"v":1,"cmd":"reset"})" << R"({"v":1,"cmd":"reset"})";
        QTest::newRow("logs follow") << R"({"v":1,"cmd":"logs","follow":true})" << R"({"v":1,"cmd":"logs","follow":true})";
        QTest::newRow("no version") << R"({"cmd":"status"})" << "";
        QTest::newRow("version 2") << R"({"v":2,"cmd":"status"})" << "";
        QTest::newRow("unknown command") << R"({"v":1,"cmd":"explode"})" << "";
        QTest::newRow("scale 0") << R"({"v":1,"cmd":"scale","workers":0})" << "";
        QTest::newRow("scale 257") << R"({"v":1,"cmd":"scale","workers":257})" << "";
        QTest::newRow("scale 2.5") << R"({"v":1,"cmd":"scale","workers":2.5})" << "";
        QTest::newRow("kill signal 99") << R"({"v":1,"cmd":"kill","slot":1,"signal":99})" << "";
        QTest::newRow("follow not bool") << R"({"v":1,"cmd":"logs","follow":"yes"})" << "";
        QTest::newRow("array") << "[1,2]" << "";
        QTest::newRow("garbage") << "not json" << "";
        QTest::newRow("too long") << QString(5000, QLatin1Char(' ')) + QStringLiteral(R"({"v":1,"cmd":"status"})") << "";
    }
    void decodes()
    {
        QFETCH(QString, line);
        QFETCH(QString, encoded);
        const auto decoded = decodeRequest(line.toStdString());
        if (encoded.isEmpty()) {
            QVERIFY(std::holds_alternative<std::string>(decoded));
            const std::string& why = std::get<std::string>(decoded);
            QVERIFY(!why.empty() && why.back() == '.');
            QVERIFY(why.find('\n') == std::string::npos);
            return;
        }
        QVERIFY(std::holds_alternative<Request>(decoded));
        QCOMPARE(QString::fromStdString(encodeRequest(std::get<Request>(decoded))), encoded + QLatin1Char('\n'));
    }

    // What the master writes (the headless --json object) a viewer reads back as the same
    // snapshot, for everything the window shows.
    void snapshotRoundTrips()
    {
        Snapshot s;
        s.sequence = 42;
        s.clusterUptimeSeconds = 12.5;
        s.running = true;
        s.bindAddress = "::1";
        s.port = 8123;
        s.policy = Policy::LeastConnections;
        s.masterPid = 77;
        s.totalRequestsPerSecond = 1500.5;
        s.totalRequests = 123456;
        s.fairness = 0.5;
        s.latencyP50Ms = 0.25;
        s.latencyP99Ms = 4.5;
        s.cores = { { 0, 12.5 }, { 1, 99.5 } };
        WorkerSample a;
        a.slot = 1;
        a.pid = 100;
        a.state = WorkerState::Online;
        a.restarts = 2;
        a.requests = 123456;
        a.requestsPerSecond = 1500.5;
        a.connectionsAccepted = 10;
        a.openConnections = 3;
        a.core = 1;
        a.allowedCpus = { 1 }; // pinned
        WorkerSample b;
        b.slot = 2;
        b.state = WorkerState::Failed;
        s.workers = { a, b };
        const auto back = snapshotFromJson(snapshotJson(s));
        QVERIFY(back);
        QCOMPARE(back->sequence, s.sequence);
        QCOMPARE(back->clusterUptimeSeconds, 12.5);
        QVERIFY(back->running);
        QCOMPARE(back->bindAddress, std::string("::1"));
        QCOMPARE(back->port, std::uint16_t(8123));
        QCOMPARE(back->policy, Policy::LeastConnections);
        QCOMPARE(back->masterPid, 77);
        QCOMPARE(back->totalRequests, std::uint64_t(123456));
        QCOMPARE(*back->fairness, 0.5);
        QVERIFY(!back->connectionFairness); // null: not known yet
        QCOMPARE(back->latencyP99Ms, 4.5);
        QVERIFY(back->latency.total() > 0); // requests in the interval: "measured"
        QCOMPARE(back->cores.size(), std::size_t(2));
        QCOMPARE(back->cores[1].busyPercent, 99.5);
        QCOMPARE(back->workers.size(), std::size_t(2));
        QCOMPARE(back->workers[0].state, WorkerState::Online);
        QCOMPARE(back->workers[0].restarts, 2);
        QCOMPARE(back->workers[0].requests, std::uint64_t(123456));
        QCOMPARE(back->workers[0].connectionsAccepted, std::uint64_t(10));
        QCOMPARE(back->workers[0].openConnections, 3u);
        QCOMPARE(back->workers[0].core, 1);
        QCOMPARE(back->workers[0].allowedCpus, std::vector<int> { 1 }); // the attached window shows the pinning
        QVERIFY(back->workers[1].allowedCpus.empty()); // no process: unknown
        QCOMPARE(back->workers[1].state, WorkerState::Failed);
        QVERIFY(!snapshotFromJson("[]"));
    }

    void eventRoundTrips()
    {
        Event e;
        e.kind = EventKind::Exit;
        e.time = 3.25;
        e.slot = 2;
        e.pid = 4321;
        e.reason = ExitReason::Crash;
        e.signal = 9;
        e.message = "worker 2 (pid 4321) killed by signal 9 \"quoted\"\twith a tab";
        const std::string line = eventLine(e);
        const auto start = line.find("\"event\":") + 8;
        const auto back = eventFromJson(line.substr(start, line.rfind('}') - start));
        QVERIFY(back);
        QCOMPARE(back->kind, EventKind::Exit);
        QCOMPARE(back->time, 3.25);
        QCOMPARE(back->slot, 2);
        QCOMPARE(back->pid, 4321);
        QCOMPARE(back->reason, ExitReason::Crash);
        QCOMPARE(back->signal, 9);
        QCOMPARE(back->message, e.message);
        QVERIFY(!eventFromJson(R"({"kind":"nonsense"})"));
    }
};

QTEST_APPLESS_MAIN(TestControlProtocol)
#include "tst_controlprotocol.moc"
