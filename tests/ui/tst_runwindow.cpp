#include "runwindow.h"

#include <QApplication>
#include <QPixmap>
#include <QTest>

using namespace cs::ui;

/// The window's identity: the compiled-in icon (Clusterscope::Resources) loads in every
/// size, so the window has an icon even when it is not installed.
class TestRunWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void iconLoadsFromTheResources_data()
    {
        QTest::addColumn<int>("size");
        for (int size : { 16, 22, 24, 32, 48, 64, 128, 256, 512 })
            QTest::addRow("%d", size) << size;
    }

    void iconLoadsFromTheResources()
    {
        QFETCH(int, size);
        const QIcon icon = applicationIcon(); // registers the compiled-in icons
        const QPixmap png(QStringLiteral(":/icons/clusterscope-%1.png").arg(size));
        QVERIFY(!png.isNull());
        QCOMPARE(png.size(), QSize(size, size));
        QVERIFY(!icon.isNull());
        QVERIFY(!icon.pixmap(size, size).isNull());
    }

    void desktopFileName()
    {
        QCOMPARE(QString::fromLatin1(kDesktopFileName), QStringLiteral("io.github.clusterscope.Clusterscope"));
    }
};

QTEST_MAIN(TestRunWindow)
#include "tst_runwindow.moc"
