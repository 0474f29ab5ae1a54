// `clusterscope --headless` as a user runs it: a real master process, its signals, its exit status.
#include "testsupport.h"

#include <csignal>
#include <fstream>
#include <sstream>
#include <regex>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using cs::test::ChildProcess;
using cs::test::waitFor;

namespace {

std::string clusterscope() { return cs::test::binDir() + "/clusterscope"; }

} // namespace

class TestHeadless : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sigtermStopsGracefullyWithExitZeroAndNoWorkerLeft();
    void sigkillOfTheMasterLeavesNoWorker();
    void portInUseExitsNonZeroWithOneSentence();
    void badFlagValuesExitNonZeroWithOneSentence_data();
    void badFlagValuesExitNonZeroWithOneSentence();
    void tableShowsOneLinePerWorker();
    void signalsScaleAndRestart();
    void configFileDefinesTheCluster();
    void configPathThatIsNotAReadableFileIsRefused_data();
    void configPathThatIsNotAReadableFileIsRefused();
    void ipv6AddressesAreInBracketsInEveryUrl();
    void openFilesLimitIsRaisedAndALowOneIsSaid();
};

void TestHeadless::sigtermStopsGracefullyWithExitZeroAndNoWorkerLeft()
{
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    const auto port = cs::test::jsonPort(master);
    QVERIFY(port != 0);
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    QCOMPARE(cs::test::httpGet(port, "/").status, 200);
    master.signal(SIGTERM);
    const auto status = master.waitExit(15s);
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 0);
    for (int pid : workers)
        QVERIFY(!cs::test::processAlive(pid));
    QVERIFY(master.stderrText().find("cluster stopped") != std::string::npos);
}

void TestHeadless::sigkillOfTheMasterLeavesNoWorker()
{
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    QVERIFY(cs::test::jsonPort(master) != 0);
    const auto workers = cs::test::onlineWorkerPids(master, 2);
    QCOMPARE(workers.size(), std::size_t { 2 });
    ::kill(master.pid(), SIGKILL); // the master alone, not its group
    QVERIFY(master.waitExit(5s).has_value());
    QVERIFY(waitFor([&] { return !cs::test::processAlive(workers[0]) && !cs::test::processAlive(workers[1]); }, 5s));
}

void TestHeadless::portInUseExitsNonZeroWithOneSentence()
{
    cs::test::PortHolder holder;
    QVERIFY(holder.port() != 0);
    const auto port = std::to_string(holder.port());

    ChildProcess master(clusterscope(), { "--headless", "--port", port, "--workers", "2" });
    QVERIFY(master.start());
    const auto status = master.waitExit(10s);
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    QCOMPARE(WEXITSTATUS(*status), 2);
    const auto err = master.stderrText();
    QVERIFY2(err.find("Port " + port + " on 127.0.0.1 is already in use") != std::string::npos, err.c_str());
    QVERIFY2(err.find("choose another port (--port).") != std::string::npos, err.c_str()); // the flag that fixes it
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1L);
    QVERIFY(cs::test::processesMatching("clusterscope-worker --slot").empty()
            || cs::test::childrenOf(master.pid()).empty());
}

void TestHeadless::badFlagValuesExitNonZeroWithOneSentence_data()
{
    QTest::addColumn<QByteArray>("args");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("port out of range") << QByteArray("--port 70000") << QByteArray("The value '70000' of --port is not valid; use a number from 0 to 65535.");
    QTest::newRow("port not a number") << QByteArray("--port http") << QByteArray("The value 'http' of --port is not valid");
    QTest::newRow("workers zero") << QByteArray("--workers 0") << QByteArray("use a number from 1 to 256.");
    QTest::newRow("unknown policy") << QByteArray("--policy random") << QByteArray("The value 'random' of --policy is not valid");
    QTest::newRow("unknown flag") << QByteArray("--frobnicate") << QByteArray("Unknown option '--frobnicate'");
    QTest::newRow("missing value") << QByteArray("--port") << QByteArray("Option --port needs a value (N); see clusterscope --help.");
    QTest::newRow("bad bind") << QByteArray("--bind localhost:80") << QByteArray("is not an IP address");
    QTest::newRow("missing worker") << QByteArray("--worker-program /nope/worker") << QByteArray("'/nope/worker' does not exist");
}

void TestHeadless::badFlagValuesExitNonZeroWithOneSentence()
{
    QFETCH(QByteArray, args);
    QFETCH(QByteArray, expected);
    std::vector<std::string> argv { "--headless" };
    for (const auto& arg : args.split(' '))
        argv.push_back(arg.toStdString());
    ChildProcess master(clusterscope(), argv);
    QVERIFY(master.start());
    const auto status = master.waitExit(10s);
    QVERIFY(status.has_value());
    QCOMPARE(WEXITSTATUS(*status), 2);
    const auto err = master.stderrText();
    QVERIFY2(err.find(expected.toStdString()) != std::string::npos, err.c_str());
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1L);
    QVERIFY(cs::test::childrenOf(master.pid()).empty());
}

