#include "lab/lesson.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace cs::lab {

namespace {

// The comparison view's charts, named as their titles read.
constexpr const char* kShareChart = "the comparison's \"Share per worker\" chart";
constexpr const char* kThroughputChart = "the comparison's \"Throughput and master CPU\" chart";
constexpr const char* kLatencyChart = "the comparison's \"Latency\" chart";
constexpr const char* kFailedChart = "the \"Failed requests\" row of the comparison under Runs";
constexpr const char* kTimelineChart = "the window's \"Exits and respawns\" chart";
constexpr const char* kHeatMapChart = "the window's \"Worker × core\" heat map (the tab next to \"Share per worker\")";

// The Node.js docs: under SCHED_NONE "the distribution tends to be very unbalanced ... over
// 70% of all connections ended up in just two processes, out of a total of eight".
constexpr double kStuckShare = 0.70;
constexpr double kEvenShareAtMost = 0.60;
constexpr double kScaleGain = 1.10; // a policy "scales" past the master when 10 % faster
constexpr double kCpuNoGainAtMost = 1.15; // doubling CPU-bound workers past the cores gains no more

std::string fmt(const char* format, double value)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}
std::string pct(double fraction) { return fmt("%.0f %%", fraction * 100); }
std::string num(double value) { return fmt("%.0f", value); }
std::string ms(double value) { return fmt("%.1f ms", value); }
std::string jain(const RunSummary& s) { return s.jain ? fmt("%.2f", *s.jain) : std::string("–"); }

int busiestSlot(const RunSummary& s)
{
    const auto it = std::max_element(s.slots.begin(), s.slots.end(),
                                     [](const SlotFigures& a, const SlotFigures& b) { return a.requests < b.requests; });
    return it == s.slots.end() ? 0 : it->slot;
}

std::string split(const RunSummary& s)
{
    std::string text;
    for (const SlotFigures& f : s.slots)
        text += (text.empty() ? "" : " / ") + pct(f.share);
    return text.empty() ? "nothing" : text;
}

Verdict nothingServed(const char* what)
{
    return { false, std::string("Nothing to judge: ") + what + " served no request. Is the worker program there, and "
                    "did the cluster start? See the log." };
}

Verdict finish(bool as, const std::string& measured, const std::string& meaning, const std::string& otherwise,
               const char* chart)
{
    std::string text = as ? "As expected. " : "Not as expected on this machine. ";
    text += measured + " " + (as ? meaning : otherwise) + " See " + chart + ".";
    return { as, text };
}

LessonStep step(std::string label, Policy policy, int workers, LoadOptions load)
{
    LessonStep s;
    s.label = std::move(label);
    s.policy = policy;
    s.workers = workers;
    s.load = std::move(load);
    return s;
}

LoadOptions load(int connections, bool keepAlive, std::string path, double seconds)
{
    LoadOptions o;
    o.connections = connections;
    o.keepAlive = keepAlive;
    o.path = std::move(path);
    o.durationSeconds = seconds;
    return o;
}

} // namespace

