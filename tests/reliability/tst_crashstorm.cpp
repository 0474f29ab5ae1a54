// A crash storm: 40 /crash requests in a row against one slot of a headless --chaos master.
// The master backs off and stays responsive (its JSON lines keep coming, its CPU stays low),
// the slot ends failed at --restart-limit, and SIGUSR1 brings it back.
#include "reliabilitysupport.h"

#include <csignal>
#include <regex>

#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;
using Clock = std::chrono::steady_clock;

namespace {

/// Slot 1's pid and state in the master's latest JSON line.
std::pair<int, std::string> slotOne(ChildProcess& master)
{
    const auto line = lastJsonLine(master);
    std::smatch match;
    if (!std::regex_search(line, match, std::regex("\"slot\":1,\"pid\":([0-9]+),\"state\":\"([a-z-]+)\"")))
        return { 0, {} };
    return { std::stoi(match[1]), match[2] };
}

/// Sends /crash to slot 1: a keep-alive connection is asked who serves it first, so slot 2
/// (kept healthy, or the headless master would give up once every slot failed) is spared.
/// True when slot 1 took the request and died without answering.
bool crashSlotOne(std::uint16_t port)
{
    const int fd = connectLoopback(port);
    if (fd < 0)
        return false;
    std::string buffer;
    bool crashed = false;
    if (sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")) {
        const auto response = readResponse(fd, buffer, 2s);
        if (response && response->find("X-Worker: 1\r\n") != std::string::npos
            && sendAll(fd, "GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")) {
            bool closed = false;
            crashed = readUntilClose(fd, 3s, &closed).empty() && closed;
        }
    }
    ::close(fd);
    return crashed;
}

} // namespace

class TestCrashStorm : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fortyCrashesInARow();
};

void TestCrashStorm::fortyCrashesInARow()
{
    constexpr int kCrashes = 40;
    constexpr int kIntervalMs = 200;
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "2", "--chaos", "--json",
                                                 "--interval", std::to_string(kIntervalMs), "--restart-limit",
                                                 std::to_string(kCrashes), "--restart-window", "120000",
                                                 "--backoff-max", "100" });
    QVERIFY(master.start());
    const auto port = jsonPort(master);
    QVERIFY(port != 0);
    QCOMPARE(onlineWorkerPids(master, 2).size(), std::size_t { 2 });

    const auto stormStart = Clock::now();
    const double cpuBefore = cpuSeconds(master.pid());
    const int linesBefore = jsonLineCount(master);
    int crashes = 0;
    int crashedPid = 0;
    for (int attempt = 0; crashes < kCrashes && attempt < kCrashes * 20; ++attempt) {
        // Wait until slot 1 runs a new process, then crash it.
        const bool online = waitFor(
            [&] {
                const auto [pid, state] = slotOne(master);
                return state == "online" && pid != crashedPid;
            },
            10s);
        QVERIFY2(online, lastJsonLine(master).c_str());
        const int pid = slotOne(master).first;
        if (crashSlotOne(port)) {
            ++crashes;
            crashedPid = pid;
        }
    }
    QCOMPARE(crashes, kCrashes);
    QVERIFY2(waitFor([&] { return slotOne(master).second == "failed"; }, 5s), lastJsonLine(master).c_str());
    const double seconds = std::chrono::duration<double>(Clock::now() - stormStart).count();
    const double cpu = cpuSeconds(master.pid()) - cpuBefore;
    const int lines = jsonLineCount(master) - linesBefore;
    qInfo("%d crashes in %.1f s: master CPU %.2f s (%.1f%% of a core), %d JSON lines (%.0f expected)", crashes, seconds,
          cpu, 100 * cpu / seconds, lines, seconds * 1000 / kIntervalMs);
    QVERIFY2(cpu / seconds < 0.25, qPrintable(QString::number(cpu / seconds)));
    QVERIFY(lines >= static_cast<int>(0.8 * seconds * 1000 / kIntervalMs));
    QVERIFY(master.stderrText().find("no longer respawned") != std::string::npos);
    QVERIFY(master.running());
    // Slot 2 served throughout and still does.
    const auto response = httpGet(port, "/");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.headers.at("x-worker"), std::string("2"));

    master.signal(SIGUSR1);
    QVERIFY2(waitFor([&] { return slotOne(master).second == "online"; }, 10s), lastJsonLine(master).c_str());
    QCOMPARE(onlineWorkerPids(master, 2).size(), std::size_t { 2 });
    master.signal(SIGTERM);
    const auto status = master.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

QTEST_APPLESS_MAIN(TestCrashStorm)
#include "tst_crashstorm.moc"
