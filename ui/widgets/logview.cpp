#include "widgets/logview.h"

#include "models/logmodel.h"

#include <algorithm>

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QResizeEvent>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace cs::ui {

LogView::LogView(LogModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
    , m_filter(new QLineEdit(this))
    , m_view(new QTableView(this))
    , m_detail(new QPlainTextEdit(this))
    , m_copy(new QAction(tr("&Copy"), this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filter->setObjectName(QStringLiteral("logFilter"));
    m_filter->setPlaceholderText(tr("Filter the log (e.g. #2, exit, crash)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Show only lines containing this text, in any column"));
    m_view->setObjectName(QStringLiteral("logTable"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    // Fixed row height: no per-row measuring as thousands of lines stream in. A long line is
    // read whole in the detail pane.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 4);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    const int digit = m_view->fontMetrics().horizontalAdvance(QLatin1Char('0'));
    m_view->setColumnWidth(LogModel::Time, digit * 9);
    m_view->setColumnWidth(LogModel::Slot, digit * 8);
    m_view->setColumnWidth(LogModel::Kind, digit * 9);
    m_view->setToolTip(tr("What the master and the workers reported, newest at the bottom; "
                          "select a line to read it whole below, Ctrl+C copies the selected lines"));

    m_detail->setObjectName(QStringLiteral("logDetail"));
    m_detail->setReadOnly(true);
    m_detail->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_detail->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_detail->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_detail->setFrameShape(QFrame::StyledPanel);
    m_detail->setToolTip(tr("The selected log line, whole"));
    m_detail->hide();

    m_copy->setObjectName(QStringLiteral("logCopyAction"));
    m_copy->setShortcut(QKeySequence::Copy);
    m_copy->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(m_copy);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_filter);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_detail);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    // Follow the tail only while the user has not scrolled up to read something.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_follow = value >= m_view->verticalScrollBar()->maximum() - 2;
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_follow)
            m_view->scrollToBottom();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LogView::showDetail);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &LogView::showDetail);
    // Lines dropped past the capacity, or filtered out, may take the shown one along.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &LogView::showDetail);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &LogView::showDetail);
    connect(m_copy, &QAction::triggered, this, [this] {
        if (const QString text = selectedText(); !text.isEmpty())
            QGuiApplication::clipboard()->setText(text);
    });
}

QString LogView::lineText(int proxyRow) const
{
    auto cell = [&](int column) { return m_proxy->index(proxyRow, column).data().toString(); };
    return QStringLiteral("%1  %2  %3  %4").arg(cell(LogModel::Time), cell(LogModel::Slot), cell(LogModel::Kind),
                                               cell(LogModel::Message));
}

QString LogView::selectedText() const
{
    QList<int> rows;
    for (const QModelIndex& index : m_view->selectionModel()->selectedRows())
        rows.append(index.row());
    std::sort(rows.begin(), rows.end());
    QStringList lines;
    for (int row : rows)
        lines.append(lineText(row));
    return lines.join(QLatin1Char('\n'));
}

int LogView::heightForLines(int lines) const
{
    return m_filter->sizeHint().height() + layout()->spacing() + m_view->horizontalHeader()->sizeHint().height()
        + lines * m_view->verticalHeader()->defaultSectionSize() + 2 * m_view->frameWidth();
}

QString LogView::detailText() const
{
    return m_detail->isVisibleTo(this) ? m_detail->toPlainText() : QString();
}

void LogView::showDetail()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    const bool shown = current.isValid() && m_view->selectionModel()->isRowSelected(current.row(), {});
    const QString text = shown ? lineText(current.row()) : QString();
    if (text != m_detail->toPlainText())
        m_detail->setPlainText(text);
    m_detail->setVisible(shown);
    fitDetail();
}

void LogView::fitDetail()
{
    // As many lines as the wrapped text takes, up to four, then it scrolls: a long stack
    // trace must not push the table away, a short line must not take four.
    const QFontMetrics metrics = m_detail->fontMetrics();
    const int margin = int(m_detail->document()->documentMargin());
    const int available = m_detail->viewport()->width() > 0 ? m_detail->viewport()->width() : width() - 4;
    const QRect bounds(0, 0, std::max(40, available - 2 * margin), 1 << 20);
    const int textHeight
        = metrics.boundingRect(bounds, Qt::TextWordWrap | Qt::TextWrapAnywhere, m_detail->toPlainText()).height();
    const int lines = std::clamp((textHeight + metrics.lineSpacing() - 1) / metrics.lineSpacing(), 1, 4);
    // (+ 4: the last line's descent)
    const int height = lines * metrics.lineSpacing() + 2 * margin + 2 * m_detail->frameWidth() + 4;
    if (m_detail->height() != height || m_detail->minimumHeight() != height)
        m_detail->setFixedHeight(height);
}

void LogView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (m_detail->isVisible())
        fitDetail();
}

} // namespace cs::ui
