#include "models/runfile.h"

#include "models/runstore.h"

namespace cs::ui {

// Until core/record lands, runs are kept in memory only.
QString runFileSuffix() { return QStringLiteral(".jsonl"); }

QString writeRunFile(const QString&, const LabRun&) { return {}; }

QString readRunFile(const QString& path, LabRun&) { return QObject::tr("%1: runs cannot be read yet.").arg(path); }

} // namespace cs::ui
