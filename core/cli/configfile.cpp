#include "cli/configfile.h"

#include "affinity/cpulist.h"
#include "json/jsontext.h"
#include "settings/settingtable.h"
#include "metrics/procstat.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <sys/stat.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <toml++/toml.h>

namespace cs {
namespace {

/// A value read from either format, with the line it stood on, so every error can name it.
/// The libraries parse; this is only the common shape the one mapping below reads.
struct Value {
    enum class Kind { String, Integer, Real, Bool, Array, Table, Other };
    Kind kind = Kind::Table;
    std::string key; ///< when it is a member of a table
    int line = 1;
    int column = 1; ///< only to keep a table's members in the file's order
    std::string text; ///< a string's value; for Other, what it is ("a date")
    long long integer = 0;
    double real = 0; ///< a TOML float or a JSON number with a fraction, exponent or beyond 64 bits
    bool boolean = false;
    std::vector<Value> items; ///< array elements, or table members in the file's order
};

std::string kindName(const Value& value)
{
    switch (value.kind) {
    case Value::Kind::String:
        return "a string";
    case Value::Kind::Integer:
    case Value::Kind::Real:
        return "a number";
    case Value::Kind::Bool:
        return "true or false";
    case Value::Kind::Array:
        return "a list";
    case Value::Kind::Table:
        return "a table";
    case Value::Kind::Other:
        return value.text;
    }
    return "?";
}

std::string kindName(Value::Kind kind)
{
    Value value;
    value.kind = kind;
    return kindName(value);
}

/// The shortest text that reads back as `number` ("4.5", "1e+20", "inf").
std::string realText(double number)
{
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
    return std::string(buffer, result.ptr);
}

struct ParseFailure {
    int line;
    std::string what;
};

bool isJson(const std::string& fileName)
{
    return fileName.size() >= 5 && fileName.compare(fileName.size() - 5, 5, ".json") == 0;
}

// --- TOML, read by toml++ -------------------------------------------------------------------

Value fromToml(const toml::node& node, int line, int column)
{
    Value value;
    value.line = node.source().begin.line ? static_cast<int>(node.source().begin.line) : line;
    value.column = node.source().begin.line ? static_cast<int>(node.source().begin.column) : column;
    switch (node.type()) {
    case toml::node_type::string:
        value.kind = Value::Kind::String;
        value.text = node.as_string()->get();
        break;
    case toml::node_type::integer:
        value.kind = Value::Kind::Integer;
        value.integer = node.as_integer()->get();
        break;
    case toml::node_type::floating_point:
        value.kind = Value::Kind::Real;
        value.real = node.as_floating_point()->get();
        break;
    case toml::node_type::boolean:
        value.kind = Value::Kind::Bool;
        value.boolean = node.as_boolean()->get();
        break;
    case toml::node_type::array:
        value.kind = Value::Kind::Array;
        for (const auto& item : *node.as_array())
            value.items.push_back(fromToml(item, value.line, value.column));
        break;
    case toml::node_type::table:
        value.kind = Value::Kind::Table;
        for (const auto& [key, member] : *node.as_table()) {
            // A member's line is its key's: that is where a reader looks for `key = ...`.
            const auto& at = key.source().begin;
            Value item = fromToml(member, at.line ? static_cast<int>(at.line) : value.line,
                                  at.line ? static_cast<int>(at.column) : value.column);
            if (at.line) {
                item.line = static_cast<int>(at.line);
                item.column = static_cast<int>(at.column);
            }
            item.key = std::string(key.str());
            value.items.push_back(std::move(item));
        }
        // toml++ keeps a table sorted by key; the file's order makes the first problem the
        // first in the file, and keeps `env` in the order it was written.
        std::stable_sort(value.items.begin(), value.items.end(), [](const Value& a, const Value& b) {
            return std::pair(a.line, a.column) < std::pair(b.line, b.column);
        });
        break;
    default:
        value.kind = Value::Kind::Other;
        value.text = "a date or time";
        break;
    }
    return value;
}

/// toml++ says "Error while parsing key-value pair: cannot redefine existing integer 'workers'";
/// we keep what is wrong and add what to do.
std::string tomlProblem(std::string_view description)
{
    std::string what(description);
    constexpr std::string_view prefix = "Error while parsing ";
    if (what.rfind(prefix, 0) == 0) {
        const auto colon = what.find(": ", prefix.size());
        if (colon != std::string::npos)
            what.erase(0, colon + 2);
    }
    std::string todo = "correct the TOML there";
    if (what.find("could not determine value type") != std::string::npos)
        todo = "strings need quotes";
    else if (what.find("redefine") != std::string::npos)
        todo = "give each key and each table once";
    else if (what.find("control character") != std::string::npos)
        todo = "close each string on its line and write control characters as escapes such as \\n";
    return "not valid TOML: " + what + "; " + todo + ".";
}

Value parseToml(std::string_view text, const std::string& fileName)
{
    try {
        const toml::table root = toml::parse(text, std::string_view(fileName));
        return fromToml(root, 1, 1);
    } catch (const toml::parse_error& error) {
        throw ParseFailure { std::max(1, static_cast<int>(error.source().begin.line)), tomlProblem(error.description()) };
    }
}

// --- JSON, read by Boost.JSON -----------------------------------------------------------------

/// Builds the Value tree from Boost.JSON's parser events. The parser is fed one byte at a time
/// (see parseJson), so every event knows the line of the byte that ended its token.
class JsonTreeBuilder {
public:
    // Far beyond any cluster definition; the parser refuses more.
    static constexpr std::size_t max_object_size = 1 << 16;
    static constexpr std::size_t max_array_size = 1 << 16;
    static constexpr std::size_t max_key_size = 1 << 16;
    static constexpr std::size_t max_string_size = 1 << 20;

