// The launcher's limits are the settings table's: the form cannot hold a port, a worker count
// or a metrics port the command line would refuse, nor refuse one it takes.
#include "scheduling/policy.h"
#include "settings/settingtable.h"
#include "testsettings.h"
#include "widgets/launcherpanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QIntValidator>
#include <QLabel>
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
    void cpusAndPinRoundTrip();
    void badCpusAreRefusedUnderTheField_data();
    void badCpusAreRefusedUnderTheField();
    void policyTooltipSaysWhatANewConnectionCosts();
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

// The CPU fields: to the config and back, from a definition and from --pin/--cpus, and kept
// for the next run.
void TestLauncherPanel::cpusAndPinRoundTrip()
{
    QSettings().clear();
    cs::ui::LauncherPanel panel;
    auto* cpus = panel.findChild<QLineEdit*>(QStringLiteral("cpusEdit"));
    auto* pin = panel.findChild<QCheckBox*>(QStringLiteral("pinCheck"));
    QVERIFY(cpus && pin);
    QVERIFY(cpus->text().isEmpty() && !pin->isChecked()); // all CPUs, not pinned
    QVERIFY(panel.config().cpus.empty() && !panel.config().pin);

    cpus->setText(QStringLiteral(" 1,0 "));
    pin->setChecked(true);
    QCOMPARE(panel.config().cpus, (std::vector<int> { 1, 0 }));
    QVERIFY(panel.config().pin);

    // A loaded definition fills them in the list syntax.
    cs::ClusterConfig definition;
    definition.cpus = { 0, 2, 3 };
    definition.pin = false;
    panel.setConfig(definition);
    QCOMPARE(cpus->text(), QStringLiteral("0,2-3"));
    QVERIFY(!pin->isChecked());
    QCOMPARE(panel.config().cpus, definition.cpus);

    // The command line's --pin --cpus win over what was saved; without them, the saved values come back.
    pin->setChecked(true);
    panel.saveSettings();
    cs::ui::LauncherPanel later;
    QCOMPARE(later.findChild<QLineEdit*>(QStringLiteral("cpusEdit"))->text(), QStringLiteral("0,2-3"));
    QVERIFY(later.findChild<QCheckBox*>(QStringLiteral("pinCheck"))->isChecked());
    cs::CliOptions options;
    options.config.cpus = { 1 };
    options.cpusGiven = true;
    later.applyOptions(options);
    QCOMPARE(later.findChild<QLineEdit*>(QStringLiteral("cpusEdit"))->text(), QStringLiteral("1"));
    QVERIFY(!later.config().pin);

    // Locked while a cluster runs, as the other fields.
    later.setRunning(true);
    QVERIFY(!later.findChild<QLineEdit*>(QStringLiteral("cpusEdit"))->isEnabled());
    QVERIFY(!later.findChild<QCheckBox*>(QStringLiteral("pinCheck"))->isEnabled());
}

void TestLauncherPanel::badCpusAreRefusedUnderTheField_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not a list") << QStringLiteral("0,,1")
                                << QStringLiteral("\"0,,1\" is not a list of CPUs; use numbers and ranges such as 0,2-3, "
                                                  "or leave it empty for all of them.");
    QTest::newRow("no such cpu") << QStringLiteral("1000") << QStringLiteral("CPU 1000 does not exist on this machine");
}

void TestLauncherPanel::badCpusAreRefusedUnderTheField()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QSettings().clear();
    cs::ui::LauncherPanel panel;
    QSignalSpy started(&panel, &cs::ui::LauncherPanel::startRequested);
    panel.findChild<QLineEdit*>(QStringLiteral("cpusEdit"))->setText(text);
    panel.requestStart();
    QCOMPARE(started.count(), 0);
    QCOMPARE(panel.errorField(), cs::ConfigField::Cpus);
    QVERIFY2(panel.errorText().startsWith(expected), qPrintable(panel.errorText()));
    auto* label = panel.findChild<QLabel*>(QStringLiteral("cpusError"));
    QVERIFY(label && !label->isHidden());
    // Editing the field takes the sentence away.
    QTest::keyClick(panel.findChild<QLineEdit*>(QStringLiteral("cpusEdit")), Qt::Key_Backspace);
    QVERIFY(panel.errorText().isEmpty());
}

// Choosing a policy tells what it costs, not only how it spreads: a learner comparing
// round-robin with reuseport should not think the hand-off comes free.
void TestLauncherPanel::policyTooltipSaysWhatANewConnectionCosts()
{
    cs::ui::LauncherPanel panel;
    auto* combo = panel.findChild<QComboBox*>(QStringLiteral("policyCombo"));
    QVERIFY(combo);
    for (cs::Policy policy : cs::kAllPolicies) {
        const int index = combo->findData(int(policy));
        QVERIFY(index >= 0);
        combo->setCurrentIndex(index);
        const QString tip = combo->toolTip();
        QVERIFY2(tip.contains(QString::fromUtf8(cs::policyExplanation(policy))), qPrintable(tip));
        QVERIFY2(tip.contains(QString::fromUtf8(cs::policyCost(policy))), qPrintable(tip));
    }
    // The hand-off's cost is named where it is paid.
    combo->setCurrentIndex(combo->findData(int(cs::Policy::RoundRobin)));
    QVERIFY(combo->toolTip().contains(QStringLiteral("wakes the master")));
}

QTEST_MAIN(TestLauncherPanel)
#include "tst_launcherpanel.moc"
