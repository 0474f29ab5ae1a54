#pragma once

#include <QString>

class QWidget;

namespace cs::ui {

/// Saves what `widget` shows now as a PNG (QWidget::grab, at the screen's pixel ratio).
/// Empty when saved, else one sentence.
QString saveWidgetPng(QWidget* widget, const QString& path);

/// Gives a chart a context menu with "Save as PNG…", which asks where and saves it;
/// `suggestedName` is the file name offered ("core-load.png").
void addSaveAsPng(QWidget* chart, const QString& suggestedName);

} // namespace cs::ui