std::vector<Lesson> lessons(int cores)
{
    cores = std::max(1, cores);
    std::vector<Lesson> all;

    all.push_back({ "keepalive-sticks", "Keep-alive connections stick to a worker",
                    "A keep-alive connection stays with the worker that accepted it, so a few connections decide "
                    "the share. 4 keep-alive connections go to 2 workers under shared (the kernel wakes whichever "
                    "worker it likes) and then under round-robin (the master deals them out). The Node.js docs "
                    "warn that under shared over 70 % can end up on a few workers; round-robin should spread them.",
                    kShareChart,
                    { step("shared", Policy::Shared, 2, load(4, true, "/", 4)),
                      step("round-robin", Policy::RoundRobin, 2, load(4, true, "/", 4)) } });

    all.push_back({ "accept-ceiling", "A new connection per request: the master's accept loop",
                    "Every request opens a new connection. Under round-robin the master accepts each one and "
                    "hands it to a worker, so its single accept loop is the ceiling; under shared and reuseport "
                    "the workers accept for themselves and should go faster, with the master idle.",
                    kThroughputChart,
                    { step("round-robin", Policy::RoundRobin, 2, load(8, false, "/", 4)),
                      step("shared", Policy::Shared, 2, load(8, false, "/", 4)),
                      step("reuseport", Policy::ReusePort, 2, load(8, false, "/", 4)) } });

    all.push_back({ "reuseport-few", "reuseport hashes few connections unevenly",
                    "Under reuseport the kernel picks the worker by a hash of each connection's addresses and "
                    "ports. With only 4 keep-alive connections over 2 workers, a 2-2 split of the connections "
                    "comes up only 3 times in 8; expect one worker to serve clearly more.",
                    kShareChart, { step("reuseport", Policy::ReusePort, 2, load(4, true, "/", 4)) } });

    all.push_back({ "cpu-bound", "CPU-bound work: more workers than cores",
                    "Each request burns 10 ms of CPU (/cpu?ms=10). The load runs against as many workers as "
                    "the machine has cores, then against twice as many. Past the cores, more workers add no "
                    "throughput: they only take turns on the same cores, and latency grows.",
                    kThroughputChart,
                    { step(std::to_string(cores) + " workers", Policy::RoundRobin, cores, load(8, true, "/cpu?ms=10", 4)),
                      step(std::to_string(2 * cores) + " workers", Policy::RoundRobin, 2 * cores,
                           load(8, true, "/cpu?ms=10", 4)) } });

    LessonStep crash = step("crash loop", Policy::RoundRobin, 2, load(0, true, "/", 0));
    crash.chaos = true;
    crash.action = StepAction::CrashLoop;
    all.push_back({ "crash-loop", "A crash loop: back-off, a failed slot, and reset",
                    "Worker slot 1 is crashed each time it comes back online. The master respawns it at once, "
                    "then waits longer each time (back-off), and after 5 crashes in 30 s marks the slot failed "
                    "and stops respawning it. Then the lesson resets the slot, and it should come back.",
                    kTimelineChart, { crash } });

    LessonStep rolling = step("rolling restart", Policy::RoundRobin, 2, load(8, true, "/", 6));
    rolling.load.retryOnClose = false; // count every failure, as wrk would
    rolling.action = StepAction::RollingRestart;
    rolling.actionAtSeconds = 1.5;
    all.push_back({ "rolling-restart", "A rolling restart under load loses no request",
                    "8 keep-alive connections load 2 workers; 1.5 s in, every worker is replaced one by one. "
                    "Draining answers what is in flight with Connection: close, so the load generator (which "
                    "here never retries) should count zero failed requests.",
                    kFailedChart, { rolling } });

    LessonStep unpinned = step("unpinned", Policy::RoundRobin, cores, load(4, true, "/cpu?ms=5", 4));
    LessonStep pinned = step("pinned", Policy::RoundRobin, cores, load(4, true, "/cpu?ms=5", 4));
    pinned.pin = true;
    all.push_back({ "pinning", "Pinning: where the workers run",
                    "The kernel's scheduler may move a worker from one core to another between two time slices: "
                    "a migration. Each request here burns 5 ms of CPU (/cpu?ms=5) over 4 keep-alive connections, "
                    "once with the workers free to run anywhere and once with --pin, which ties worker N to one "
                    "core of its own. Unpinned, a worker is likely seen on more than one core; pinned, each stays "
                    "on its core, which keeps its caches warm and makes each core's load predictable. (On a small "
                    "machine the load generator shares the cores, which is what pushes the workers around.)",
                    kHeatMapChart, { unpinned, pinned } });
    return all;
}

std::optional<Lesson> findLesson(std::string_view id, int cores)
{
    for (Lesson& lesson : lessons(cores))
        if (lesson.id == id)
            return lesson;
    return std::nullopt;
}

std::string connectionSplit(const RunSummary& s)
{
    std::string text;
    for (const SlotFigures& f : s.slots)
        text += (text.empty() ? "" : "/") + std::to_string(f.connections);
    return text;
}

