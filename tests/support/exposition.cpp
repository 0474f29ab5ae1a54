#include "exposition.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>
#include <set>

namespace cs::test {

namespace {

const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
// Go's ParseFloat in the forms a Prometheus client writes, and the three the format names.
const std::regex kFloat(R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|[+-]?Inf)");
const std::regex kTimestamp("-?[0-9]+");
const std::set<std::string> kTypes { "counter", "gauge", "histogram", "summary", "untyped" };

bool matches(const std::string& text, const std::regex& pattern)
{
    return std::regex_match(text, pattern);
}

std::optional<double> parseFloat(const std::string& text)
{
    if (!matches(text, kFloat))
        return std::nullopt;
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (text.ends_with("Inf"))
        return text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    return std::strtod(text.c_str(), nullptr);
}

bool endsWith(const std::string& s, const char* suffix)
{
    return s.ends_with(suffix);
}

/// The family a sample name belongs to, given the family being read: histograms and
/// summaries own their `_bucket`, `_sum` and `_count` series.
bool belongsTo(const std::string& sample, const ExpositionFamily& family)
{
    if (sample == family.name)
        return family.type != "histogram";
    if (family.type == "histogram")
        return sample == family.name + "_bucket" || sample == family.name + "_sum" || sample == family.name + "_count";
    if (family.type == "summary")
        return sample == family.name + "_sum" || sample == family.name + "_count";
    return false;
}

class Parser {
public:
    explicit Parser(const std::string& text) : m_text(text) { }

    Exposition run()
    {
        if (!m_text.empty() && m_text.back() != '\n') {
            fail(0, "the text does not end with a newline");
            return std::move(m_result);
        }
        std::size_t start = 0;
        int number = 0;
        while (start < m_text.size() && m_result.error.empty()) {
            const auto end = m_text.find('\n', start);
            ++number;
            line(number, m_text.substr(start, end - start));
            start = end + 1;
        }
        if (m_result.error.empty())
            finishFamily(number);
        return std::move(m_result);
    }

private:
    void fail(int number, const std::string& what)
    {
        if (m_result.error.empty())
            m_result.error = "line " + std::to_string(number) + ": " + what;
    }

    void line(int number, const std::string& text)
    {
        if (text.find('\r') != std::string::npos) {
            fail(number, "carriage return in the line");
            return;
        }
        if (text.empty())
            return; // the format allows empty lines
        if (text[0] == '#') {
            comment(number, text);
            return;
        }
        sample(number, text);
    }

    void comment(int number, const std::string& text)
    {
        const bool help = text.starts_with("# HELP ");
        const bool type = text.starts_with("# TYPE ");
        if (!help && !type)
            return; // a plain comment
        const std::string rest = text.substr(7);
        const auto space = rest.find(' ');
        const std::string name = rest.substr(0, space);
        if (!matches(name, kMetricName)) {
            fail(number, "'" + name + "' is not a metric name");
            return;
        }
        if (space == std::string::npos) {
            fail(number, std::string(help ? "HELP" : "TYPE") + " of " + name + " has no text");
            return;
        }
        const std::string value = rest.substr(space + 1);
        ExpositionFamily& family = enter(number, name);
        if (!m_result.error.empty())
            return;
        if (!family.samples.empty()) {
            fail(number, std::string(help ? "HELP" : "TYPE") + " of " + name + " after its samples");
            return;
        }
        if (help) {
            if (m_haveHelp) {
                fail(number, "a second HELP for " + name);
                return;
            }
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (value[i] != '\\')
                    continue;
                if (i + 1 == value.size() || (value[i + 1] != '\\' && value[i + 1] != 'n')) {
                    fail(number, "HELP of " + name + " has an escape other than \\\\ and \\n");
                    return;
                }
                ++i; // past the escaped character
            }
            family.help = value;
            m_haveHelp = true;
        } else {
            if (m_haveType) {
                fail(number, "a second TYPE for " + name);
                return;
            }
            if (!kTypes.count(value)) {
                fail(number, "'" + value + "' is not a metric type");
                return;
            }
            family.type = value;
            m_haveType = true;
        }
    }

