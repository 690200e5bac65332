#pragma once
// Lays out DOT text with Graphviz in-process (libgvc's "dot" layout) and renders it as SVG.
#include <string>
#include <string_view>

#include "podnet/common/error.hpp"

namespace podnet::ctl {

// The SVG document of `dot`; error with Graphviz's own message when the text does not parse or
// the layout/renderer plugins are missing.
Result<std::string> render_svg(std::string_view dot);

}  // namespace podnet::ctl
