#include "json/jsontext.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>

namespace cs {

void appendJsonString(std::string& out, std::string_view text)
{
    out += boost::json::serialize(boost::json::string_view(text.data(), text.size()));
}

void appendJsonNumber(std::string& out, double value, int decimals)
{
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    // Fixed decimals, not Boost.JSON's shortest form: 1.25E1 is valid JSON but unkind to a reader.
    // From 1e15 on a double has no digits after the point to show, and 300 digits written out in
    // full are more than some readers take (Boost 1.81's parser reads DBL_MAX so as infinity):
    // there, the shortest exact form with an exponent.
    char buffer[64];
    if (std::abs(value) >= 1e15) {
        const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
        out.append(buffer, end);
        return;
    }
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, value);
    out += buffer;
}

} // namespace cs