    /// Makes `name` the family being read; a family seen before and left is an error.
    ExpositionFamily& enter(int number, const std::string& name)
    {
        if (!m_result.families.empty() && m_result.families.back().name == name)
            return m_result.families.back();
        if (!m_result.families.empty())
            finishFamily(number);
        if (!m_seenFamilies.insert(name).second)
            fail(number, "family " + name + " appears twice, not in one block");
        m_result.families.push_back({ name, "untyped", "", {} });
        m_haveHelp = m_haveType = false;
        return m_result.families.back();
    }

    void sample(int number, const std::string& text)
    {
        ExpositionSample sample;
        std::size_t i = 0;
        while (i < text.size() && text[i] != '{' && text[i] != ' ' && text[i] != '\t')
            ++i;
        sample.name = text.substr(0, i);
        if (!matches(sample.name, kMetricName)) {
            fail(number, "'" + sample.name + "' is not a metric name");
            return;
        }
        if (i < text.size() && text[i] == '{' && !labels(number, text, i, sample))
            return;
        // Blanks, the value, and an optional timestamp.
        const auto rest = text.substr(i);
        std::smatch match;
        static const std::regex kTail("[ \\t]+([^ \\t]+)(?:[ \\t]+([^ \\t]+))?[ \\t]*");
        if (!std::regex_match(rest, match, kTail)) {
            fail(number, "sample " + sample.name + " has no value, or more than a value and a timestamp");
            return;
        }
        sample.text = match[1];
        const auto value = parseFloat(sample.text);
        if (!value) {
            fail(number, "'" + sample.text + "' is not a float");
            return;
        }
        sample.value = *value;
        if (match[2].matched && !matches(match[2], kTimestamp)) {
            fail(number, "'" + std::string(match[2]) + "' is not a timestamp in milliseconds");
            return;
        }

        // The family: the current one if the sample belongs to it, else an untyped one of its own.
        ExpositionFamily* family = m_result.families.empty() ? nullptr : &m_result.families.back();
        if (!family || !belongsTo(sample.name, *family))
            family = &enter(number, sample.name);
        if (!m_result.error.empty())
            return;
        std::string key = sample.name;
        for (const auto& [name, value] : sample.labels)
            key += "\x1f" + name + "=" + value;
        if (!m_seenSeries.insert(key).second) {
            fail(number, "the series " + sample.name + " with these labels is written twice");
            return;
        }
        const bool counted = family->type == "counter"
            || ((family->type == "histogram" || family->type == "summary") && sample.name != family->name + "_sum"
                && sample.name != family->name);
        if (counted && (std::isnan(sample.value) || sample.value < 0)) {
            fail(number, sample.name + " counts, so it cannot be " + sample.text);
            return;
        }
        if (family->type == "histogram" && endsWith(sample.name, "_bucket") && !sample.labels.count("le")) {
            fail(number, sample.name + " has no le label");
            return;
        }
        family->samples.push_back(std::move(sample));
    }