    using error_code = boost::json::error_code;
    using string_view = boost::json::string_view;

    void setLine(int line) { m_line = line; }
    Value takeRoot() { return std::move(m_root); }
    const std::optional<ParseFailure>& failure() const { return m_failure; }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code& ec) { return open(Value::Kind::Table, ec); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code& ec) { return open(Value::Kind::Array, ec); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(string_view part, std::size_t, error_code&)
    {
        m_key.append(part.data(), part.size());
        return true;
    }
    bool on_key(string_view part, std::size_t, error_code& ec)
    {
        m_key.append(part.data(), part.size());
        m_keyLine = m_line;
        // JSON leaves a repeated key to the reader; TOML forbids it, and so do we.
        for (const auto& member : m_stack.back().items)
            if (member.key == m_key) {
                m_failure = ParseFailure { m_line,
                                           "'" + m_key + "' is given twice (first on line " + std::to_string(member.line)
                                               + "); keep one." };
                ec = boost::json::error::syntax;
                return false;
            }
        return true;
    }
    bool on_string_part(string_view part, std::size_t, error_code&)
    {
        m_string.append(part.data(), part.size());
        return true;
    }
    bool on_string(string_view part, std::size_t, error_code&)
    {
        m_string.append(part.data(), part.size());
        Value value;
        value.kind = Value::Kind::String;
        value.text = std::move(m_string);
        m_string.clear();
        return add(std::move(value));
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t number, string_view, error_code&)
    {
        Value value;
        value.kind = Value::Kind::Integer;
        value.integer = number;
        return add(std::move(value));
    }
    bool on_uint64(std::uint64_t number, string_view, error_code&) { return real(static_cast<double>(number)); }
    bool on_double(double number, string_view, error_code&) { return real(number); }
    bool on_bool(bool boolean, error_code&)
    {
        Value value;
        value.kind = Value::Kind::Bool;
        value.boolean = boolean;
        return add(std::move(value));
    }
    bool on_null(error_code&)
    {
        Value value;
        value.kind = Value::Kind::Other;
        value.text = "null";
        return add(std::move(value));
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    bool real(double number)
    {
        Value value;
        value.kind = Value::Kind::Real;
        value.real = number;
        return add(std::move(value));
    }
    bool open(Value::Kind kind, error_code&)
    {
        Value value;
        value.kind = kind;
        place(value);
        m_stack.push_back(std::move(value));
        return true;
    }
    bool close()
    {
        Value value = std::move(m_stack.back());
        m_stack.pop_back();
        return attach(std::move(value));
    }
    bool add(Value value)
    {
        place(value);
        return attach(std::move(value));
    }
    /// A member of an object stands on its key's line; anything else on its own.
    void place(Value& value)
    {
        value.line = m_line;
        if (!m_stack.empty() && m_stack.back().kind == Value::Kind::Table) {
            value.key = std::move(m_key);
            value.line = m_keyLine;
            m_key.clear();
        }
    }
    bool attach(Value value)
    {
        if (m_stack.empty())
            m_root = std::move(value);
        else
            m_stack.back().items.push_back(std::move(value));
        return true;
    }

    int m_line = 1;
    int m_keyLine = 1;
    std::string m_key;
    std::string m_string;
    std::vector<Value> m_stack;
    Value m_root;
    std::optional<ParseFailure> m_failure;
};

/// How a byte the JSON parser stopped at reads in a message.
std::string describeByte(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\t')
        return "a tab";
    if (c == '\n')
        return "a line break";
    if (byte < 0x20 || byte == 0x7f) {
        char buffer[16];
        std::snprintf(buffer, sizeof(buffer), "U+%04X", byte);
        return std::string("the control character ") + buffer;
    }
    if (byte >= 0x80)
        return "a byte that is not valid UTF-8";
    return std::string("'") + c + "'";
}

Value parseJson(std::string_view text)
{
    // Strict JSON (RFC 8259): no comments, no trailing commas, UTF-8 only; Boost.JSON's defaults.
    boost::json::basic_parser<JsonTreeBuilder> parser(boost::json::parse_options {});
    boost::json::error_code ec;
    int line = 1;
    int lastLine = 1; // of the last byte that is not white space: where the file's text ends
    // One byte at a time, so that every event knows its line: an event fires on the byte that
    // ends its token, or for a number on the byte after it, which is on the same line (a line
    // break belongs to the line it ends).
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            lastLine = line;
        parser.handler().setLine(line);
        parser.write_some(true, text.data() + i, 1, ec);
        if (ec) {
            if (const auto& failure = parser.handler().failure())
                throw *failure;
            std::string what = "not valid JSON: " + ec.message() + " at " + describeByte(c);
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\r' && c != '\t')
                what += "; write control characters in strings as escapes such as \\u0001.";
            else if (c == '\t' || c == '\n' || c == '\r')
                what += "; write it inside a string as \\t, \\n or \\r.";
            else if (c >= '0' && c <= '9' && i > 0 && text[i - 1] == '0')
                what += "; a JSON number does not start with 0.";
            else if (c == '"' || c == '{' || c == '[')
                what += "; is a comma or a colon missing before it?";
            else
                what += "; correct the JSON there.";
            throw ParseFailure { line, what };
        }
        if (c == '\n')
            ++line;
    }
    parser.write_some(false, nullptr, 0, ec);
    if (ec)
        throw ParseFailure { lastLine, "not valid JSON: the file ends before the JSON object is complete; complete it." };
    Value root = parser.handler().takeRoot();
    if (root.kind != Value::Kind::Table)
        throw ParseFailure { root.line, "the file must hold one JSON object ({ ... }), not " + kindName(root) + "." };
    return root;
}

/// Maps the parsed tree onto a ClusterConfig, naming the file, line and key of the first problem.
class Applier {
public:
    Applier(const std::string& fileName, ClusterConfig& config) : m_file(fileName), m_config(config) { }

