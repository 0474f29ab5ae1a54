#pragma once

#include "load/loadoptions.h"
#include "load/loadsummary.h"
#include "master/clusterconfig.h"
#include "master/snapshot.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cs {

/// A recording is a file of JSON lines (see README.md, "Recordings"):
///
///     {"format":"clusterscope-recording","version":1,"started":"2026-12-01T15:20:00Z","host":"web1",
///      "clusterscope":"0.9.0","cluster":{...the --config JSON...},"load":{...}}     the header, first
///     {"v":1,"type":"snapshot","snapshot":{...}}   the control socket's snapshot line, as it is
///     {"v":1,"type":"event","event":{...}}         the control socket's event line, as it is
///     {"type":"load-summary","summary":{...}}      optional, last: clusterscope-load --json's object
///
/// Snapshots and events come in the order they happened. A reader ignores line types and
/// fields it does not know; the version goes up only when an older reader would misread a file.
constexpr std::string_view kRecordingFormat = "clusterscope-recording";
constexpr int kRecordingVersion = 1;

/// The first line of a recording: what was recorded, where and when.
struct RecordingHeader {
    int version = kRecordingVersion;
    std::string started; ///< ISO-8601 UTC, "2026-12-01T15:20:00Z"; Recorder::open fills it when empty
    std::string host; ///< the machine's name; Recorder::open fills it when empty
    std::string clusterscope; ///< the version of the Clusterscope that wrote it
    ClusterConfig cluster; ///< the cluster's definition, as a --config file has it
    std::optional<LoadOptions> load; ///< the load that ran against it, when one was part of the run
};

/// A whole recording in memory.
struct Recording {
    RecordingHeader header;
    std::vector<Snapshot> snapshots; ///< in the order written (increasing sequence)
    std::vector<Event> events; ///< in the order written
    std::optional<LoadSummary> loadSummary;
    /// Not empty when the file ended in a partial line (its writer was killed mid-line): one
    /// sentence saying so; what was complete before it is here.
    std::string note;
};

struct RecordingError {
    std::string message; ///< one sentence: what failed and what to do
};

/// Reads a recording. A missing or unreadable file, one that is not a recording, one made by a
/// newer Clusterscope, or one with a damaged line before its end ("FILE:LINE: ...") is an error.
std::variant<Recording, RecordingError> readRecording(const std::string& path);

/// The lines of the format, for the Recorder and for anyone writing a recording another way.
std::string recordingHeaderLine(const RecordingHeader& header);
std::string recordingSnapshotLine(const Snapshot& snapshot);
std::string recordingEventLine(const Event& event);
std::string recordingLoadSummaryLine(const LoadSummary& summary);

/// Now as ISO-8601 UTC to the second ("2026-12-01T15:20:00Z").
std::string isoTimeNow();

} // namespace cs
