#pragma once

#include <string>
#include <vector>

namespace cs {

/// `clusterscope export-csv RECORDING [FOLDER]`: writes the recording's CSV tables (see
/// csvTables) into FOLDER (the current one by default) as NAME-workers.csv and so on, NAME
/// being the recording's file name without its ending, and says what it wrote. `args` are
/// the words after "export-csv". Returns the exit status: 0 done, 1 the recording or a
/// table failed (one sentence on stderr), 2 a usage mistake.
int runExportCsv(const std::vector<std::string>& args);

} // namespace cs