    std::optional<std::string> apply(const Value& root)
    {
        try {
            for (const auto& member : root.items)
                top(member);
            if (m_pendingArgs && !m_pendingArgs->empty())
                throw ParseFailure { m_argsLine, "'args' is given without a 'program' to pass them to." };
        } catch (const ParseFailure& failure) {
            return m_file + ":" + std::to_string(failure.line) + ": " + failure.what;
        }
        return std::nullopt;
    }

private:
    [[noreturn]] static void fail(const Value& value, const std::string& what) { throw ParseFailure { value.line, what }; }

    static void need(const Value& value, Value::Kind kind)
    {
        if (value.kind != kind)
            fail(value, "'" + value.key + "' must be " + kindName(kind) + ", not " + kindName(value) + ".");
    }
    /// A whole number in [min, max]. A number written with a fraction that is zero (4.0, 4e0)
    /// is that whole number in either format; 4.5 is refused, not rounded.
    static int number(const Value& value, long long min, long long max, const char* unit = "")
    {
        const auto range = [&](const std::string& given) {
            fail(value, "'" + value.key + "' must be from " + std::to_string(min) + " to " + std::to_string(max) + unit
                     + ", not " + given + ".");
        };
        if (value.kind == Value::Kind::Real) {
            if (!std::isfinite(value.real) || value.real != std::trunc(value.real))
                fail(value, "'" + value.key + "' must be a whole number, not " + realText(value.real) + ".");
            if (value.real < static_cast<double>(min) || value.real > static_cast<double>(max))
                range(realText(value.real));
            return static_cast<int>(value.real);
        }
        need(value, Value::Kind::Integer);
        if (value.integer < min || value.integer > max)
            range(std::to_string(value.integer));
        return static_cast<int>(value.integer);
    }
    /// A whole number in the range the settings table gives the key's command-line flag (the
    /// one place those ranges are written), with its unit.
    static int tableNumber(const Value& value, std::string_view configKey)
    {
        for (const Setting& s : settingsOf(Program::Clusterscope))
            if (s.configKey == configKey) {
                const std::string unit = s.unit.empty() ? std::string() : " " + std::string(s.unit);
                return number(value, static_cast<long long>(s.minimum), static_cast<long long>(s.maximum), unit.c_str());
            }
        fail(value, "'" + value.key + "' has no range in the settings table.");
    }
    static std::string string(const Value& value)
    {
        need(value, Value::Kind::String);
        return value.text;
    }
    /// The --cpus syntax as a string ("0,2-3"; "" for all), or a list of CPU numbers ([0, 2, 3]).
    static CpuList cpus(const Value& value)
    {
        const char* use = "; use a list such as \"0,2-3\" or [0, 2, 3] (\"\" for all).";
        if (value.kind == Value::Kind::String) {
            if (value.text.empty())
                return {};
            if (auto list = parseCpuList(value.text))
                return *list;
            fail(value, "'cpus' is not a list of CPU numbers and ranges: '" + value.text + "'" + use);
        }
        if (value.kind != Value::Kind::Array)
            fail(value, "'cpus' must be a string or a list, not " + kindName(value) + use);
        CpuList list;
        for (const auto& item : value.items) {
            if (item.kind != Value::Kind::Integer || item.integer < 0 || item.integer > maxCpuNumber())
                fail(item, "'cpus' must hold CPU numbers from 0 to " + std::to_string(maxCpuNumber()) + use);
            if (std::find(list.begin(), list.end(), int(item.integer)) == list.end())
                list.push_back(int(item.integer));
        }
        return list;
    }