void TestHeadless::tableShowsOneLinePerWorker()
{
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "2", "--interval", "100" });
    QVERIFY(master.start());
    QVERIFY(master.waitForLine("slot", 10s).has_value());
    QVERIFY(waitFor(
        [&] {
            const auto text = master.stdoutText();
            return std::regex_search(text, std::regex("\n +1 +[0-9]+ online +[0-9.]+s +0 ")) && std::regex_search(text, std::regex("\n +2 +[0-9]+ online "));
        },
        10s));
    master.signal(SIGINT);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestHeadless::signalsScaleAndRestart()
{
    ChildProcess master(clusterscope(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "100" });
    QVERIFY(master.start());
    QVERIFY(cs::test::jsonPort(master) != 0);
    const auto first = cs::test::onlineWorkerPids(master, 1);
    QCOMPARE(first.size(), std::size_t { 1 });
    QVERIFY2(master.stderrText().find(" with 1 worker, policy round-robin") != std::string::npos,
             master.stderrText().c_str());
    master.signal(SIGTTIN);
    QCOMPARE(cs::test::onlineWorkerPids(master, 2).size(), std::size_t { 2 });
    master.signal(SIGHUP);
    QVERIFY(waitFor([&] { return !cs::test::processAlive(first[0]); }, 10s));
    QCOMPARE(cs::test::onlineWorkerPids(master, 2, first).size(), std::size_t { 2 });
    master.signal(SIGTTOU);
    QCOMPARE(cs::test::onlineWorkerPids(master, 1).size(), std::size_t { 1 });
    QVERIFY(waitFor([&] { return master.stderrText().find("master: scaled to 1 worker\n") != std::string::npos; }, 5s));
    QVERIFY2(master.stderrText().find("master: scaled to 2 workers\n") != std::string::npos, master.stderrText().c_str());
    master.signal(SIGQUIT);
    const auto status = master.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

void TestHeadless::configFileDefinesTheCluster()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto good = dir.filePath(QStringLiteral("cluster.toml")).toStdString();
    const auto bad = dir.filePath(QStringLiteral("bad.json")).toStdString();
    {
        std::ofstream(good) << "workers = 3\nport = 0\npolicy = \"least-connections\"\n[restart]\nlimit = 2\n";
        std::ofstream(bad) << "{\n  \"workers\": 2,\n  \"polcy\": \"shared\"\n}\n";
    }
    // The file defines the cluster; a flag beside it overrides the file.
    ChildProcess master(clusterscope(), { "--headless", "--config", good, "--workers", "2", "--json", "--interval", "100" });
    QVERIFY(master.start());
    const auto line = master.waitForLine("\"port\":", 10s);
    QVERIFY(line);
    QVERIFY2(line->find("\"policy\":\"least-connections\"") != std::string::npos, line->c_str());
    QCOMPARE(cs::test::onlineWorkerPids(master, 2).size(), std::size_t { 2 });
    master.signal(SIGTERM);
    QVERIFY(master.waitExit(15s).has_value());

    ChildProcess refused(clusterscope(), { "--headless", "--config", bad });
    QVERIFY(refused.start());
    const auto status = refused.waitExit(10s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 2);
    const auto err = refused.stderrText();
    QVERIFY2(err.find(bad + ":3: unknown key 'polcy'") != std::string::npos, err.c_str());
    QVERIFY(cs::test::childrenOf(refused.pid()).empty());
}

void TestHeadless::configPathThatIsNotAReadableFileIsRefused_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray directory("is a directory; give the path of a TOML or JSON file.");
    // A directory used to be read as an empty file: the cluster started on the defaults.
    QTest::newRow("directory") << QStringLiteral("directory") << directory;
    QTest::newRow("directory named .json") << QStringLiteral("directory.json") << directory;
    QTest::newRow("missing") << QStringLiteral("missing.toml") << QByteArray("does not exist; check the path.");
    QTest::newRow("unreadable") << QStringLiteral("unreadable.toml") << QByteArray("cannot be read; check its permissions.");
}

