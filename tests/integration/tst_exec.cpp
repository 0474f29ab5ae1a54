// Programs we did not write as the workers (--exec): the socket-activation protocol, the
// shipped Node and Python examples serving and coming back after a kill.
#include "master/cluster.h"
#include "testsupport.h"

#include <csignal>
#include <filesystem>
#include <set>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::httpGet;
using cs::test::waitFor;

Q_DECLARE_METATYPE(cs::Policy)

namespace {

std::string example(const std::string& name)
{
    return std::filesystem::path(cs::test::dataFile("")).parent_path().parent_path().string() + "/examples/" + name;
}

int onlineCount(const cs::Cluster& cluster)
{
    int online = 0;
    for (const auto& worker : cluster.snapshot()->workers)
        online += worker.state == cs::WorkerState::Online ? 1 : 0;
    return online;
}

} // namespace

class TestExec : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void examplesServeAndRespawn_data();
    void examplesServeAndRespawn();
    void handOffPoliciesAreRefusedWithAReason();
    void missingProgramIsAClearError();
};

void TestExec::examplesServeAndRespawn_data()
{
    QTest::addColumn<QByteArray>("program");
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<cs::Policy>("policy");
    QTest::addColumn<QByteArray>("startLine");
    QTest::newRow("node, socket activation") << QByteArray("node") << QByteArray("node-server.js") << cs::Policy::Shared
                                             << QByteArray("serving the inherited socket");
    QTest::newRow("python, socket activation") << QByteArray("python3") << QByteArray("python-server.py")
                                               << cs::Policy::Shared << QByteArray("serving the inherited socket");
    QTest::newRow("python, reuseport") << QByteArray("python3") << QByteArray("python-server.py")
                                       << cs::Policy::ReusePort << QByteArray("(SO_REUSEPORT)");
}

void TestExec::examplesServeAndRespawn()
{
    QFETCH(QByteArray, program);
    QFETCH(QByteArray, script);
    QFETCH(cs::Policy, policy);
    QFETCH(QByteArray, startLine);
    cs::ClusterConfig config;
    config.port = 0;
    config.workers = 2;
    config.policy = policy;
    config.sampleIntervalMs = 100;
    config.gracefulTimeoutMs = 3000;
    config.execCommand = { program.toStdString(), example(script.toStdString()) };
    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    QVERIFY(waitFor([&] { return onlineCount(cluster) == 2; }, 15s));
    QVERIFY(!cluster.snapshot()->requestMetrics);

    // Both workers come up the way the protocol says (their own log lines tell which way).
    std::vector<cs::Event> events;
    QVERIFY(waitFor(
        [&] {
            for (auto& event : cluster.takeEvents())
                events.push_back(std::move(event));
            return std::count_if(events.begin(), events.end(), [&](const cs::Event& e) {
                       return e.kind == cs::EventKind::Log && e.message.find(startLine.toStdString()) != std::string::npos;
                   }) == 2;
        },
        15s));
    const auto port = cluster.snapshot()->port;
    std::set<std::string> workers;
    QVERIFY(waitFor(
        [&] {
            auto response = httpGet(port, "/");
            if (response.status == 200)
                workers.insert(response.headers["x-worker"]);
            return workers.size() == 2;
        },
        15s));

    // Kill one: it comes back under a new pid, in the same slot, and serves.
    const int before = cluster.snapshot()->workers.at(0).pid;
    ::kill(before, SIGKILL);
    QVERIFY(waitFor(
        [&] {
            const auto& worker = cluster.snapshot()->workers.at(0);
            return worker.pid != before && worker.pid > 0 && worker.state == cs::WorkerState::Online
                && worker.restarts == 1;
        },
        15s));
    QVERIFY(waitFor(
        [&] {
            auto response = httpGet(port, "/");
            return response.status == 200
                && response.body.find("pid " + std::to_string(cluster.snapshot()->workers.at(0).pid)) != std::string::npos;
        },
        15s));
    cluster.stop();
    QVERIFY(cluster.waitStopped(10s));
}

void TestExec::handOffPoliciesAreRefusedWithAReason()
{
    for (auto policy : { cs::Policy::RoundRobin, cs::Policy::LeastConnections }) {
        cs::ClusterConfig config;
        config.port = 0;
        config.workers = 1;
        config.policy = policy;
        config.execCommand = { "python3", example("python-server.py") };
        cs::Cluster cluster;
        const auto started = cluster.start(config);
        QVERIFY(!started.ok);
        // In neutral words (the window shows them too), about the policy: the command line adds "(--policy)".
        QVERIFY2(started.error.find("needs the shared policy (socket activation) or reuseport") != std::string::npos,
                 started.error.c_str());
        QCOMPARE(started.field, cs::ConfigField::Policy);
    }
}

void TestExec::missingProgramIsAClearError()
{
    cs::ClusterConfig config;
    config.port = 0;
    config.policy = cs::Policy::Shared;
    config.execCommand = { "no-such-server-program" };
    cs::Cluster cluster;
    const auto started = cluster.start(config);
    QVERIFY(!started.ok);
    QVERIFY2(started.error.find("'no-such-server-program' was not found") != std::string::npos, started.error.c_str());
}

QTEST_APPLESS_MAIN(TestExec)
#include "tst_exec.moc"