    void top(const Value& v)
    {
        const auto& key = v.key;
        if (key == "program") {
            const auto program = string(v);
            if (program.empty())
                m_config.execCommand.clear();
            else if (m_config.execCommand.empty())
                m_config.execCommand = { program };
            else
                m_config.execCommand.front() = program;
        } else if (key == "args") {
            need(v, Value::Kind::Array);
            std::vector<std::string> args;
            for (const auto& item : v.items) {
                if (item.kind != Value::Kind::String)
                    fail(item, "'args' must be a list of strings.");
                args.push_back(item.text);
            }
            m_pendingArgs = std::move(args);
            m_argsLine = v.line;
        } else if (key == "cwd") {
            m_config.workingDirectory = string(v);
        } else if (key == "env") {
            need(v, Value::Kind::Table);
            m_config.environment.clear();
            for (const auto& item : v.items) {
                if (item.kind != Value::Kind::String)
                    fail(item, "the environment variable '" + item.key + "' must be a string.");
                if (item.key.empty() || item.key.find('=') != std::string::npos)
                    fail(item, "'" + item.key + "' is not a valid environment variable name.");
                m_config.environment.push_back(item.key + "=" + item.text);
            }
        } else if (key == "workers") {
            m_config.workers = number(v, 0, static_cast<int>(setting(Program::Clusterscope, "--workers").maximum)); // 0: one per core
        } else if (key == "policy") {
            const auto name = string(v);
            const auto policy = parsePolicy(name);
            if (!policy)
                fail(v, "'policy' must be round-robin, least-connections, shared or reuseport, not '" + name + "'.");
            m_config.policy = *policy;
        } else if (key == "port") {
            m_config.port = static_cast<std::uint16_t>(tableNumber(v, "port"));
        } else if (key == "bind") {
            m_config.bindAddress = string(v);
        } else if (key == "chaos") {
            need(v, Value::Kind::Bool);
            m_config.chaos = v.boolean;
        } else if (key == "pin") {
            need(v, Value::Kind::Bool);
            m_config.pin = v.boolean;
        } else if (key == "cpus") {
            m_config.cpus = cpus(v);
        } else if (key == "grace_ms") {
            m_config.gracefulTimeoutMs = tableNumber(v, "grace_ms");
        } else if (key == "heartbeat_ms") {
            m_config.heartbeatTimeoutMs = tableNumber(v, "heartbeat_ms");
        } else if (key == "memory_limit_mb") {
            // 0: no limit (the flag is left out for that), else the flag's range.
            m_config.memoryLimitBytes = static_cast<std::uint64_t>(number(
                                            v, 0, static_cast<long long>(setting(Program::Clusterscope, "--memory-limit").maximum), " MB"))
                << 20;
        } else if (key == "restart") {
            need(v, Value::Kind::Table);
            for (const auto& item : v.items)
                restart(item);
        } else {
            fail(v, "unknown key '" + key
                     + "'; known keys are program, args, cwd, env, workers, policy, port, bind, chaos, pin, cpus, "
                       "grace_ms, heartbeat_ms, memory_limit_mb and [restart].");
        }
        if (m_pendingArgs && !m_config.execCommand.empty()) {
            m_config.execCommand.resize(1);
            m_config.execCommand.insert(m_config.execCommand.end(), m_pendingArgs->begin(), m_pendingArgs->end());
            m_pendingArgs.reset();
        }
    }

