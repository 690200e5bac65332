#pragma once
// Checks on text that comes from outside (environment, configs) and ends up in names, paths
// and log lines.
#include <string_view>

namespace podnet {

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool valid_utf8(std::string_view s);

// A C0 control character (including NUL), DEL, or a C1 control (U+0080..U+009F as UTF-8).
bool has_control_char(std::string_view s);

}  // namespace podnet
