#include "json/jsontext.h"

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
    // Room for the largest double written out in full (309 digits) and up to 17 decimals.
    char buffer[352];
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, value);
    out += buffer;
}

} // namespace cs
