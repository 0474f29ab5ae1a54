// The one translation unit that compiles Boost.JSON (header-only, no libboost_json at run time).
#include <boost/json/src.hpp>
