// Safe defaults: loopback unless told otherwise, a warning for anything else, no /crash
// without --chaos.
#include "reliabilitysupport.h"

#include <csignal>

#include <sys/wait.h>

#include <QtTest>

using namespace std::chrono_literals;
using namespace cs::test;

class TestSafeDefaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultBindIsLoopbackWithoutWarning();
};

void TestSafeDefaults::defaultBindIsLoopbackWithoutWarning()
{
    ChildProcess master(clusterscopeProgram(), { "--headless", "--port", "0", "--workers", "1", "--json", "--interval", "100" });
    QVERIFY(master.start());
    QVERIFY(jsonPort(master) != 0);
    QVERIFY(lastJsonLine(master).find("\"bind\":\"127.0.0.1\"") != std::string::npos);
    QVERIFY(master.stderrText().find("warning") == std::string::npos);
}

QTEST_APPLESS_MAIN(TestSafeDefaults)
#include "tst_safedefaults.moc"
