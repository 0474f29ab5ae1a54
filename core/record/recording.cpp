#include "record/recording.h"

#include "cli/configfile.h"
#include "cli/report.h"
#include "control/client.h"
#include "control/protocol.h"
#include "json/jsonobjectwriter.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <boost/json.hpp>

namespace cs {
namespace json = boost::json;
namespace {

/// What ends a file that was not a recording, or a damaged one: the way back to a good one.
constexpr const char* kMakeOne = "open a file made by clusterscope --record, or by the window's File → Record to file";

/// A first line cut off before its end that began as a header.
bool cutHeader(std::string_view line)
{
    const std::string start = "{\"format\":\"" + std::string(kRecordingFormat) + "\"";
    const std::size_t n = std::min(line.size(), start.size());
    return n >= 2 && (line.substr(0, n) == std::string_view(start).substr(0, n) || line.find(kRecordingFormat) != std::string_view::npos);
}

RecordingError failed(const std::string& message)
{
    return RecordingError { message };
}

/// The cluster definition as the --config JSON writer has it, on one line.
json::value clusterJson(const ClusterConfig& config)
{
    json::error_code ec;
    json::value value = json::parse(formatConfig(config, "cluster.json"), ec);
    return ec ? json::value(json::object()) : value;
}

std::string where(const std::string& path, std::size_t line)
{
    return path + ":" + std::to_string(line) + ": ";
}

/// The header, or why line 1 is not one.
std::variant<RecordingHeader, RecordingError> readHeader(const std::string& path, std::string_view line)
{
    json::error_code ec;
    const json::value value = json::parse(line, ec);
    const json::object* o = !ec && value.is_object() ? &value.get_object() : nullptr;
    const json::value* format = o ? o->if_contains("format") : nullptr;
    if (!format || !format->is_string() || format->get_string() != kRecordingFormat)
        return failed(path + " is not a Clusterscope recording (its first line is not a recording header); "
                      + kMakeOne + ".");
    const json::value* version = o->if_contains("version");
    if (!version || !version->is_int64() || version->get_int64() < 1)
        return failed(where(path, 1) + "the recording header has no valid \"version\"; the file is damaged, " + kMakeOne
                      + ".");
    RecordingHeader header;
    header.version = static_cast<int>(std::min<std::int64_t>(version->get_int64(), 1'000'000));
    if (header.version > kRecordingVersion)
        return failed(path + " is a recording made by a newer Clusterscope (version " + std::to_string(header.version)
                      + "; this one reads version " + std::to_string(kRecordingVersion) + "); update Clusterscope to open it.");
    const auto text = [&](std::string_view key) {
        const json::value* v = o->if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    header.started = text("started");
    header.host = text("host");
    header.clusterscope = text("clusterscope");
    if (const json::value* cluster = o->if_contains("cluster"); cluster && cluster->is_object()) {
        auto parsed = parseConfig(json::serialize(*cluster), "cluster.json");
        if (auto* error = std::get_if<ConfigError>(&parsed)) {
            // "cluster.json:1: what; what to do" -> about this file's header.
            std::string why = error->message;
            if (const auto colon = why.find(": "); colon != std::string::npos)
                why.erase(0, colon + 2);
            return failed(where(path, 1) + "the recording's cluster definition is not valid: " + why);
        }
        header.cluster = std::get<ClusterConfig>(std::move(parsed));
    }
    if (const json::value* load = o->if_contains("load"); load && load->is_object())
        header.load = loadOptionsFromJson(json::serialize(*load));
    return header;
}

} // namespace

std::string isoTimeNow()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc {};
    ::gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

std::string recordingHeaderLine(const RecordingHeader& header)
{
    std::string out;
    JsonObjectWriter o(out);
    o.string("format", kRecordingFormat);
    o.integer("version", header.version);
    o.string("started", header.started);
    o.string("host", header.host);
    o.string("clusterscope", header.clusterscope);
    o.name("cluster");
    out += json::serialize(clusterJson(header.cluster));
    if (header.load) {
        o.name("load");
        out += loadOptionsJson(*header.load);
    }
    o.close();
    out += '\n';
    return out;
}

std::string recordingSnapshotLine(const Snapshot& snapshot)
{
    return control::snapshotLine(snapshotJson(snapshot));
}

std::string recordingEventLine(const Event& event)
{
    return control::eventLine(event);
}

std::string recordingLoadSummaryLine(const LoadSummary& summary)
{
    return "{\"type\":\"load-summary\",\"summary\":" + summaryJson(summary) + "}\n";
}

std::variant<Recording, RecordingError> readRecording(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return failed("The recording " + path + " cannot be opened (" + std::strerror(errno) + "); check the name and its permissions.");
    std::ostringstream whole;
    whole << file.rdbuf();
    if (file.bad())
        return failed("Reading the recording " + path + " failed; check the disk and try again.");
    const std::string text = whole.str();
    if (text.empty())
        return failed(path + " is empty: nothing was recorded in it; " + kMakeOne + ".");

    Recording recording;
    std::size_t lineNumber = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const bool partial = end == std::string::npos; // the writer was stopped mid-line
        const std::string_view line(text.data() + start, (partial ? text.size() : end) - start);
        start = partial ? text.size() : end + 1;
        ++lineNumber;
        if (lineNumber == 1) {
            auto header = readHeader(path, line);
            if (auto* error = std::get_if<RecordingError>(&header)) {
                if (partial && cutHeader(line))
                    return failed(path + " ends inside its header: it was cut off before anything was recorded; " + kMakeOne + ".");
                return *error;
            }
            recording.header = std::get<RecordingHeader>(std::move(header));
            continue;
        }
        if (line.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        json::error_code ec;
        json::value value = json::parse(line, ec);
        const json::object* o = !ec && value.is_object() ? &value.get_object() : nullptr;
        const json::value* type = o ? o->if_contains("type") : nullptr;
        const auto damaged = [&](const std::string& what) {
            return failed(where(path, lineNumber) + what + "; the recording is damaged there (only its last line may be cut off).");
        };
        if (!o || !type || !type->is_string()) {
            if (partial) {
                recording.note = path + " ends in a partial line (its recorder was stopped mid-write); it opens with the "
                    + std::to_string(recording.snapshots.size()) + " snapshots and " + std::to_string(recording.events.size())
                    + " events before it.";
                break;
            }
            return damaged("not a recording line (a JSON object with a \"type\")");
        }
        const std::string_view kind = type->get_string();
        if (kind == "snapshot") {
            const json::value* s = o->if_contains("snapshot");
            auto snapshot = s && s->is_object() ? control::snapshotFromJson(json::serialize(*s)) : std::nullopt;
            if (!snapshot)
                return damaged("a snapshot line without its \"snapshot\" object");
            recording.snapshots.push_back(std::move(*snapshot));
        } else if (kind == "event") {
            const json::value* e = o->if_contains("event");
            if (!e || !e->is_object())
                return damaged("an event line without its \"event\" object");
            // An event of a kind this version does not know is skipped, like an unknown line.
            if (auto event = control::eventFromJson(json::serialize(*e)))
                recording.events.push_back(std::move(*event));
        } else if (kind == "load-summary") {
            const json::value* s = o->if_contains("summary");
            auto summary = s && s->is_object() ? summaryFromJson(json::serialize(*s)) : std::nullopt;
            if (!summary)
                return damaged("a load-summary line without its \"summary\" object");
            recording.loadSummary = std::move(*summary);
        }
        // Any other type is a later addition of the same version: skipped, as promised.
    }
    return recording;
}

} // namespace cs
