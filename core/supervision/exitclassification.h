#pragma once

#include "supervision/workerstate.h"

#include <string>

namespace cs {

/// Why a process ended, from its wait status and what the master knew of it. A kill the master
/// made keeps the reason it was made for; a process the master had asked to finish (drained or
/// retired) ends Stopped; any other death by signal is a Crash, a non-zero code ExitCode, 0 Clean.
ExitReason classifyExit(int waitStatus, ExitReason killReason, bool askedToFinish) noexcept;

/// True for the exits the supervisor answers with the crash-loop rules (back-off, failed).
/// KilledByUser is respawned at once and not counted; Stopped is not respawned.
bool countsAsCrash(ExitReason reason) noexcept;

/// "exited with code 3", "killed by signal 9 (Killed)".
std::string describeWaitStatus(int waitStatus);

} // namespace cs
