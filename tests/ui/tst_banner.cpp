#include "widgets/banner.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace cs::ui;

class TestBanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsRestylesAndTriggers()
    {
        QWidget parent;
        auto* banner = new Banner(&parent);
        parent.show();
        QVERIFY(!banner->isVisible());
        banner->showMessage(Banner::Kind::Error, QStringLiteral("The cluster could not start: port 8000 is in use."));
        QVERIFY(banner->isVisible());
        QVERIFY(!banner->findChild<QPushButton*>(QStringLiteral("bannerAction"))->isVisible());
        // A second message while shown, and a palette change while shown, must not loop
        // (a style sheet change is itself a palette change).
        banner->showMessage(Banner::Kind::Warning, QStringLiteral("Worker slot #2 failed."), QStringLiteral("Reset slot #2"), 2);
        QPalette dark = parent.palette();
        dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x24));
        parent.setPalette(dark);
        banner->showMessage(Banner::Kind::Error, QStringLiteral("Worker slot #2 failed."), QStringLiteral("Reset slot #2"), 2);
        QCOMPARE(banner->text(), QStringLiteral("Worker slot #2 failed."));
        QSignalSpy triggered(banner, &Banner::actionTriggered);
        auto* action = banner->findChild<QPushButton*>(QStringLiteral("bannerAction"));
        QVERIFY(action->isVisible());
        QTest::mouseClick(action, Qt::LeftButton);
        QCOMPARE(triggered.count(), 1);
        QCOMPARE(triggered.at(0).at(0).toInt(), 2);
        QVERIFY(!banner->isVisible());
    }
};

QTEST_MAIN(TestBanner)
#include "tst_banner.moc"