    void restart(const Value& v)
    {
        auto& r = m_config.restart;
        if (v.key == "limit")
            r.maxCrashes = tableNumber(v, "restart.limit");
        else if (v.key == "window_ms")
            r.crashWindowMs = tableNumber(v, "restart.window_ms");
        else if (v.key == "backoff_initial_ms") {
            r.backoffInitialMs = number(v, 0, 3600000, " ms");
            m_backoffInitialGiven = true;
        }
        else if (v.key == "backoff_max_ms") {
            // As --backoff-max does: the first delay fits under the longest, unless the file
            // says what the first delay is (then validate() judges the pair).
            r.backoffMaxMs = tableNumber(v, "restart.backoff_max_ms");
            if (!m_backoffInitialGiven)
                r.backoffInitialMs = std::min(r.backoffInitialMs, r.backoffMaxMs);
        }
        else if (v.key == "stable_after_ms")
            r.stableAfterMs = number(v, 0, 86400000, " ms");
        else
            fail(v, "unknown key 'restart." + v.key
                     + "'; known keys are limit, window_ms, backoff_initial_ms, backoff_max_ms and stable_after_ms.");
    }

    std::string m_file;
    ClusterConfig& m_config;
    std::optional<std::vector<std::string>> m_pendingArgs; // args may come before program
    bool m_backoffInitialGiven = false;
    int m_argsLine = 0;
};

// --- writers: the values through the libraries' serializers, the layout ours ----------------

/// A TOML value as toml++ writes it. Strings always as "basic strings" on one line, every
/// control character escaped: the layout stays one key a line, whatever a value holds.
std::string tomlText(const toml::node& node)
{
    std::ostringstream out;
    out << toml::toml_formatter(node, toml::format_flags::allow_unicode_strings);
    return out.str();
}

std::string tomlString(const std::string& text)
{
    return tomlText(toml::value<std::string>(text));
}

/// A bare key when TOML allows one (A-Z a-z 0-9 _ -), else the quoted form, which TOML spells
/// as a basic string.
std::string tomlKey(const std::string& key)
{
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    return bare ? key : tomlString(key);
}

std::string jsonString(std::string_view text)
{
    std::string out;
    appendJsonString(out, text);
    return out;
}

/// NAME=value entries as (NAME, value); written in the order given, which both readers keep.
std::vector<std::pair<std::string, std::string>> environmentPairs(const ClusterConfig& config)
{
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& entry : config.environment) {
        const auto eq = entry.find('=');
        pairs.emplace_back(entry.substr(0, eq), eq == std::string::npos ? std::string() : entry.substr(eq + 1));
    }
    return pairs;
}

/// Whether `text` is valid UTF-8, as Boost.JSON's parser judges a string (its serializer passes
/// the bytes through as they are).
bool isUtf8(std::string_view text)
{
    boost::json::error_code ec;
    boost::json::parse(jsonString(text), ec);
    return !ec;
}

/// Names the first text of `config` that is not UTF-8, if any.
std::optional<std::string> notUtf8(const ClusterConfig& config)
{
    for (std::size_t i = 0; i < config.execCommand.size(); ++i)
        if (!isUtf8(config.execCommand[i]))
            return i == 0 ? std::string("the program") : "argument " + std::to_string(i);
    if (!isUtf8(config.workingDirectory))
        return "the working folder";
    for (const auto& [name, value] : environmentPairs(config)) {
        if (!isUtf8(name))
            return std::string("the name of an environment variable");
        if (!isUtf8(value))
            return "the value of the environment variable '" + name + "'";
    }
    if (!isUtf8(config.bindAddress))
        return "the bind address";
    return std::nullopt;
}

std::string formatToml(const ClusterConfig& config)
{
    const std::string program = config.execCommand.empty() ? std::string() : config.execCommand.front();
    toml::array args;
    for (std::size_t i = 1; i < config.execCommand.size(); ++i)
        args.push_back(config.execCommand[i]);
    std::string env;
    for (const auto& [name, value] : environmentPairs(config))
        env += (env.empty() ? " " : ", ") + tomlKey(name) + " = " + tomlString(value);
    const auto& r = config.restart;
    std::ostringstream out;
    out << "# Clusterscope cluster definition\n"
        << "program = " << tomlString(program) << "   # empty: the built-in worker\n"
        << "args = " << tomlText(args) << "\n"
        << "cwd = " << tomlString(config.workingDirectory) << "\n"
        << "env = {" << env << (env.empty() ? "}" : " }") << "\n"
        << "workers = " << config.workers << "\n"
        << "policy = " << tomlString(std::string(policyName(config.policy))) << "\n"
        << "port = " << config.port << "\n"
        << "bind = " << tomlString(config.bindAddress) << "\n"
        << "chaos = " << (config.chaos ? "true" : "false") << "\n"
        << "pin = " << (config.pin ? "true" : "false") << "\n"
        << "cpus = " << tomlString(formatCpuList(config.cpus)) << "   # empty: all\n"
        << "grace_ms = " << config.gracefulTimeoutMs << "\n"
        << "heartbeat_ms = " << config.heartbeatTimeoutMs << "\n"
        << "memory_limit_mb = " << (config.memoryLimitBytes >> 20) << "\n"
        << "\n[restart]\n"
        << "limit = " << r.maxCrashes << "\n"
        << "window_ms = " << r.crashWindowMs << "\n"
        << "backoff_initial_ms = " << r.backoffInitialMs << "\n"
        << "backoff_max_ms = " << r.backoffMaxMs << "\n"
        << "stable_after_ms = " << r.stableAfterMs << "\n";
    return out.str();
}

std::string formatJson(const ClusterConfig& config)
{
    const std::string program = config.execCommand.empty() ? std::string() : config.execCommand.front();
    boost::json::array args;
    for (std::size_t i = 1; i < config.execCommand.size(); ++i)
        args.emplace_back(boost::json::string_view(config.execCommand[i]));
    std::string env;
    for (const auto& [name, value] : environmentPairs(config))
        env += (env.empty() ? "" : ", ") + jsonString(name) + ": " + jsonString(value);
    const auto& r = config.restart;
    std::ostringstream out;
    out << "{\n"
        << "  \"program\": " << jsonString(program) << ",\n"
        << "  \"args\": " << boost::json::serialize(args) << ",\n"
        << "  \"cwd\": " << jsonString(config.workingDirectory) << ",\n"
        << "  \"env\": {" << env << "},\n"
        << "  \"workers\": " << config.workers << ",\n"
        << "  \"policy\": " << jsonString(policyName(config.policy)) << ",\n"
        << "  \"port\": " << config.port << ",\n"
        << "  \"bind\": " << jsonString(config.bindAddress) << ",\n"
        << "  \"chaos\": " << (config.chaos ? "true" : "false") << ",\n"
        << "  \"pin\": " << (config.pin ? "true" : "false") << ",\n"
        << "  \"cpus\": " << jsonString(formatCpuList(config.cpus)) << ",\n"
        << "  \"grace_ms\": " << config.gracefulTimeoutMs << ",\n"
        << "  \"heartbeat_ms\": " << config.heartbeatTimeoutMs << ",\n"
        << "  \"memory_limit_mb\": " << (config.memoryLimitBytes >> 20) << ",\n"
        << "  \"restart\": {\n"
        << "    \"limit\": " << r.maxCrashes << ",\n"
        << "    \"window_ms\": " << r.crashWindowMs << ",\n"
        << "    \"backoff_initial_ms\": " << r.backoffInitialMs << ",\n"
        << "    \"backoff_max_ms\": " << r.backoffMaxMs << ",\n"
        << "    \"stable_after_ms\": " << r.stableAfterMs << "\n"
        << "  }\n"
        << "}\n";
    return out.str();
}

} // namespace

