#pragma once

namespace cs {

/// The built-in HTTP worker (`clusterscope-worker`): parses the command line and the
/// CLUSTERSCOPE_* environment, serves HTTP until drained or signalled, and returns the
/// process exit status (0 after a clean drain, 2 for a bad command line).
int runWorker(int argc, char** argv);

} // namespace cs
