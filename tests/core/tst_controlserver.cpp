// The control server's own life: it always stops, whatever it was doing, and quickly.
#include "control/controlserver.h"

#include <chrono>
#include <future>
#include <thread>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>

using namespace cs;
using namespace cs::control;

class TestControlServer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Snapshots every millisecond to a subscriber, then stop(): a tick that has fired just
    // before the stop must not arm the timer again (it did, and the master hung after
    // "cluster stopped" about once in a few hundred stops). 300 rounds, each stop within 2 s.
    void stopsWhileTicking()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.path().toStdString() + "/t.sock";
        for (int round = 0; round < 300; ++round) {
            auto server = std::make_unique<ControlServer>();
            const std::string error = server->start("t", path,
                                                    { .snapshotJson = [] { return std::string("{}"); },
                                                      .command = [](const Request&) { return std::string(); },
                                                      .note = {} },
                                                    std::chrono::milliseconds(1));
            QVERIFY2(error.empty(), error.c_str());
            const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un address {};
            address.sun_family = AF_UNIX;
            std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
            QCOMPARE(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
            const std::string subscribe = encodeRequest(request::Subscribe {});
            QCOMPARE(::send(client, subscribe.data(), subscribe.size(), MSG_NOSIGNAL), ssize_t(subscribe.size()));
            char buffer[4096];
            QVERIFY(::recv(client, buffer, sizeof(buffer), 0) > 0); // it is talking
            // Not a wait for anything: the stop lands at a different point of the tick each round.
            std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 10)));
            auto stopped = std::async(std::launch::async, [&] { server->stop(); });
            if (stopped.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
                // The thread cannot be joined: say so and leave at once.
                std::fprintf(stderr, "FAIL: round %d: stop() still waiting after 2 s\n", round);
                std::_Exit(1);
            }
            ::close(client);
        }
    }
};

QTEST_APPLESS_MAIN(TestControlServer)
#include "tst_controlserver.moc"
