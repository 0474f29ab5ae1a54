#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cs {

/// Writes one JSON object on one line, members in the order given: `{"key":value,...}`.
/// Strings and numbers go through appendJsonString and appendJsonNumber (NaN and infinities
/// are null). Construct, add members, close(); a member's value may be another writer on the
/// same string, opened after name().
class JsonObjectWriter {
public:
    explicit JsonObjectWriter(std::string& out);
    void number(std::string_view key, double value, int decimals);
    void number(std::string_view key, const std::optional<double>& value, int decimals); ///< null when absent
    void integer(std::string_view key, long long value);
    void unsignedInteger(std::string_view key, unsigned long long value);
    void boolean(std::string_view key, bool value);
    void string(std::string_view key, std::string_view value);
    /// Starts a member whose value the caller writes next.
    void name(std::string_view key);
    void close();

private:
    std::string& m_out;
    int m_members = 0;
};

} // namespace cs
