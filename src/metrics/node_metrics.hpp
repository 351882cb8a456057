// A node's status as Prometheus metric families: the documents `tandem status --json` shows,
// read at one moment, become one scrape. WireGuard peers keep the names
// prometheus_wireguard_exporter gives them (wireguard_sent_bytes_total, ...) so dashboards built
// for it work; everything else is tandem_*. Every configured peer, account, path and session the
// documents list is exported, down ones with 0, so a series never vanishes while it is down.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/uapi_status.hpp"

namespace tandem::metrics {

struct NodeStatus {
  // WireGuard interfaces: the UAPI get with Tandem's "status" merged in (uapi_status.hpp).
  std::vector<control::InterfaceStatus> wireguard;
  // The hybrid, L2TP and IPsec interfaces' status documents, as their sockets answer them.
  std::vector<nlohmann::json> documents;
  std::int64_t now_unix = 0;  // for whether a WireGuard session is still current
};

// The exposition text (exposition.hpp) of the whole node.
std::string node_metrics_text(const NodeStatus& status);

}  // namespace tandem::metrics
