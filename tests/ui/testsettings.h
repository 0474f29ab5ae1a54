#pragma once

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace cs::test {

/// Forgets every saved setting, as on a first start, except one: closing a window that runs
/// its cluster stops it unasked, since a question box would wait offscreen for ever (a test
/// of that question sets "cluster/whenWindowCloses" back to "ask" itself).
inline void resetSettings()
{
    QSettings settings;
    settings.clear();
    settings.setValue(QStringLiteral("cluster/whenWindowCloses"), QStringLiteral("stop"));
}

/// Points this test process's QSettings at a folder of its own, removed at exit. Qt's test
/// mode alone puts them in ~/.qttest, shared by every run of the same test executable, so a
/// second suite running at the same time (a sanitized build, another checkout) could change
/// the launcher's saved fields, chaos among them, between a test's clear() and its read.
/// The folder is the test's home too: what the window keeps under its data location (the
/// lab's recorded runs) goes there, not into ~/.qttest, where every run of the suite left one.
/// Call before the first QSettings is made.
inline void isolateSettings()
{
    static QTemporaryDir folder(QDir::tempPath() + QStringLiteral("/cs-ui-settings-XXXXXX"));
    qputenv("HOME", QFile::encodeName(folder.path()));
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, folder.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, folder.path());
    resetSettings();
}

} // namespace cs::test
