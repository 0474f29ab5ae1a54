#pragma once

#include "lab/runsummary.h"
#include "load/loadoptions.h"
#include "scheduling/policy.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cs::lab {

/// What a step does to the cluster besides sending its load.
enum class StepAction {
    None,
    RollingRestart, ///< a rolling restart, `actionAtSeconds` into the load
    CrashLoop, ///< no load: slot 1 is crashed each time it comes online until it fails, then reset
};

/// One cluster and one load, run from a fresh start of the cluster.
struct LessonStep {
    std::string label; ///< e.g. "shared", "4 workers"
    Policy policy = Policy::RoundRobin;
    int workers = 2;
    bool chaos = false;
    bool pin = false; ///< each worker on its own CPU (--pin)
    LoadOptions load; ///< host and port are the cluster's; `workers` is set by whoever runs it
    StepAction action = StepAction::None;
    double actionAtSeconds = 0;
};

struct Lesson {
    std::string id;
    std::string title;
    std::string description; ///< what it sets up and what to expect, a few sentences
    std::string chart; ///< where to look: the comparison's or the window's chart that shows it
    std::vector<LessonStep> steps;
};

/// The lessons, their setups sized for a machine with `cores` cores.
std::vector<Lesson> lessons(int cores);
std::optional<Lesson> findLesson(std::string_view id, int cores);

/// What was measured, against what the lesson expects.
struct Verdict {
    bool asExpected = false;
    std::string text; ///< with this machine's numbers, and the chart to look at
};

/// The verdict of lesson `id` from the summaries of its steps, in the order of its steps.
/// Fewer summaries than steps (a cancelled run) give a verdict that says so.
Verdict judge(std::string_view id, std::span<const RunSummary> steps);

// Each lesson's verdict on its own, for the tests.
Verdict judgeKeepAliveSticks(const RunSummary& shared, const RunSummary& roundRobin);
Verdict judgeAcceptCeiling(const RunSummary& roundRobin, const RunSummary& shared, const RunSummary& reuseport);
Verdict judgeReuseportFew(const RunSummary& reuseport);
Verdict judgeCpuBound(const RunSummary& asManyAsCores, const RunSummary& twiceAsMany, int cores);
Verdict judgeCrashLoop(const RunSummary& run);
Verdict judgeRollingRestart(const RunSummary& run, int workers);
Verdict judgePinning(const RunSummary& unpinned, const RunSummary& pinned, int cores);

} // namespace cs::lab