Verdict judgeKeepAliveSticks(const RunSummary& shared, const RunSummary& roundRobin)
{
    if (shared.requests == 0 || roundRobin.requests == 0)
        return nothingServed(shared.requests == 0 ? "shared" : "round-robin");
    const bool sticks = shared.maxShare >= kStuckShare;
    // Round-robin deals out connections, not requests: judged by how the connections were
    // dealt where the snapshots counted them (a busier connection still serves more).
    const bool byConnections = roundRobin.connections > 0;
    // Even: no worker more than its whole share, rounded up (5 connections over 2: 3).
    const std::uint64_t workers = std::uint64_t(std::max(1, roundRobin.workers));
    const double evenAtMost = byConnections
        ? double((roundRobin.connections + workers - 1) / workers) / double(roundRobin.connections)
        : kEvenShareAtMost;
    const bool spreads = byConnections ? roundRobin.maxConnectionShare <= evenAtMost + 1e-9
                                       : roundRobin.maxShare <= kEvenShareAtMost;
    std::string measured = "Under shared, worker " + std::to_string(busiestSlot(shared)) + " served "
        + pct(shared.maxShare) + " of " + num(double(shared.requests)) + " requests (split " + split(shared)
        + ", Jain " + jain(shared) + ")";
    if (shared.connections > 0)
        measured += ", its connections landing " + connectionSplit(shared);
    measured += "; under round-robin the busiest worker served " + pct(roundRobin.maxShare) + " (split "
        + split(roundRobin) + ", Jain " + jain(roundRobin) + ")";
    if (byConnections)
        measured += ", the connections dealt " + connectionSplit(roundRobin);
    measured += ".";
    std::string otherwise;
    if (!sticks)
        otherwise += "This time the kernel spread the shared connections better than the " + pct(kStuckShare)
            + " the Node.js docs warn of: the wake-ups happened to alternate. Run it again; it varies from run to run.";
    if (!spreads)
        otherwise += std::string(otherwise.empty() ? "" : " ")
            + (byConnections ? "Round-robin did not deal the connections out evenly either."
                             : "Round-robin did not spread them evenly either (over " + pct(kEvenShareAtMost)
                                   + " on one worker): some connections were much busier than others.");
    return finish(sticks && spreads, measured,
                  "A few keep-alive connections stick to the workers that took them: under shared the kernel can "
                  "give nearly all of them to one, while round-robin deals them out evenly (a busier connection "
                  "still makes its worker serve more).",
                  otherwise, kShareChart);
}

Verdict judgeAcceptCeiling(const RunSummary& rr, const RunSummary& shared, const RunSummary& reuseport)
{
    if (rr.requests == 0 || shared.requests == 0 || reuseport.requests == 0)
        return nothingServed(rr.requests == 0 ? "round-robin" : shared.requests == 0 ? "shared" : "reuseport");
    const RunSummary& best = shared.requestsPerSecond >= reuseport.requestsPerSecond ? shared : reuseport;
    const char* bestName = &best == &shared ? "shared" : "reuseport";
    const double gain = best.requestsPerSecond / std::max(1.0, rr.requestsPerSecond);
    const bool as = gain >= kScaleGain;
    const std::string measured = "With a new connection per request, round-robin served " + num(rr.requestsPerSecond)
        + " req/s with the master at " + fmt("%.0f %% CPU", rr.masterCpuPercent) + "; shared " + num(shared.requestsPerSecond)
        + " req/s (master " + fmt("%.0f %%", shared.masterCpuPercent) + "), reuseport " + num(reuseport.requestsPerSecond)
        + " req/s (master " + fmt("%.0f %%", reuseport.masterCpuPercent) + "): " + bestName + " is "
        + fmt("%.2f", gain) + "× round-robin.";
    return finish(as, measured,
                  "The master accepting and handing over every connection is the ceiling under round-robin; where "
                  "the workers accept for themselves the master stays idle and they go faster.",
                  "Round-robin kept up here (the gain is under " + fmt("%.2f", kScaleGain) + "×): on a machine this "
                  "small the load generator and the workers share the same cores, which likely run out before the "
                  "master's accept loop does. The master's CPU above is what handing every connection over costs.",
                  kThroughputChart);
}

