#pragma once

#include <map>
#include <string>
#include <vector>

namespace cs::test {

/// One sample line of the Prometheus text format.
struct ExpositionSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
    std::string text; ///< the value as written
};

/// One metric family: its HELP, TYPE and samples, in the order written.
struct ExpositionFamily {
    std::string name;
    std::string type;
    std::string help;
    std::vector<ExpositionSample> samples;
};

struct Exposition {
    std::vector<ExpositionFamily> families;
    std::string error; ///< "line N: what is wrong"; empty when the text is valid

    const ExpositionFamily* family(const std::string& name) const;
    /// The sample of that name with exactly these labels, or nullptr.
    const ExpositionSample* sample(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

/// A strict reader of the Prometheus text exposition format, version 0.0.4, for the tests:
/// the grammar of every line (names, label escapes, Go float values, timestamps), HELP and
/// TYPE once per family and before its samples, families contiguous, no series twice, and
/// the lint rules promtool applies (HELP on every family, `_total` on counters only, counters
/// and histogram counts never negative or NaN). Histograms are checked whole: per series,
/// `le` bounds ascending, cumulative counts never falling, a `+Inf` bucket equal to `_count`,
/// and a `_sum`.
Exposition parseExposition(const std::string& text);

} // namespace cs::test
