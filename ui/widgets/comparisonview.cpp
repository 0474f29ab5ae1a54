#include "widgets/comparisonview.h"

#include "charts/comparisonchart.h"
#include "models/comparisonmodel.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace cs::ui {

ComparisonView::ComparisonView(ComparisonModel* model, bool compact, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_hint(new QLabel(this))
    , m_table(new QTableView)
{
    m_hint->setWordWrap(true);
    m_hint->setObjectName(QStringLiteral("comparisonHint"));
    auto* grid = new QWidget;
    auto* gridLayout = new QGridLayout(grid);
    gridLayout->setContentsMargins(0, 0, 0, 0);
    gridLayout->setSpacing(4);
    using K = ComparisonChart::Kind;
    int i = 0;
    const QList<K> kinds = compact ? QList<K> { K::Shares, K::Throughput }
                                   : QList<K> { K::Shares, K::Throughput, K::Latency, K::CoreLoad };
    const int columns = 2;
    for (K kind : kinds) {
        auto* chart = new ComparisonChart(m_model, kind);
        m_charts.append(chart);
        gridLayout->addWidget(chart, i / columns, i % columns);
        ++i;
    }
    m_table->setObjectName(QStringLiteral("comparisonTable"));
    m_table->setModel(m_model);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setAlternatingRowColors(true);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(grid);
    split->addWidget(m_table);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);
    m_table->setVisible(!compact);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_hint);
    layout->addWidget(split, 1);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ComparisonView::updateHint);
    updateHint();
}

void ComparisonView::updateHint()
{
    const int n = m_model->runCount();
    m_hint->setText(n == 0   ? tr("Select runs in the list (Ctrl+click for more than one) to compare them here.")
                    : n == 1 ? tr("One run selected: Ctrl+click another to compare them side by side.")
                             : tr("%1 runs side by side, on the same axes.").arg(n));
}

} // namespace cs::ui
