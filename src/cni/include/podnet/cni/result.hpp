#pragma once
// The CNI result in podnet's in-memory form (a superset: spec 1.1.0) and its JSON encodings
// for every supported version (0.3.x/0.4.0 carry "version" per IP; 1.1.0 adds interface and
// route fields).
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podnet/cni/error.hpp"
#include "podnet/net/ip.hpp"

namespace podnet::cni {

struct Interface {
  std::string name;
  std::string mac;
  std::optional<int> mtu;  // 1.1.0
  std::string sandbox;     // netns path for the container side; empty for host side
  std::string socket_path; // 1.1.0
  std::string pci_id;      // 1.1.0
  friend bool operator==(const Interface&, const Interface&) = default;
};

struct IpConfig {
  net::Prefix address;  // address with its prefix length
  std::optional<net::IpAddress> gateway;
  std::optional<int> interface;  // index into interfaces
  friend bool operator==(const IpConfig&, const IpConfig&) = default;
};

struct Route {
  net::Prefix dst;
  std::optional<net::IpAddress> gw;
  std::optional<int> mtu;       // 1.1.0
  std::optional<int> advmss;    // 1.1.0
  std::optional<int> priority;  // 1.1.0
  std::optional<int> table;     // 1.1.0
  std::optional<int> scope;     // 1.1.0
  friend bool operator==(const Route&, const Route&) = default;
};

struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
  friend bool operator==(const Dns&, const Dns&) = default;
};

struct Result {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
  friend bool operator==(const Result&, const Result&) = default;
};

// Encodes in the format of `version` (must be supported).
nlohmann::json to_json(const Result& r, std::string_view version);
// Decodes a result of any supported version; errors name the bad field (code 6 decode).
std::expected<Result, CniError> result_from_json(const nlohmann::json& j);

nlohmann::json dns_to_json(const Dns& d);
std::expected<Dns, CniError> dns_from_json(const nlohmann::json& j);
std::expected<Route, CniError> route_from_json(const nlohmann::json& j);
nlohmann::json route_to_json(const Route& r, std::string_view version);

}  // namespace podnet::cni
