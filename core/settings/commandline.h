#pragma once

#include "settings/settingtable.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cs {

/// One option given on a command line, its value read and checked against the table.
struct GivenSetting {
    const Setting* setting = nullptr;
    std::string spelled; ///< as the user wrote the flag ("-c" or "--connections"), for messages
    std::string text; ///< the value as given; empty for switches
    double number = 0; ///< Integer and Decimal: the value
};

/// A command line read against the table: the options in order, then what --exec took.
struct CommandLine {
    std::vector<GivenSetting> given;
    std::vector<std::string> command; ///< a Command setting's PROGRAM [ARGS...], as given
    bool help = false;
    bool version = false;
};

/// Reads `args` (argv without argv[0]) for `program`: `--flag value`, `--flag=value`, short
/// flags (`-c 4`), `--` ending the options. Numbers are checked against the table's ranges and
/// choices against its list. --help anywhere an option may stand wins over everything else,
/// a bad argument included (then the line is not read further). Pure: no I/O.
/// Returns the line, or one sentence saying what is wrong and what to do.
std::variant<CommandLine, std::string> readCommandLine(Program program, const std::vector<std::string_view>& args);

/// The one number reader of the three programs: all of `text` a decimal integer in
/// [minimum, maximum]; nullopt otherwise.
std::optional<std::int64_t> parseInteger(std::string_view text, std::int64_t minimum, std::int64_t maximum) noexcept;
/// The same for a finite decimal number ("2.5", "1e3").
std::optional<double> parseDecimal(std::string_view text, double minimum, double maximum) noexcept;

/// The one shape of a bad value: "The value 'X' of --flag is not valid; use WHAT." `what`
/// empty: the table's expectedValue().
std::string invalidValue(const GivenSetting& given, std::string_view what = {});

/// The options part of --help for `program`, made from the table: one line per setting, its
/// default in parentheses, wrapped at 96 columns.
std::string optionsHelp(Program program);

} // namespace cs
