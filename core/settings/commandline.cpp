#include "settings/commandline.h"

#include <charconv>
#include <cmath>

namespace cs {

std::optional<std::int64_t> parseInteger(std::string_view text, std::int64_t minimum, std::int64_t maximum) noexcept
{
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < minimum || value > maximum)
        return std::nullopt;
    return value;
}

std::optional<double> parseDecimal(std::string_view text, double minimum, double maximum) noexcept
{
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || !(value >= minimum)
        || !(value <= maximum))
        return std::nullopt;
    return value;
}

std::string invalidValue(const GivenSetting& given, std::string_view what)
{
    return "The value '" + given.text + "' of " + given.spelled + " is not valid; use "
        + (what.empty() ? expectedValue(*given.setting) : std::string(what)) + ".";
}

namespace {

bool isChoice(const Setting& row, std::string_view value)
{
    std::string_view rest = row.choices;
    while (!rest.empty()) {
        const auto bar = rest.find('|');
        if (rest.substr(0, bar) == value)
            return !value.empty();
        rest = bar == std::string_view::npos ? std::string_view {} : rest.substr(bar + 1);
    }
    return false;
}

/// Checks a value against its row; fills `number`. Empty when it is good.
std::string checkValue(GivenSetting& given)
{
    const Setting& row = *given.setting;
    switch (row.type) {
    case ValueType::Integer: {
        const auto value = parseInteger(given.text, static_cast<std::int64_t>(row.minimum),
                                        static_cast<std::int64_t>(row.maximum));
        if (!value)
            return invalidValue(given);
        given.number = static_cast<double>(*value);
        return {};
    }
    case ValueType::Decimal: {
        const auto value = parseDecimal(given.text, row.minimum, row.maximum);
        if (!value)
            return invalidValue(given);
        given.number = *value;
        return {};
    }
    case ValueType::Choice: return isChoice(row, given.text) ? std::string() : invalidValue(given);
    case ValueType::None:
    case ValueType::Text:
    case ValueType::File:
    case ValueType::Directory:
    case ValueType::Command: return {};
    }
    return {};
}

} // namespace

std::variant<CommandLine, std::string> readCommandLine(Program program, const std::vector<std::string_view>& args)
{
    const std::string name(programName(program));
    const std::string seeHelp = "; see " + name + " --help.";
    CommandLine line;
    std::string error; // the first one; reading goes on, since a --help further on wins
    auto fail = [&error](std::string message) {
        if (error.empty())
            error = std::move(message);
    };
    bool optionsEnded = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (!optionsEnded && arg == "--") {
            optionsEnded = true;
            continue;
        }
        if (optionsEnded || arg.size() < 2 || arg.front() != '-') {
            fail("Unexpected argument '" + std::string(arg) + "': " + name + " takes options only" + seeHelp);
            continue;
        }
        std::string_view flag = arg;
        std::optional<std::string_view> inlineValue;
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                flag = arg.substr(0, eq);
                inlineValue = arg.substr(eq + 1);
            }
        }
        const Setting* row = findSetting(program, flag);
        if (!row) {
            fail("Unknown option '" + std::string(flag) + "'" + seeHelp);
            continue;
        }
        if (row->flag == "--help")
            return CommandLine { .help = true };
        GivenSetting given { row, std::string(flag), {}, 0 };
        if (row->type == ValueType::None) {
            if (inlineValue)
                fail("Option " + given.spelled + " takes no value" + seeHelp);
            else if (row->flag == "--version")
                line.version = true;
            else
                line.given.push_back(std::move(given));
            continue;
        }
        if (row->type == ValueType::Command) {
            // The rest of the line is the program's own, --help included; a first "--" only
            // marks where it starts.
            std::size_t next = i + 1;
            if (inlineValue)
                line.command.emplace_back(*inlineValue);
            else if (next < args.size() && args[next] == "--")
                ++next;
            for (; next < args.size(); ++next)
                line.command.emplace_back(args[next]);
            if (line.command.empty() || line.command.front().empty())
                fail(given.spelled + " needs a program, e.g. " + given.spelled + " node server.js" + seeHelp);
            line.given.push_back(std::move(given));
            break;
        }
        if (inlineValue) {
            given.text = std::string(*inlineValue);
        } else if (i + 1 < args.size()) {
            given.text = std::string(args[++i]); // taken as given, even when it starts with '-'
        } else {
            fail("Option " + given.spelled + " needs a value (" + std::string(row->metavar) + ")" + seeHelp);
            continue;
        }
        if (std::string problem = checkValue(given); !problem.empty()) {
            fail(std::move(problem));
            continue;
        }
        line.given.push_back(std::move(given));
    }
    if (!error.empty())
        return error;
    return line;
}

std::string optionsHelp(Program program)
{
    constexpr std::size_t kHelpColumn = 28;
    constexpr std::size_t kWidth = 96;
    std::string out;
    for (const Setting& row : settingsOf(program)) {
        std::string left = "  ";
        if (!row.shortFlag.empty())
            left += std::string(row.shortFlag) + ", ";
        left += row.flag;
        if (!row.metavar.empty())
            left += " " + std::string(row.metavar);
        std::string text(row.help);
        if (row.type == ValueType::Choice)
            text += ": " + expectedValue(row);
        if (!row.defaultText.empty())
            text += " (" + std::string(row.defaultText) + ")";
        out += left;
        std::size_t column = left.size();
        if (column + 1 > kHelpColumn) {
            out += "\n";
            column = 0;
        }
        out.append(kHelpColumn - column, ' ');
        column = kHelpColumn;
        // Word-wrap the help under its column.
        std::size_t start = 0;
        bool first = true;
        while (start < text.size()) {
            std::size_t end = text.find(' ', start);
            if (end == std::string::npos)
                end = text.size();
            const std::size_t word = end - start;
            if (!first && column + 1 + word > kWidth) {
                out += "\n" + std::string(kHelpColumn, ' ');
                column = kHelpColumn;
                first = true;
            }
            if (!first) {
                out += ' ';
                ++column;
            }
            out.append(text, start, word);
            column += word;
            first = false;
            start = end + 1;
        }
        out += "\n";
    }
    return out;
}

} // namespace cs
