#pragma once
// The objects of an `apply -f` / `delete -f` file: Services (v1) and Deployments (apps/v1),
// in file order. A Deployment may be podnet's shape (spec.port, spec.selector as a label map)
// or Kubernetes' (spec.selector.matchLabels, spec.template with the container's port). Pure.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/documents.hpp"
#include "podnet/cluster/deployment.hpp"
#include "podnet/cluster/objects.hpp"
#include "podnet/common/error.hpp"

namespace podnet::ctl {

enum class ObjectKind { service, deployment };

struct ObjectRef {
  ObjectKind kind;
  size_t index;  // into Manifest::services or ::deployments
};

struct Manifest {
  std::vector<cluster::Service> services;
  std::vector<cluster::Deployment> deployments;
  std::vector<ObjectRef> order;  // file order
};

// Objects without metadata.namespace go to `ns`. A given namespace that differs from an
// explicit -n is refused as kubectl does (`explicit_ns`: -n was on the command line). Errors
// name the file and the object: "web.yaml: object 2 (Service web): spec.ports[0].port: ...".
Result<Manifest> manifest_from_documents(std::vector<nlohmann::json> docs, std::string_view what,
                                         std::string_view ns, bool explicit_ns);

// The same from the file's text (read_documents' formats and limits), converting each object
// as it is read rather than holding the whole file as JSON first.
Result<Manifest> manifest_from_text(std::string_view text, std::string_view what,
                                    std::string_view ns, bool explicit_ns,
                                    const DocumentLimits& limits = {});

// One Deployment in either shape (see above); `doc` has its namespace already.
Result<cluster::Deployment> deployment_from_manifest(const nlohmann::json& doc);

// kubectl's resource words: "service/web", "deployment.apps/web"; for messages
// `service "web"`, `deployment.apps "web"`.
std::string_view resource_of(ObjectKind k);  // "service", "deployment.apps"

// The object as kubectl prints it in a List: apiVersion and kind added to the stored shape.
nlohmann::json with_type(nlohmann::json stored, std::string_view api_version,
                         std::string_view kind);

}  // namespace podnet::ctl
