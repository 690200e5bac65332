#include "graph_render.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>

namespace podnet::ctl {

namespace {

// Graphviz reports through a process-wide callback; podnetctl renders once per run.
std::string& graphviz_errors() {
  static std::string text;
  return text;
}

int collect_error(char* message) {
  graphviz_errors() += message;
  return 0;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

struct GvcFree {
  void operator()(GVC_t* c) const { gvFreeContext(c); }
};
struct GraphClose {
  void operator()(Agraph_t* g) const { agclose(g); }
};

}  // namespace

Result<std::string> render_svg(std::string_view dot) {
  graphviz_errors().clear();
  agseterr(AGERR);  // warnings (e.g. about fonts) are not failures
  agseterrf(collect_error);
  std::unique_ptr<GVC_t, GvcFree> gvc(gvContext());
  if (!gvc) return fail("graph: cannot start Graphviz (gvContext)");
  const std::string text(dot);  // agmemread wants a NUL-terminated string
  std::unique_ptr<Agraph_t, GraphClose> g(agmemread(text.c_str()));
  if (!g) return fail("graph: Graphviz cannot read the DOT text: " + trimmed(graphviz_errors()));
  if (gvLayout(gvc.get(), g.get(), "dot") != 0)
    return fail("graph: Graphviz layout \"dot\" failed: " + trimmed(graphviz_errors()));
  char* data = nullptr;
  unsigned int length = 0;
  const int rc = gvRenderData(gvc.get(), g.get(), "svg", &data, &length);
  std::string svg = rc == 0 && data ? std::string(data, length) : std::string();
  gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0 || svg.empty())
    return fail("graph: Graphviz cannot render SVG: " + trimmed(graphviz_errors()));
  return svg;
}

}  // namespace podnet::ctl
