#pragma once

// The fields of the control protocol's JSON lines, read leniently: a missing or mistyped field
// is its default. For the readers in this folder (the attached viewer, ctl), not a public API.

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace cs::control::fields {

inline double number(const boost::json::object& o, std::string_view key, double otherwise = 0)
{
    const auto* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : otherwise;
}

inline std::string text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// A line as a JSON object; nullopt when it is not one.
inline std::optional<boost::json::object> object(std::string_view line)
{
    boost::json::error_code ec;
    boost::json::value value = boost::json::parse(line, ec);
    if (ec || !value.is_object())
        return std::nullopt;
    return std::move(value.get_object());
}

} // namespace cs::control::fields
