#include "widgets/imageexport.h"

#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPixmap>
#include <QWidget>

namespace cs::ui {

QString saveWidgetPng(QWidget* widget, const QString& path)
{
    const QPixmap image = widget->grab();
    if (image.isNull())
        return QObject::tr("There was nothing to save: the view has no size yet.");
    if (!image.save(path, "PNG"))
        return QObject::tr("The image %1 could not be written; choose another folder or check its permissions.").arg(path);
    return {};
}

void addSaveAsPng(QWidget* chart, const QString& suggestedName)
{
    chart->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(chart, &QWidget::customContextMenuRequested, chart, [chart, suggestedName](const QPoint& at) {
        QMenu menu(chart);
        QAction* save = menu.addAction(QObject::tr("Save as PNG…"));
        if (menu.exec(chart->mapToGlobal(at)) != save)
            return;
        QString path = QFileDialog::getSaveFileName(chart, QObject::tr("Save chart as PNG"), suggestedName,
                                                    QObject::tr("PNG images (*.png)"));
        if (path.isEmpty())
            return;
        if (!path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive))
            path += QStringLiteral(".png");
        if (const QString error = saveWidgetPng(chart, path); !error.isEmpty())
            QMessageBox::warning(chart, QObject::tr("Save as PNG"), error);
    });
}

} // namespace cs::ui