    /// Reads `{name="value",...}` from text[i]; leaves i after the '}'.
    bool labels(int number, const std::string& text, std::size_t& i, ExpositionSample& sample)
    {
        ++i; // '{'
        for (;;) {
            if (i < text.size() && text[i] == '}') {
                ++i;
                return true;
            }
            std::size_t nameEnd = i;
            while (nameEnd < text.size() && text[nameEnd] != '=')
                ++nameEnd;
            const std::string name = text.substr(i, nameEnd - i);
            if (!matches(name, kLabelName) || name.starts_with("__")) {
                fail(number, "'" + name + "' is not a label name");
                return false;
            }
            if (nameEnd + 1 >= text.size() || text[nameEnd + 1] != '"') {
                fail(number, "label " + name + " has no quoted value");
                return false;
            }
            std::string value;
            std::size_t j = nameEnd + 2;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] != '\\') {
                    value += text[j];
                    continue;
                }
                if (++j == text.size()) {
                    break;
                } else if (text[j] == '\\' || text[j] == '"') {
                    value += text[j];
                } else if (text[j] == 'n') {
                    value += '\n';
                } else {
                    fail(number, "label " + name + " has an escape other than \\\\, \\\" and \\n");
                    return false;
                }
            }
            if (j >= text.size()) {
                fail(number, "label " + name + "'s value is not closed");
                return false;
            }
            if (!sample.labels.emplace(name, value).second) {
                fail(number, "label " + name + " is given twice");
                return false;
            }
            i = j + 1;
            if (i < text.size() && text[i] == ',')
                ++i; // a trailing comma before '}' is allowed
            else if (i >= text.size() || text[i] != '}') {
                fail(number, "labels of " + sample.name + " are not separated by commas or closed");
                return false;
            }
        }
    }

    /// The checks that need the whole family.
    void finishFamily(int number)
    {
        if (m_result.families.empty() || !m_result.error.empty())
            return;
        const ExpositionFamily& family = m_result.families.back();
        const std::string at = " (the family that ends before line " + std::to_string(number) + ")";
        if (!m_haveHelp || !m_haveType || family.help.empty()) {
            fail(number, family.name + " has no HELP or no TYPE" + at);
            return;
        }
        if ((family.type == "counter") != endsWith(family.name, "_total")) {
            fail(number, family.name + ": counters, and only they, end in _total" + at);
            return;
        }
        if (family.type == "histogram")
            checkHistogram(number, family, at);
    }

    void checkHistogram(int number, const ExpositionFamily& family, const std::string& at)
    {
        struct Series {
            std::vector<std::pair<double, double>> buckets; // le, cumulative count
            std::optional<double> count;
            bool sum = false;
        };
        std::map<std::map<std::string, std::string>, Series> series;
        for (const auto& sample : family.samples) {
            auto labels = sample.labels;
            if (endsWith(sample.name, "_bucket")) {
                const auto le = parseFloat(labels["le"]);
                if (!le || std::isnan(*le)) {
                    fail(number, "le=\"" + labels["le"] + "\" of " + sample.name + " is not a bound" + at);
                    return;
                }
                labels.erase("le");
                series[labels].buckets.emplace_back(*le, sample.value);
            } else if (endsWith(sample.name, "_count")) {
                series[labels].count = sample.value;
            } else {
                series[labels].sum = true;
            }
        }
        for (const auto& [labels, one] : series) {
            for (std::size_t k = 1; k < one.buckets.size(); ++k) {
                if (!(one.buckets[k].first > one.buckets[k - 1].first)) {
                    fail(number, family.name + ": bucket bounds are not ascending" + at);
                    return;
                }
                if (one.buckets[k].second < one.buckets[k - 1].second) {
                    fail(number, family.name + ": a bucket counts less than the one below it" + at);
                    return;
                }
            }
            if (one.buckets.empty() || !std::isinf(one.buckets.back().first)) {
                fail(number, family.name + ": a series has no le=\"+Inf\" bucket" + at);
                return;
            }
            if (!one.count || *one.count != one.buckets.back().second) {
                fail(number, family.name + ": _count is missing or differs from the +Inf bucket" + at);
                return;
            }
            if (!one.sum) {
                fail(number, family.name + ": a series has no _sum" + at);
                return;
            }
        }
    }

    const std::string& m_text;
    Exposition m_result;
    std::set<std::string> m_seenFamilies;
    std::set<std::string> m_seenSeries;
    bool m_haveHelp = false;
    bool m_haveType = false;
};

} // namespace

const ExpositionFamily* Exposition::family(const std::string& name) const
{
    for (const auto& f : families)
        if (f.name == name)
            return &f;
    return nullptr;
}

const ExpositionSample* Exposition::sample(const std::string& name, const std::map<std::string, std::string>& labels) const
{
    for (const auto& f : families)
        for (const auto& s : f.samples)
            if (s.name == name && s.labels == labels)
                return &s;
    return nullptr;
}

Exposition parseExposition(const std::string& text)
{
    return Parser(text).run();
}

} // namespace cs::test
