#include "cli/configfile.h"

#include "metrics/procstat.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <sys/stat.h>

namespace cs {
namespace {

/// A parsed value that remembers where it stood, so every error can name its line.
struct Value {
    enum class Kind { String, Integer, Bool, Array, Table };
    Kind kind = Kind::Table;
    std::string key; ///< when it is a member of a table
    int line = 1;
    std::string text;
    long long integer = 0;
    bool boolean = false;
    std::vector<Value> items; ///< array elements, or table members
};

const char* kindName(Value::Kind kind)
{
    switch (kind) {
    case Value::Kind::String:
        return "a string";
    case Value::Kind::Integer:
        return "a number";
    case Value::Kind::Bool:
        return "true or false";
    case Value::Kind::Array:
        return "a list";
    case Value::Kind::Table:
        return "a table";
    }
    return "?";
}

struct ParseFailure {
    int line;
    std::string what;
};

/// The part both formats share: scalars, strings with escapes, line counting.
class Scanner {
public:
    explicit Scanner(std::string_view text) : m_text(text) { }
    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek() const { return atEnd() ? '\0' : m_text[m_pos]; }
    char get()
    {
        const char c = m_text[m_pos++];
        if (c == '\n')
            ++m_line;
        return c;
    }
    int line() const { return m_line; }
    void skipSpaces(bool newlines)
    {
        while (!atEnd()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n'))
                get();
            else if (c == '#' && m_hashComments)
                while (!atEnd() && peek() != '\n')
                    get();
            else
                break;
        }
    }
    void setHashComments(bool on) { m_hashComments = on; }
    [[noreturn]] void fail(const std::string& what) const { throw ParseFailure { m_line, what }; }
    void expect(char c)
    {
        if (peek() != c)
            fail(std::string("expected '") + c + "'" + (atEnd() ? " before the end of the file" : ""));
        get();
    }

    std::string quoted()
    {
        expect('"');
        std::string out;
        for (;;) {
            if (atEnd() || peek() == '\n')
                fail("a string is not closed");
            char c = get();
            if (c == '"')
                return out;
            if (c == '\\') {
                if (atEnd())
                    fail("a string is not closed");
                switch (c = get()) {
                case 'n':
                    out += '\n';
                    break;
                case 't':
                    out += '\t';
                    break;
                case '"':
                case '\\':
                case '/':
                    out += c;
                    break;
                default:
                    fail(std::string("unknown escape \\") + c + " in a string");
                }
                continue;
            }
            out += c;
        }
    }

    /// A number, true/false (and, for JSON, null is refused with a reason).
    Value scalar()
    {
        Value value;
        value.line = m_line;
        if (peek() == '"') {
            value.kind = Value::Kind::String;
            value.text = quoted();
            return value;
        }
        std::string word;
        while (!atEnd() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '-' || peek() == '+'
                            || peek() == '_' || peek() == '.'))
            word += get();
        if (word == "true" || word == "false") {
            value.kind = Value::Kind::Bool;
            value.boolean = word == "true";
            return value;
        }
        long long number = 0;
        const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), number);
        if (!word.empty() && ec == std::errc {} && ptr == word.data() + word.size()) {
            value.kind = Value::Kind::Integer;
            value.integer = number;
            return value;
        }
        fail(word.empty() ? "expected a value" : "'" + word + "' is not a value (strings need quotes)");
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
    int m_line = 1;
    bool m_hashComments = false;
};

Value parseJsonValue(Scanner& in);

Value parseJson(std::string_view text)
{
    Scanner in(text);
    in.skipSpaces(true);
    Value root = parseJsonValue(in);
    if (root.kind != Value::Kind::Table)
        in.fail("the file must hold one JSON object");
    in.skipSpaces(true);
    if (!in.atEnd())
        in.fail("unexpected text after the JSON object");
    return root;
}

Value parseJsonValue(Scanner& in)
{
    Value value;
    value.line = in.line();
    if (in.peek() == '{') {
        in.get();
        value.kind = Value::Kind::Table;
        in.skipSpaces(true);
        if (in.peek() == '}') {
            in.get();
            return value;
        }
        for (;;) {
            in.skipSpaces(true);
            const int line = in.line();
            std::string key = in.quoted();
            in.skipSpaces(true);
            in.expect(':');
            in.skipSpaces(true);
            Value member = parseJsonValue(in);
            member.key = std::move(key);
            member.line = line;
            value.items.push_back(std::move(member));
            in.skipSpaces(true);
            if (in.peek() == ',') {
                in.get();
                continue;
            }
            in.expect('}');
            return value;
        }
    }
    if (in.peek() == '[') {
        in.get();
        value.kind = Value::Kind::Array;
        in.skipSpaces(true);
        if (in.peek() == ']') {
            in.get();
            return value;
        }
        for (;;) {
            in.skipSpaces(true);
            value.items.push_back(parseJsonValue(in));
            in.skipSpaces(true);
            if (in.peek() == ',') {
                in.get();
                continue;
            }
            in.expect(']');
            return value;
        }
    }
    return in.scalar();
}

