#include "record/exportcommand.h"

#include "record/csvexport.h"
#include "record/recording.h"

#include <cstdio>

namespace cs {

int runExportCsv(const std::vector<std::string>& args)
{
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
        std::fputs("Usage: clusterscope export-csv RECORDING [FOLDER]\n"
                   "Writes a recording's CSV tables (workers, cores, cluster, events) into FOLDER (default: the\n"
                   "current one) as NAME-workers.csv, NAME-cores.csv, NAME-cluster.csv and NAME-events.csv.\n",
                   stdout);
        return 0;
    }
    if (args.empty() || args.size() > 2 || (!args[0].empty() && args[0][0] == '-')) {
        std::fputs("clusterscope export-csv: give a recording and, optionally, a folder: clusterscope export-csv "
                   "RECORDING [FOLDER].\n",
                   stderr);
        return 2;
    }
    const std::string& path = args[0];
    const std::string folder = args.size() > 1 ? args[1] : ".";
    auto read = readRecording(path);
    if (auto* error = std::get_if<RecordingError>(&read)) {
        std::fprintf(stderr, "clusterscope export-csv: %s\n", error->message.c_str());
        return 1;
    }
    const Recording& recording = std::get<Recording>(read);
    if (!recording.note.empty())
        std::fprintf(stderr, "clusterscope export-csv: %s\n", recording.note.c_str());
    std::string name = path.substr(path.rfind('/') + 1);
    if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0)
        name.erase(dot);
    const std::string prefix = name + "-";
    if (const std::string error = writeCsvTables(recording, folder, prefix); !error.empty()) {
        std::fprintf(stderr, "clusterscope export-csv: %s\n", error.c_str());
        return 1;
    }
    for (const CsvTable& table : csvTables({}))
        std::printf("%s/%s%s\n", folder.c_str(), prefix.c_str(), table.name.c_str());
    return 0;
}

} // namespace cs
