#include "models/runfile.h"

#include "models/runstore.h"
#include "record/recorder.h"
#include "record/recording.h"

namespace cs::ui {

// A run is a recording like any other (`clusterscope --replay` opens it too).
QString runFileSuffix() { return QStringLiteral(".jsonl"); }

QString writeRunFile(const QString& path, const LabRun& run)
{
    RecordingHeader header;
    header.started = run.when.toUTC().toString(Qt::ISODate).toStdString();
    header.cluster = run.cluster;
    header.load = run.load;
    Recorder recorder;
    if (const std::string problem = recorder.open(path.toStdString(), header); !problem.empty())
        return QString::fromStdString(problem);
    // In the order they happened, as a live recording has them: events between the snapshots.
    std::size_t e = 0;
    for (const Snapshot& snapshot : run.snapshots) {
        for (; e < run.events.size() && run.events[e].time <= snapshot.clusterUptimeSeconds; ++e)
            recorder.append(run.events[e]);
        recorder.append(snapshot);
    }
    for (; e < run.events.size(); ++e)
        recorder.append(run.events[e]);
    if (run.loadSummary)
        recorder.appendLoadSummary(*run.loadSummary);
    recorder.close();
    return QString::fromStdString(recorder.note());
}

QString readRunFile(const QString& path, LabRun& run)
{
    auto read = readRecording(path.toStdString());
    if (const auto* error = std::get_if<RecordingError>(&read))
        return QString::fromStdString(error->message);
    Recording& recording = std::get<Recording>(read);
    run.when = QDateTime::fromString(QString::fromStdString(recording.header.started), Qt::ISODate).toLocalTime();
    run.cluster = recording.header.cluster;
    run.load = recording.header.load;
    run.snapshots = std::move(recording.snapshots);
    run.events = std::move(recording.events);
    run.loadSummary = recording.loadSummary;
    return {};
}

} // namespace cs::ui
