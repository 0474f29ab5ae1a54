#include "json/jsonobjectwriter.h"

#include "json/jsontext.h"

namespace cs {

JsonObjectWriter::JsonObjectWriter(std::string& out) : m_out(out)
{
    m_out.push_back('{');
}

void JsonObjectWriter::number(std::string_view key, double value, int decimals)
{
    name(key);
    appendJsonNumber(m_out, value, decimals);
}

void JsonObjectWriter::number(std::string_view key, const std::optional<double>& value, int decimals)
{
    name(key);
    if (value)
        appendJsonNumber(m_out, *value, decimals);
    else
        m_out += "null";
}

void JsonObjectWriter::integer(std::string_view key, long long value)
{
    name(key);
    m_out += std::to_string(value);
}

void JsonObjectWriter::unsignedInteger(std::string_view key, unsigned long long value)
{
    name(key);
    m_out += std::to_string(value);
}

void JsonObjectWriter::boolean(std::string_view key, bool value)
{
    name(key);
    m_out += value ? "true" : "false";
}

void JsonObjectWriter::string(std::string_view key, std::string_view value)
{
    name(key);
    appendJsonString(m_out, value);
}

void JsonObjectWriter::name(std::string_view key)
{
    if (m_members++)
        m_out.push_back(',');
    appendJsonString(m_out, key);
    m_out.push_back(':');
}

void JsonObjectWriter::close()
{
    m_out.push_back('}');
}

} // namespace cs
