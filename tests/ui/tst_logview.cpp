#include "widgets/logview.h"

#include "models/logmodel.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QItemSelectionModel>
#include <QPlainTextEdit>
#include <QAbstractTextDocumentLayout>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>

using namespace cs;
using namespace cs::ui;

namespace {

QString longMessage()
{
    return QStringLiteral("worker 2 (pid 4242) wrote on stderr: ")
        + QStringLiteral("Error: connect ECONNREFUSED 127.0.0.1:5432 at TCPConnectWrap.afterConnect [as oncomplete] ").repeated(4)
        + QStringLiteral("(the end)");
}

} // namespace

class TestLogView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // A line longer than the Message column is readable without hovering: selected, it is
    // shown whole, wrapped, in the pane under the table, and Copy takes it.
    void selectedLineIsShownWhole()
    {
        LogModel model;
        LogView view(&model);
        view.resize(520, 320);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        model.addNote(1.5, QStringLiteral("short"));
        model.addNote(2.0, longMessage());
        QTableView* table = view.table();
        QCOMPARE(table->model()->rowCount(), 2);
        // The row cannot show it: the message is far wider than the view.
        QVERIFY(table->fontMetrics().horizontalAdvance(longMessage()) > view.width() * 3);
        QVERIFY(view.detailText().isEmpty());

        table->selectRow(1);
        const QString detail = view.detailText();
        QVERIFY2(detail.contains(longMessage()), qPrintable(detail));
        QVERIFY(detail.contains(QStringLiteral("00:02.0")));
        auto* pane = view.findChild<QPlainTextEdit*>(QStringLiteral("logDetail"));
        QVERIFY(pane && pane->isVisible());
        QCOMPARE(pane->lineWrapMode(), QPlainTextEdit::WidgetWidth);
        // Wrapped to the pane's width: nothing runs off to the side, it takes lines instead.
        QTRY_VERIFY(pane->width() <= view.width() && pane->document()->lineCount() >= 1);
        QVERIFY(!pane->horizontalScrollBar()->isVisible());
        // (A plain text layout counts its size in lines.)
        QTRY_VERIFY(pane->document()->documentLayout()->documentSize().height() >= 2);

        auto* copy = view.findChild<QAction*>(QStringLiteral("logCopyAction"));
        QVERIFY(copy);
        copy->trigger();
        QVERIFY(QGuiApplication::clipboard()->text().contains(longMessage()));

        // Another line, then none: the pane follows the selection.
        table->selectRow(0);
        QVERIFY(view.detailText().contains(QStringLiteral("short")));
        table->clearSelection();
        QVERIFY(view.detailText().isEmpty());
        QVERIFY(!pane->isVisible());
    }

    // Filtering the shown line away takes it out of the pane.
    void filteredAwayLineLeavesThePane()
    {
        LogModel model;
        LogView view(&model);
        view.show();
        model.addNote(1, QStringLiteral("alpha"));
        model.addNote(2, QStringLiteral("beta"));
        view.table()->selectRow(1);
        QVERIFY(view.detailText().contains(QStringLiteral("beta")));
        view.proxy()->setFilterFixedString(QStringLiteral("alpha"));
        QVERIFY(!view.detailText().contains(QStringLiteral("beta")));
    }
};

QTEST_MAIN(TestLogView)
#include "tst_logview.moc"
