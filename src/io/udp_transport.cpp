#include "io/udp_transport.hpp"

#include <cerrno>

namespace tandem::io {
namespace {

constexpr int kMaxPortRetries = 100;

// Missing kernel support for a family is not an error as long as the other one works.
bool family_unavailable(int err) {
  return err == EAFNOSUPPORT || err == EADDRNOTAVAIL;
}

}  // namespace

Result<UdpTransport, std::string> UdpTransport::open(std::uint16_t port, std::uint32_t fwmark) {
  for (int attempt = 0;; ++attempt) {
    UdpTransport t;
    t.fwmark_ = fwmark;
    auto v4 = UdpSocket::try_bind(IpAddress::Family::kV4, port, fwmark);
    if (v4) {
      t.v4_.emplace(std::move(v4).value());
    } else if (!family_unavailable(v4.error().code)) {
      return Err{v4.error().text};
    }
    const std::uint16_t v6_port = t.v4_ ? t.v4_->port() : port;
    auto v6 = UdpSocket::try_bind(IpAddress::Family::kV6, v6_port, fwmark);
    if (v6) {
      t.v6_.emplace(std::move(v6).value());
    } else if (v6.error().code == EADDRINUSE && port == 0 && t.v4_ &&
               attempt + 1 < kMaxPortRetries) {
      continue;  // the kernel's IPv4 pick is taken on IPv6; try another pick
    } else if (!family_unavailable(v6.error().code) || !t.v4_) {
      return Err{v6.error().text};
    }
    t.port_ = t.v4_ ? t.v4_->port() : t.v6_->port();
    return t;
  }
}

template <typename Set>
Result<Ok, std::string> UdpTransport::on_both(Set set) {
  for (UdpSocket* s : {v4(), v6()}) {
    if (s == nullptr) continue;
    if (auto r = set(*s); !r) return Err{r.error()};
  }
  return Ok{};
}

Result<Ok, std::string> UdpTransport::set_fwmark(std::uint32_t mark) {
  auto r = on_both([mark](UdpSocket& s) { return s.set_fwmark(mark); });
  if (r) fwmark_ = mark;
  return r;
}

Result<Ok, std::string> UdpTransport::enable_path_mtu_discovery() {
  auto r = on_both([](UdpSocket& s) { return s.enable_path_mtu_discovery(); });
  if (r) path_mtu_discovery_ = true;
  return r;
}

Result<Ok, std::string> UdpTransport::enable_gro() {
  auto r = on_both([](UdpSocket& s) { return s.enable_gro(); });
  if (r) gro_ = true;
  return r;
}

void UdpTransport::set_gso(bool on) {
  for (UdpSocket* s : {v4(), v6()})
    if (s != nullptr) s->set_gso(on);
  gso_ = on;
}

// The options set on the sockets before, on freshly bound ones.
Result<Ok, std::string> UdpTransport::reapply(bool path_mtu_discovery, bool gro, bool gso) {
  set_gso(gso);
  Result<Ok, std::string> pmtud = Ok{};
  if (path_mtu_discovery) pmtud = enable_path_mtu_discovery();
  if (gro) {
    if (auto r = enable_gro(); !r) return r;
  }
  return pmtud;
}

Result<Ok, std::string> UdpTransport::rebind(std::uint16_t port) {
  // Binding the same port again while the old sockets are open would fail, so they go first;
  // if the new bind fails we restore the old port (best effort: someone may have taken it).
  const std::uint16_t old_port = port_;
  const bool path_mtu_discovery = path_mtu_discovery_;
  const bool gro = gro_;
  const bool gso = gso_;
  v4_.reset();
  v6_.reset();
  auto fresh = open(port, fwmark_);
  if (!fresh) {
    if (auto back = open(old_port, fwmark_)) {
      *this = std::move(back).value();
      (void)reapply(path_mtu_discovery, gro, gso);
    }
    return Err{fresh.error()};
  }
  *this = std::move(fresh).value();
  return reapply(path_mtu_discovery, gro, gso);
}

SendResult UdpTransport::send_batch(PacketBatch& batch) {
  SendResult total;
  std::size_t begin = 0;
  while (begin < batch.size()) {
    const IpAddress::Family family = batch[begin].endpoint.address.family();
    std::size_t end = begin + 1;
    while (end < batch.size() && batch[end].endpoint.address.family() == family) ++end;
    if (UdpSocket* s = socket_for(family)) {
      const SendResult r = s->send_batch(batch, begin, end);
      total.sent += r.sent;
      total.failed += r.failed;
      if (total.first_error == 0) total.first_error = r.first_error;
    } else {
      total.failed += end - begin;
      if (total.first_error == 0) total.first_error = EAFNOSUPPORT;
    }
    begin = end;
  }
  return total;
}

}  // namespace tandem::io
