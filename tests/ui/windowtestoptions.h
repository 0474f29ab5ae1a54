#pragma once

#include "cli/options.h"
#include "testsupport.h"

namespace cs::test {

/// The window's options in the UI tests: 2 built-in workers on a free port, sampled every
/// 200 ms, a 2 s grace; port and workers count as given on the command line.
inline cs::CliOptions windowTestOptions()
{
    cs::CliOptions options;
    options.mode = cs::CliOptions::Mode::Window;
    options.config.port = 0;
    options.config.workers = 2;
    options.config.workerProgram = binDir() + "/clusterscope-worker";
    options.config.sampleIntervalMs = 200;
    options.config.gracefulTimeoutMs = 2000;
    options.portGiven = options.workersGiven = true;
    return options;
}

} // namespace cs::test