Verdict judgeReuseportFew(const RunSummary& reuseport)
{
    if (reuseport.requests == 0)
        return nothingServed("reuseport");
    const bool as = reuseport.maxShare >= kEvenShareAtMost;
    const std::string measured = "Under reuseport with 4 keep-alive connections, worker "
        + std::to_string(busiestSlot(reuseport)) + " served " + pct(reuseport.maxShare) + " of "
        + num(double(reuseport.requests)) + " requests (split " + split(reuseport) + ", Jain " + jain(reuseport) + ").";
    return finish(as, measured,
                  "The kernel's hash placed the few connections unevenly, and keep-alive kept them there.",
                  "This time the hash happened to split the connections evenly (no worker over "
                  + pct(kEvenShareAtMost) + "); with 4 connections on 2 workers that happens about 3 times in 8. "
                  "Run it again.",
                  kShareChart);
}

Verdict judgeCpuBound(const RunSummary& asMany, const RunSummary& twice, int cores)
{
    if (asMany.requests == 0 || twice.requests == 0)
        return nothingServed(asMany.requests == 0 ? "the first run" : "the second run");
    const double gain = twice.requestsPerSecond / std::max(1.0, asMany.requestsPerSecond);
    const bool as = gain <= kCpuNoGainAtMost;
    const std::string measured = "With " + std::to_string(cores) + " workers (one per core): "
        + num(asMany.requestsPerSecond) + " req/s, p99 " + ms(asMany.p99Ms) + "; with " + std::to_string(2 * cores)
        + " workers: " + num(twice.requestsPerSecond) + " req/s (" + fmt("%.2f", gain) + "×), p99 " + ms(twice.p99Ms) + ".";
    return finish(as, measured,
                  "Twice the workers did not give more throughput: the cores were already busy, the extra workers "
                  "only take turns on them.",
                  "Twice the workers gave more than " + fmt("%.2f", kCpuNoGainAtMost) + "× the throughput: the "
                  "first run did not keep the cores busy (the load generator shares them), so the extra workers "
                  "found idle time.",
                  kThroughputChart);
}

Verdict judgeCrashLoop(const RunSummary& run)
{
    int longest = 0;
    for (int delay : run.backoffMs)
        longest = std::max(longest, delay);
    const bool backedOff = longest > 0;
    const bool failed = run.failedSlots > 0;
    const bool back = run.resets > 0 && run.onlineAfterReset > 0;
    std::string delays;
    for (int delay : run.backoffMs)
        delays += (delays.empty() ? "" : ", ") + std::to_string(delay);
    const std::string measured = "Slot 1 crashed " + std::to_string(run.crashes) + " times; the respawns waited "
        + (delays.empty() ? std::string("never") : delays + " ms") + "; "
        + (failed ? "then the slot was marked failed" : "the slot was never marked failed") + "; "
        + (run.resets == 0 ? std::string("no reset was made.")
                           : back ? std::string("after the reset it came back online.")
                                  : std::string("after the reset it did not come back online."));
    std::string otherwise;
    if (!backedOff)
        otherwise += "No respawn waited: the back-off never started. ";
    if (!failed)
        otherwise += "The crash-loop limit was not reached. ";
    if (!back)
        otherwise += "The reset did not bring the slot back. ";
    otherwise += "See the log for why.";
    return finish(backedOff && failed && back, measured,
                  "The master backs off a crash loop, then stops respawning the slot until someone fixes the cause "
                  "and resets it.",
                  otherwise, kTimelineChart);
}

Verdict judgeRollingRestart(const RunSummary& run, int workers)
{
    if (!run.loadMeasured || run.requests == 0)
        return nothingServed("the cluster");
    const bool replaced = run.forks >= workers;
    const bool none = run.failed == 0;
    const std::string measured = std::to_string(run.forks) + " of " + std::to_string(workers) + " workers were replaced "
        "while the load ran; the load generator, which never retried, counted " + num(double(run.failed))
        + " failed requests out of " + num(double(run.requests)) + " (" + num(run.requestsPerSecond) + " req/s).";
    std::string otherwise;
    if (!replaced)
        otherwise += "The rolling restart did not replace every worker during the load. ";
    if (!none)
        otherwise += "Requests failed while the workers were replaced: see the load's first error and the log. ";
    return finish(replaced && none, measured, "The draining workers finished what they had, and nothing was lost.",
                  otherwise, kFailedChart);
}

