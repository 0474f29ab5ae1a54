// Bad HTTP input never kills a worker: every case of the corpus in tests/data/http is
// replayed against a live one-worker cluster; each gets its expected answer and a close,
// and the same worker process still serves a normal request afterwards.
#include "master/cluster.h"
#include "reliabilitysupport.h"

#include <fstream>
#include <sstream>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

namespace {

std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

// "3*200,400" -> {200, 200, 200, 400}
std::vector<int> expandExpected(const std::string& text)
{
    std::vector<int> statuses;
    std::stringstream parts(text);
    std::string part;
    while (std::getline(parts, part, ',')) {
        const auto star = part.find('*');
        const int count = star == std::string::npos ? 1 : std::stoi(part.substr(0, star));
        const int status = std::stoi(star == std::string::npos ? part : part.substr(star + 1));
        statuses.insert(statuses.end(), count, status);
    }
    return statuses;
}

bool readable(int fd, int timeoutMs)
{
    pollfd p { fd, POLLIN, 0 };
    return ::poll(&p, 1, timeoutMs) > 0;
}

// Sends the case the way its index line says; returns false only if the first write failed.
bool sendCase(int fd, const std::string& bytes, const std::string& how)
{
    if (how == "bytewise") {
        for (char byte : bytes) {
            if (!sendAll(fd, std::string_view(&byte, 1)))
                return true; // the worker may answer and close before the last byte
            if (readable(fd, 1)) // also paces the bytes into separate segments
                return true;
        }
        return true;
    }
    if (!sendAll(fd, bytes))
        return false;
    if (how == "flood-body" || how == "flood-chunked") {
        // Far more than the 1 MiB body limit: the worker must answer 413 before it has all.
        const std::string block(65536, 'a');
        const std::string chunk = "10000\r\n" + block + "\r\n";
        const std::string& unit = how == "flood-body" ? block : chunk;
        for (int i = 0; i < 256 && !readable(fd, 0); ++i)
            if (!sendAll(fd, unit))
                break;
    }
    return true;
}

} // namespace

class TestBadInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void corpusCaseGetsItsAnswerAndTheWorkerLives_data();
    void corpusCaseGetsItsAnswerAndTheWorkerLives();

private:
    int workerPid() const { return m_cluster.snapshot()->workers.empty() ? 0 : m_cluster.snapshot()->workers[0].pid; }
    cs::Cluster m_cluster;
    std::uint16_t m_port = 0;
    int m_pid = 0;
};

void TestBadInput::initTestCase()
{
    cs::ClusterConfig config;
    config.port = 0;
    config.workers = 1;
    config.workerProgram = binDir() + "/clusterscope-worker";
    config.sampleIntervalMs = 100;
    const auto started = m_cluster.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    QVERIFY(waitFor([&] { return workerPid() > 0 && m_cluster.snapshot()->workers[0].state == cs::WorkerState::Online; }, 10s));
    m_port = m_cluster.snapshot()->port;
    m_pid = workerPid();
}

void TestBadInput::cleanupTestCase()
{
    // Over the whole corpus, the worker never exited.
    for (const auto& event : m_cluster.takeEvents())
        QVERIFY2(event.kind != cs::EventKind::Exit, event.message.c_str());
    m_cluster.stop(cs::Cluster::StopMode::Fast);
    QVERIFY(m_cluster.waitStopped(10s));
}

void TestBadInput::corpusCaseGetsItsAnswerAndTheWorkerLives_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("how");
    std::ifstream index(dataFile("http/index.txt"));
    QVERIFY2(index, "tests/data/http/index.txt is missing");
    std::string line;
    int cases = 0;
    while (std::getline(index, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream fields(line);
        std::string file, expected, how;
        fields >> file >> expected >> how;
        const auto bytes = readBytes(dataFile("http/" + file));
        QVERIFY2(!bytes.empty(), file.c_str());
        QTest::newRow(file.c_str()) << QByteArray::fromStdString(bytes) << QString::fromStdString(expected)
                                    << QString::fromStdString(how);
        ++cases;
    }
    QVERIFY(cases >= 40);
}

void TestBadInput::corpusCaseGetsItsAnswerAndTheWorkerLives()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    QFETCH(QString, how);
    const std::uint64_t rssBefore = rssBytes(m_pid);

    const int fd = connectLoopback(m_port);
    QVERIFY(fd >= 0);
    const bool sent = sendCase(fd, bytes.toStdString(), how.toStdString());
    bool closed = false;
    const std::string reply = readUntilClose(fd, 5s, &closed);
    ::close(fd);
    QVERIFY(sent);

    const auto statuses = statusesIn(reply);
    const auto wanted = expandExpected(expected.toStdString());
    QVERIFY2(statuses == wanted,
             qPrintable(QStringLiteral("got %1 responses, first: %2").arg(statuses.size()).arg(QString::fromLatin1(reply.substr(0, 200)))));
    QVERIFY2(closed, "the worker kept the connection open after its last answer");
    // A refused body is discarded as it comes, never buffered.
    if (how.startsWith(QStringLiteral("flood")))
        QVERIFY2(rssBytes(m_pid) < rssBefore + (4u << 20), qPrintable(QString::number(rssBytes(m_pid) - rssBefore)));

    // Same process, still serving.
    QCOMPARE(workerPid(), m_pid);
    QVERIFY(processAlive(m_pid));
    const auto response = httpGet(m_port, "/");
    QCOMPARE(response.status, 200);
    QVERIFY(response.body.find("pid " + std::to_string(m_pid)) != std::string::npos);
}

QTEST_APPLESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