std::variant<ClusterConfig, ConfigError> parseConfig(std::string_view text, const std::string& fileName,
                                                     const ClusterConfig& base)
{
    Value root;
    try {
        root = isJson(fileName) ? parseJson(text) : parseToml(text, fileName);
    } catch (const ParseFailure& failure) {
        return ConfigError { fileName + ":" + std::to_string(failure.line) + ": " + failure.what };
    }
    ClusterConfig config = base;
    if (auto problem = Applier(fileName, config).apply(root))
        return ConfigError { *problem };
    return config;
}

std::variant<ClusterConfig, ConfigError> loadConfigFile(const std::string& path, const ClusterConfig& base)
{
    const std::string file = "The config file '" + path + "'";
    // Looked at before it is opened: a directory reads as an empty file (the defaults, silently),
    // and a FIFO or a device would block or never end.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ConfigError { file + " does not exist; check the path." };
        return ConfigError { file + " cannot be reached (" + std::strerror(errno)
            + "); check the path and the permissions of its folders." };
    }
    if (S_ISDIR(info.st_mode))
        return ConfigError { file + " is a directory; give the path of a TOML or JSON file." };
    if (!S_ISREG(info.st_mode))
        return ConfigError { file + " is not a regular file; give the path of a TOML or JSON file." };
    const auto text = readSmallFile(path);
    if (!text)
        return ConfigError { file + " cannot be read; check its permissions." };
    return parseConfig(*text, path, base);
}

std::string formatConfig(const ClusterConfig& config, const std::string& fileName)
{
    return isJson(fileName) ? formatJson(config) : formatToml(config);
}

std::string saveConfigFile(const ClusterConfig& config, const std::string& path)
{
    // TOML and JSON hold UTF-8 text only: a file with other bytes could not be read back.
    if (const auto what = notUtf8(config))
        return "The config file '" + path + "' was not written: " + *what
            + " is not UTF-8 text, which TOML and JSON files must be; change it and save again.";
    std::ofstream file(path, std::ios::trunc);
    if (!file)
        return "The config file '" + path + "' cannot be written; check the folder and its permissions.";
    file << formatConfig(config, path);
    file.close();
    if (!file)
        return "Writing the config file '" + path + "' failed; check the free space.";
    return {};
}

} // namespace cs
