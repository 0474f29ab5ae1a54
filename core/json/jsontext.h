#pragma once

#include <string>
#include <string_view>

namespace cs {

/// Appends `text` as a JSON string: quoted, with quotes, backslashes and every control character
/// escaped (Boost.JSON's serializer); UTF-8 passes through as it is.
void appendJsonString(std::string& out, std::string_view text);
/// Appends `value` with `decimals` digits after the point (from 1e15 on, in the shortest exact
/// form with an exponent), or `null` when it is NaN or infinite: JSON has no such numbers, and a
/// reader must not mistake an unknown for a zero.
void appendJsonNumber(std::string& out, double value, int decimals);

} // namespace cs