void TestHeadless::configPathThatIsNotAReadableFileIsRefused()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto path = dir.filePath(kind).toStdString();
    std::string program = clusterscope();
    std::vector<std::string> args { "--headless", "--config", path, "--port", "0", "--workers", "1" };
    if (kind.startsWith(QLatin1String("directory"))) {
        QVERIFY(QDir().mkdir(dir.filePath(kind)));
    } else if (kind.startsWith(QLatin1String("unreadable"))) {
        std::ofstream(path) << "workers = 1\n";
        QCOMPARE(::chmod(path.c_str(), 0), 0);
        if (::geteuid() == 0) {
            // Root reads any file: run it as nobody, who may enter the folder but not read the file.
            QCOMPARE(::chmod(dir.path().toLocal8Bit().constData(), 0755), 0);
            args.insert(args.begin(), { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", program });
            program = "/usr/bin/setpriv";
        }
    }
    ChildProcess refused(program, args);
    QVERIFY(refused.start());
    const auto status = refused.waitExit(10s);
    QVERIFY(status.has_value());
    QVERIFY(WIFEXITED(*status));
    const auto err = refused.stderrText();
    QCOMPARE(WEXITSTATUS(*status), 2);
    const auto sentence = "clusterscope: The config file '" + path + "' " + expected.toStdString();
    QVERIFY2(err.find(sentence) != std::string::npos, err.c_str());
    QCOMPARE(std::count(err.begin(), err.end(), '\n'), 1L);
    QVERIFY(cs::test::childrenOf(refused.pid()).empty());
}

void TestHeadless::ipv6AddressesAreInBracketsInEveryUrl()
{
    ChildProcess master(clusterscope(), { "--headless", "--bind", "::1", "--port", "0", "--workers", "1",
                                          "--metrics-port", "0", "--metrics-bind", "::1", "--interval", "100" });
    QVERIFY(master.start());
    const auto header = master.waitForLine("clusterscope ", 10s);
    QVERIFY2(header, master.stderrText().c_str());
    // "http://:::42105/" was a URL nobody could open.
    const std::regex banner("clusterscope: serving http://\\[::1\\]:([0-9]+)/ with ");
    std::smatch found;
    const auto err = master.stderrText();
    QVERIFY2(std::regex_search(err, found, banner), err.c_str());
    QVERIFY2(header->find("clusterscope [::1]:" + found[1].str() + " ") != std::string::npos, header->c_str());
    QVERIFY2(std::regex_search(err, std::regex("Prometheus metrics at http://\\[::1\\]:[0-9]+/metrics\n")), err.c_str());
    master.signal(SIGINT);
    const auto status = master.waitExit(15s);
    QVERIFY(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

namespace {

/// "Max open files  SOFT  HARD  files" of a process, from /proc.
std::pair<std::string, std::string> openFilesOf(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Max open files", 0) == 0) {
            std::istringstream fields(line.substr(14));
            std::string soft, hard;
            fields >> soft >> hard;
            return { soft, hard };
        }
    return {};
}

} // namespace

// Every connection is a descriptor: the master raises the soft open-files limit to the hard
// one for itself and its workers (Debian's soft default, 1024, would cap a worker at about a
// thousand connections), and says so plainly when the hard limit itself is low.
void TestHeadless::openFilesLimitIsRaisedAndALowOneIsSaid()
{
    ChildProcess low("/usr/bin/prlimit", { "--nofile=512:2048", "--", clusterscope(), "--headless", "--port", "0",
                                           "--workers", "1", "--json", "--interval", "100" });
    QVERIFY(low.start());
    QVERIFY(cs::test::jsonPort(low) != 0);
    const auto workers = cs::test::onlineWorkerPids(low, 1);
    QCOMPARE(workers.size(), std::size_t { 1 });
    QCOMPARE(openFilesOf(workers.front()), std::make_pair(std::string("2048"), std::string("2048")));
    QVERIFY2(low.stderrText().find("may open at most 2048 files") != std::string::npos, low.stderrText().c_str());
    low.signal(SIGTERM);
    QVERIFY(low.waitExit(15s));

    // prlimit raises the hard limit to 8192 only where that is allowed: say so when it is not,
    // rather than fail later on a master that never started.
    rlimit own {};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &own), 0);
    if (own.rlim_max < 8192) {
        rlimit raised = own;
        raised.rlim_max = 8192;
        if (::setrlimit(RLIMIT_NOFILE, &raised) != 0)
            QFAIL(qPrintable(QStringLiteral("This test raises the open-files hard limit to 8192, but it is %1 here and may not be "
                                            "raised (no CAP_SYS_RESOURCE): run the suite with ulimit -Hn 8192 or more.")
                                 .arg(own.rlim_max)));
    }
    ChildProcess plenty("/usr/bin/prlimit", { "--nofile=1024:8192", "--", clusterscope(), "--headless", "--port", "0",
                                              "--workers", "1", "--json", "--interval", "100" });
    QVERIFY(plenty.start());
    QVERIFY(cs::test::jsonPort(plenty) != 0);
    const auto more = cs::test::onlineWorkerPids(plenty, 1);
    QCOMPARE(more.size(), std::size_t { 1 });
    QCOMPARE(openFilesOf(more.front()), std::make_pair(std::string("8192"), std::string("8192")));
    QVERIFY2(plenty.stderrText().find("may open at most") == std::string::npos, plenty.stderrText().c_str());
    plenty.signal(SIGTERM);
    QVERIFY(plenty.waitExit(15s));
}

QTEST_APPLESS_MAIN(TestHeadless)
#include "tst_headless.moc"
