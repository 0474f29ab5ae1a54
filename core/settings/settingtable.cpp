#include "settings/settingtable.h"

#include <algorithm>
#include <cmath>

namespace cs {

std::string_view programName(Program program) noexcept
{
    switch (program) {
    case Program::Clusterscope: return "clusterscope";
    case Program::Load: return "clusterscope-load";
    case Program::Worker: return "clusterscope-worker";
    }
    return "clusterscope";
}

std::span<const Setting> settingsOf(Program program) noexcept
{
    // The table is grouped by program: one contiguous run each.
    const auto* first = std::find_if(std::begin(kSettings), std::end(kSettings),
                                     [program](const Setting& row) { return row.program == program; });
    const auto* last = std::find_if(first, std::end(kSettings),
                                    [program](const Setting& row) { return row.program != program; });
    return { first, last };
}

const Setting* findSetting(Program program, std::string_view flag) noexcept
{
    if (flag.empty())
        return nullptr;
    for (const Setting& row : settingsOf(program))
        if (row.flag == flag || row.shortFlag == flag)
            return &row;
    return nullptr;
}

namespace {

std::string numberText(double value)
{
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(value));
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.')
        text.pop_back();
    return text;
}

} // namespace

std::string expectedValue(const Setting& row)
{
    switch (row.type) {
    case ValueType::Integer:
    case ValueType::Decimal: {
        std::string text = "a number from " + numberText(row.minimum) + " to " + numberText(row.maximum);
        if (!row.unit.empty())
            text += " " + std::string(row.unit);
        return text;
    }
    case ValueType::Choice: {
        std::string text;
        std::string_view rest = row.choices;
        while (!rest.empty()) {
            const auto bar = rest.find('|');
            const std::string_view choice = rest.substr(0, bar);
            rest = bar == std::string_view::npos ? std::string_view {} : rest.substr(bar + 1);
            if (!text.empty())
                text += rest.empty() ? " or " : ", ";
            text += choice;
        }
        return text;
    }
    case ValueType::None: return "no value";
    case ValueType::Text:
    case ValueType::File:
    case ValueType::Directory:
    case ValueType::Command: return std::string(row.metavar);
    }
    return {};
}

} // namespace cs