namespace {

int busySamples(const SlotFigures& f)
{
    int n = 0;
    for (int samples : f.coreSamples)
        n += samples;
    return n;
}

int busySamples(const RunSummary& s)
{
    int n = 0;
    for (const SlotFigures& f : s.slots)
        n += busySamples(f);
    return n;
}

// "worker 1 100 % on core 0", or "worker 1 ran on 2 cores (58 % on core 0, 42 % on core 1)".
std::string whereItRan(const SlotFigures& f)
{
    const std::string worker = "worker " + std::to_string(f.slot);
    const int total = busySamples(f);
    if (total == 0)
        return worker + " was not seen working";
    std::string cores;
    for (std::size_t core = 0; core < f.coreSamples.size(); ++core)
        if (f.coreSamples[core] > 0)
            cores += (cores.empty() ? "" : ", ") + pct(double(f.coreSamples[core]) / total) + " on core "
                + std::to_string(core);
    if (f.coresSeen == 1)
        return worker + " " + cores;
    return worker + " ran on " + std::to_string(f.coresSeen) + " cores (" + cores + ")";
}

std::string whereTheyRan(const RunSummary& s)
{
    std::string text;
    for (const SlotFigures& f : s.slots)
        text += (text.empty() ? "" : ", ") + whereItRan(f);
    return text.empty() ? "no worker" : text;
}

} // namespace

Verdict judgePinning(const RunSummary& unpinned, const RunSummary& pinned, int cores)
{
    if (unpinned.requests == 0 || pinned.requests == 0)
        return nothingServed(unpinned.requests == 0 ? "the unpinned run" : "the pinned run");
    if (busySamples(unpinned) == 0 || busySamples(pinned) == 0)
        return { false, std::string("Nothing to judge: no sample of the ")
                            + (busySamples(unpinned) == 0 ? "unpinned" : "pinned")
                            + " run saw a worker using CPU, so where they ran is unknown. See the log." };
    bool migrated = false;
    for (const SlotFigures& f : unpinned.slots)
        migrated = migrated || f.coresSeen > 1;
    bool leaked = false;
    for (const SlotFigures& f : pinned.slots)
        leaked = leaked || f.coresSeen > 1;
    const std::string measured = "On " + std::to_string(cores) + (cores == 1 ? " core" : " cores") + ", unpinned: "
        + whereTheyRan(unpinned) + "; pinned: " + whereTheyRan(pinned) + " (of the samples in which each used CPU).";
    if (leaked)
        return finish(false, measured, "",
                      "A pinned worker was seen on a second core: the pinning did not hold. Was --cpus or the "
                      "machine's affinity narrower than the workers? See the log.",
                      kHeatMapChart);
    if (!migrated)
        return { false, "No migration this time. " + measured
                            + " Pinned, every worker stayed on its one core, as it should; unpinned, the scheduler "
                              "happened to keep each worker where it was (on a quiet machine it often does), so this "
                              "run shows no difference. That is not a failure of pinning. Run it again, or with "
                              "something else busy. See " + kHeatMapChart + "." };
    return finish(true, measured,
                  "Unpinned, the scheduler moved the workers between cores; pinned, each stayed on its own core, "
                  "keeping its caches warm and each core's load predictable.",
                  "", kHeatMapChart);
}

Verdict judge(std::string_view id, std::span<const RunSummary> s)
{
    const auto lesson = findLesson(id, 1);
    if (!lesson)
        return { false, "There is no lesson called " + std::string(id) + "." };
    if (s.size() < lesson->steps.size())
        return { false, "The lesson did not finish (" + std::to_string(s.size()) + " of "
                            + std::to_string(lesson->steps.size()) + " runs): no verdict." };
    if (id == "keepalive-sticks")
        return judgeKeepAliveSticks(s[0], s[1]);
    if (id == "accept-ceiling")
        return judgeAcceptCeiling(s[0], s[1], s[2]);
    if (id == "reuseport-few")
        return judgeReuseportFew(s[0]);
    if (id == "cpu-bound")
        return judgeCpuBound(s[0], s[1], std::max(1, s[0].workers));
    if (id == "crash-loop")
        return judgeCrashLoop(s[0]);
    if (id == "pinning")
        return judgePinning(s[0], s[1], std::max(1, s[0].workers));
    return judgeRollingRestart(s[0], s[0].workers);
}

} // namespace cs::lab
