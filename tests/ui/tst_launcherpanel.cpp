// The launcher's limits are the settings table's: the form cannot hold a port, a worker count
// or a metrics port the command line would refuse, nor refuse one it takes.
#include "settings/settingtable.h"
#include "testsettings.h"
#include "widgets/launcherpanel.h"

#include <QIntValidator>
#include <QLineEdit>
#include <QSpinBox>
#include <QtTest>

class TestLauncherPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { cs::test::isolateSettings(); }
    void spinBoxesSpanTheTablesRanges_data();
    void spinBoxesSpanTheTablesRanges();
    void metricsPortTakesTheTablesRange();
};

void TestLauncherPanel::spinBoxesSpanTheTablesRanges_data()
{
    QTest::addColumn<QString>("spin");
    QTest::addColumn<QByteArray>("flag");
    QTest::newRow("port") << QStringLiteral("portSpin") << QByteArray("--port");
    QTest::newRow("workers") << QStringLiteral("workersSpin") << QByteArray("--workers");
}

void TestLauncherPanel::spinBoxesSpanTheTablesRanges()
{
    QFETCH(QString, spin);
    QFETCH(QByteArray, flag);
    cs::ui::LauncherPanel panel;
    auto* box = panel.findChild<QSpinBox*>(spin);
    QVERIFY(box);
    const cs::Setting* row = cs::findSetting(cs::Program::Clusterscope, flag.toStdString());
    QVERIFY(row);
    QCOMPARE(box->minimum(), int(row->minimum));
    QCOMPARE(box->maximum(), int(row->maximum));
    // What the form holds at its ends is what the command line takes.
    for (const int value : { box->minimum(), box->maximum() }) {
        box->setValue(value);
        QCOMPARE(box->value(), value);
    }
    box->setValue(box->maximum() + 1);
    QCOMPARE(box->value(), int(row->maximum));
}

void TestLauncherPanel::metricsPortTakesTheTablesRange()
{
    cs::ui::LauncherPanel panel;
    auto* edit = panel.findChild<QLineEdit*>(QStringLiteral("metricsPortEdit"));
    QVERIFY(edit);
    const auto* validator = qobject_cast<const QIntValidator*>(edit->validator());
    QVERIFY(validator);
    const cs::Setting& row = cs::setting(cs::Program::Clusterscope, "--metrics-port");
    QCOMPARE(validator->bottom(), int(row.minimum));
    QCOMPARE(validator->top(), int(row.maximum));
}

QTEST_MAIN(TestLauncherPanel)
#include "tst_launcherpanel.moc"