Value parseTomlValue(Scanner& in);

/// `key = value`, the key bare or quoted.
Value parseTomlMember(Scanner& in, const char* missingKey)
{
    const int line = in.line();
    std::string key;
    if (in.peek() == '"')
        key = in.quoted();
    else
        while (std::isalnum(static_cast<unsigned char>(in.peek())) || in.peek() == '_' || in.peek() == '-')
            key += in.get();
    if (key.empty())
        in.fail(missingKey);
    in.skipSpaces(false);
    in.expect('=');
    in.skipSpaces(false);
    Value member = parseTomlValue(in);
    member.key = std::move(key);
    member.line = line;
    return member;
}

Value parseTomlValue(Scanner& in)
{
    if (in.peek() == '[') {
        Value array;
        array.kind = Value::Kind::Array;
        array.line = in.line();
        in.get();
        for (;;) {
            in.skipSpaces(true);
            if (in.peek() == ']') {
                in.get();
                return array;
            }
            array.items.push_back(parseTomlValue(in));
            in.skipSpaces(true);
            if (in.peek() == ',')
                in.get();
            else if (in.peek() != ']')
                in.fail("expected ',' or ']' in a list");
        }
    }
    if (in.peek() == '{') {
        Value table;
        table.kind = Value::Kind::Table;
        table.line = in.line();
        in.get();
        for (;;) {
            in.skipSpaces(false);
            if (in.peek() == '}') {
                in.get();
                return table;
            }
            table.items.push_back(parseTomlMember(in, "expected a key in an inline table"));
            in.skipSpaces(false);
            if (in.peek() == ',')
                in.get();
            else if (in.peek() != '}')
                in.fail("expected ',' or '}' in an inline table");
        }
    }
    return in.scalar();
}

Value parseToml(std::string_view text)
{
    Scanner in(text);
    in.setHashComments(true);
    Value root;
    Value* table = &root;
    for (;;) {
        in.skipSpaces(true);
        if (in.atEnd())
            return root;
        const int line = in.line();
        if (in.peek() == '[') {
            in.get();
            std::string name;
            while (!in.atEnd() && in.peek() != ']' && in.peek() != '\n')
                name += in.get();
            in.expect(']');
            Value section;
            section.kind = Value::Kind::Table;
            section.key = name;
            section.line = line;
            root.items.push_back(std::move(section));
            table = &root.items.back();
        } else {
            table->items.push_back(parseTomlMember(in, "expected 'key = value'"));
        }
        in.skipSpaces(false);
        if (!in.atEnd() && in.peek() != '\n')
            in.fail("unexpected text after a value");
    }
}

bool isJson(const std::string& fileName)
{
    return fileName.size() >= 5 && fileName.compare(fileName.size() - 5, 5, ".json") == 0;
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
            fail(value, "'" + value.key + "' must be " + kindName(kind) + ", not " + kindName(value.kind) + ".");
    }
    static int number(const Value& value, long long min, long long max, const char* unit = "")
    {
        need(value, Value::Kind::Integer);
        if (value.integer < min || value.integer > max)
            fail(value, "'" + value.key + "' must be from " + std::to_string(min) + " to " + std::to_string(max) + unit
                     + ", not " + std::to_string(value.integer) + ".");
        return static_cast<int>(value.integer);
    }
    static std::string string(const Value& value)
    {
        need(value, Value::Kind::String);
        return value.text;
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
            m_config.workers = number(v, 0, 256); // 0: one per core
        } else if (key == "policy") {
            const auto name = string(v);
            const auto policy = parsePolicy(name);
            if (!policy)
                fail(v, "'policy' must be round-robin, least-connections, shared or reuseport, not '" + name + "'.");
            m_config.policy = *policy;
        } else if (key == "port") {
            m_config.port = static_cast<std::uint16_t>(number(v, 0, 65535));
        } else if (key == "bind") {
            m_config.bindAddress = string(v);
        } else if (key == "chaos") {
            need(v, Value::Kind::Bool);
            m_config.chaos = v.boolean;
        } else if (key == "grace_ms") {
            m_config.gracefulTimeoutMs = number(v, 0, 3600000, " ms");
        } else if (key == "heartbeat_ms") {
            m_config.heartbeatTimeoutMs = number(v, 200, 3600000, " ms");
        } else if (key == "memory_limit_mb") {
            m_config.memoryLimitBytes = static_cast<std::uint64_t>(number(v, 0, 1 << 20, " MB")) << 20;
        } else if (key == "restart") {
            need(v, Value::Kind::Table);
            for (const auto& item : v.items)
                restart(item);
        } else {
            fail(v, "unknown key '" + key
                     + "'; known keys are program, args, cwd, env, workers, policy, port, bind, chaos, grace_ms, "
                       "heartbeat_ms, memory_limit_mb and [restart].");
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
            r.maxCrashes = number(v, 1, 100000);
        else if (v.key == "window_ms")
            r.crashWindowMs = number(v, 1, 86400000, " ms");
        else if (v.key == "backoff_initial_ms")
            r.backoffInitialMs = number(v, 0, 3600000, " ms");
        else if (v.key == "backoff_max_ms")
            r.backoffMaxMs = number(v, 0, 3600000, " ms");
        else if (v.key == "stable_after_ms")
            r.stableAfterMs = number(v, 0, 86400000, " ms");
        else
            fail(v, "unknown key 'restart." + v.key
                     + "'; known keys are limit, window_ms, backoff_initial_ms, backoff_max_ms and stable_after_ms.");
    }

    std::string m_file;
    ClusterConfig& m_config;
    std::optional<std::vector<std::string>> m_pendingArgs; // args may come before program
    int m_argsLine = 0;
};

