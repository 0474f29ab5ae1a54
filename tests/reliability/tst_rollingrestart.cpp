// Zero-loss rolling restart under load: SIGHUP to a headless master replaces every worker
// while clusterscope-load runs (keep-alive and new-connection); no request fails for
// round-robin, least-connections and shared. A reuseport worker takes its queue before it
// closes its listener, but a connection that lands in that one syscall's window is reset by
// the kernel, so its new-connection figure is printed, not failed on. Under keep-alive load no
// new connection is under way when a drain begins: there every policy must lose nothing, ten
// restarts in a row, with a client that never retries.
#include "reliabilitysupport.h"

#include <csignal>
#include <optional>
#include <regex>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

namespace {

long jsonNumber(const std::string& json, const std::string& key)
{
    std::smatch match;
    if (!std::regex_search(json, match, std::regex("\"" + key + "\":([0-9]+)")))
        return -1;
    return std::stol(match[1]);
}

/// What clusterscope-load reported at its end (its JSON summary), once it has exited cleanly.
struct LoadOutcome {
    std::string summary;
    long completed = -1;
    long errors = -1;
    long non2xx = -1;
};

std::optional<LoadOutcome> loadOutcome(ChildProcess& load)
{
    const auto status = load.waitExit(20s);
    if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return std::nullopt;
    LoadOutcome out;
    out.summary = load.stdoutText();
    out.completed = jsonNumber(out.summary, "completed");
    out.errors = jsonNumber(out.summary, "errors");
    out.non2xx = jsonNumber(out.summary, "non2xx");
    return out;
}

} // namespace

class TestRollingRestart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sighupUnderLoadLosesNothing_data();
    void sighupUnderLoadLosesNothing();
    void tenSighupsUnderKeepAliveLoseNothingWithoutRetries_data();
    void tenSighupsUnderKeepAliveLoseNothingWithoutRetries();
};

void TestRollingRestart::sighupUnderLoadLosesNothing_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QByteArray>("mode");
    for (const char* policy : { "round-robin", "least-connections", "shared", "reuseport" })
        for (const char* mode : { "--keep-alive", "--new-connection" })
            QTest::addRow("%s %s", policy, mode + 2) << QByteArray(policy) << QByteArray(mode);
}

void TestRollingRestart::sighupUnderLoadLosesNothing()
{
    QFETCH(QByteArray, policy);
    QFETCH(QByteArray, mode);
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval",
                                                 "100", "--policy", policy.toStdString() });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    const auto old = onlineWorkerPids(master, 2);
    QCOMPARE(old.size(), std::size_t { 2 });

    ChildProcess load(loadProgram(), { "--port", std::to_string(port), mode.toStdString(), "-c", "8", "-d", "5",
                                       "--timeout-ms", "3000", "--json" });
    QVERIFY(load.start());
    // Under load before the restart begins.
    QVERIFY(waitFor([&] { return jsonNumber(lastJsonLine(master), "totalRequests") > 500; }, 5s));
    master.signal(SIGHUP);
    const auto replaced = onlineWorkerPids(master, 2, old, 10s);
    QCOMPARE(replaced.size(), std::size_t { 2 });
    QVERIFY(waitFor([&] { return !processAlive(old[0]) && !processAlive(old[1]); }, 10s));

    const auto outcome = loadOutcome(load);
    QVERIFY2(outcome, "clusterscope-load did not end cleanly");
    const auto& [summary, completed, errors, non2xx] = *outcome;
    qInfo("%s %s: %ld requests, %ld failed, %ld non-2xx during the rolling restart", policy.constData(),
          mode.constData() + 2, completed, errors, non2xx);
    QVERIFY2(completed > 1000, summary.c_str());
    // Requests after the restart were served by the new workers.
    const auto after = httpGet(port, "/");
    QCOMPARE(after.status, 200);
    QVERIFY(after.body.find("pid " + std::to_string(replaced[0])) != std::string::npos
            || after.body.find("pid " + std::to_string(replaced[1])) != std::string::npos);
    if (policy != "reuseport" || mode == "--keep-alive") {
        QVERIFY2(errors == 0, summary.c_str());
        QVERIFY2(non2xx == 0, summary.c_str());
    }
    master.signal(SIGTERM);
    QVERIFY(master.waitExit(15s).has_value());
}

void TestRollingRestart::tenSighupsUnderKeepAliveLoseNothingWithoutRetries_data()
{
    QTest::addColumn<QByteArray>("policy");
    for (const char* policy : { "round-robin", "least-connections", "shared", "reuseport" })
        QTest::newRow(policy) << QByteArray(policy);
}

// A client that never retries (--no-retry, as wrk) keeps 20 connections busy while the
// cluster is replaced ten times over. A draining worker must tell each client with
// Connection: close before it closes, and must never close a connection whose next request
// is on its way: then not one request fails.
void TestRollingRestart::tenSighupsUnderKeepAliveLoseNothingWithoutRetries()
{
    QFETCH(QByteArray, policy);
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval",
                                                 "100", "--policy", policy.toStdString() });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    auto current = onlineWorkerPids(master, 2);
    QCOMPARE(current.size(), std::size_t { 2 });

    ChildProcess load(loadProgram(), { "--port", std::to_string(port), "--keep-alive", "--no-retry", "-c", "20", "-d",
                                       "120", "--timeout-ms", "5000", "--json" });
    QVERIFY(load.start());
    QVERIFY(waitFor([&] { return jsonNumber(lastJsonLine(master), "totalRequests") > 500; }, 5s));
    for (int restart = 1; restart <= 10; ++restart) {
        const long before = jsonNumber(lastJsonLine(master), "totalRequests");
        master.signal(SIGHUP);
        const auto replaced = onlineWorkerPids(master, 2, current, 10s);
        QVERIFY2(replaced.size() == 2, qPrintable(QStringLiteral("restart %1 did not replace both workers").arg(restart)));
        QVERIFY(waitFor([&] { return !processAlive(current[0]) && !processAlive(current[1]); }, 10s));
        // The load goes on through the new workers before the next restart.
        QVERIFY(waitFor([&] { return jsonNumber(lastJsonLine(master), "totalRequests") > before + 200; }, 5s));
        current = replaced;
    }
    load.signal(SIGINT);
    const auto outcome = loadOutcome(load);
    QVERIFY2(outcome, "clusterscope-load did not end cleanly");
    const auto& [summary, completed, errors, non2xx] = *outcome;
    qInfo("%s keep-alive, no retries, 10 rolling restarts: %ld requests, %ld failed, %ld non-2xx", policy.constData(),
          completed, errors, non2xx);
    QVERIFY2(completed > 2000, summary.c_str());
    QVERIFY2(errors == 0, summary.c_str());
    QVERIFY2(non2xx == 0, summary.c_str());
    master.signal(SIGTERM);
    QVERIFY(master.waitExit(15s).has_value());
}

QTEST_APPLESS_MAIN(TestRollingRestart)
#include "tst_rollingrestart.moc"