std::string quote(const std::string& text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

} // namespace

std::variant<ClusterConfig, ConfigError> parseConfig(std::string_view text, const std::string& fileName,
                                                     const ClusterConfig& base)
{
    Value root;
    try {
        root = isJson(fileName) ? parseJson(text) : parseToml(text);
    } catch (const ParseFailure& failure) {
        return ConfigError { fileName + ":" + std::to_string(failure.line) + ": " + failure.what + "." };
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
    const bool json = isJson(fileName);
    std::string program = config.execCommand.empty() ? std::string() : config.execCommand.front();
    std::string args;
    for (std::size_t i = 1; i < config.execCommand.size(); ++i)
        args += (i > 1 ? ", " : "") + quote(config.execCommand[i]);
    std::string env;
    for (std::size_t i = 0; i < config.environment.size(); ++i) {
        const auto& entry = config.environment[i];
        const auto eq = entry.find('=');
        env += (i ? ", " : "") + quote(entry.substr(0, eq)) + (json ? ": " : " = ") + quote(entry.substr(eq + 1));
    }
    const auto& r = config.restart;
    std::ostringstream out;
    if (json) {
        out << "{\n  \"program\": " << quote(program) << ",\n  \"args\": [" << args << "],\n  \"cwd\": "
            << quote(config.workingDirectory) << ",\n  \"env\": {" << env << "},\n  \"workers\": " << config.workers
            << ",\n  \"policy\": " << quote(std::string(policyName(config.policy))) << ",\n  \"port\": " << config.port
            << ",\n  \"bind\": " << quote(config.bindAddress) << ",\n  \"chaos\": " << (config.chaos ? "true" : "false")
            << ",\n  \"grace_ms\": " << config.gracefulTimeoutMs << ",\n  \"heartbeat_ms\": " << config.heartbeatTimeoutMs
            << ",\n  \"memory_limit_mb\": " << (config.memoryLimitBytes >> 20) << ",\n  \"restart\": {\n    \"limit\": "
            << r.maxCrashes << ",\n    \"window_ms\": " << r.crashWindowMs << ",\n    \"backoff_initial_ms\": "
            << r.backoffInitialMs << ",\n    \"backoff_max_ms\": " << r.backoffMaxMs << ",\n    \"stable_after_ms\": "
            << r.stableAfterMs << "\n  }\n}\n";
    } else {
        out << "# Clusterscope cluster definition\nprogram = " << quote(program)
            << "   # empty: the built-in worker\nargs = [" << args << "]\ncwd = " << quote(config.workingDirectory)
            << "\nenv = {" << env << "}\nworkers = " << config.workers << "\npolicy = "
            << quote(std::string(policyName(config.policy))) << "\nport = " << config.port
            << "\nbind = " << quote(config.bindAddress) << "\nchaos = " << (config.chaos ? "true" : "false")
            << "\ngrace_ms = " << config.gracefulTimeoutMs << "\nheartbeat_ms = " << config.heartbeatTimeoutMs
            << "\nmemory_limit_mb = " << (config.memoryLimitBytes >> 20) << "\n\n[restart]\nlimit = " << r.maxCrashes
            << "\nwindow_ms = " << r.crashWindowMs << "\nbackoff_initial_ms = " << r.backoffInitialMs
            << "\nbackoff_max_ms = " << r.backoffMaxMs << "\nstable_after_ms = " << r.stableAfterMs << "\n";
    }
    return out.str();
}

std::string saveConfigFile(const ClusterConfig& config, const std::string& path)
{
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
