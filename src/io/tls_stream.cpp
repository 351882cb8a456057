#include "io/tls_stream.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

#include "io/socket_address.hpp"

namespace tandem::io {
namespace {

std::string openssl_errors() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += (text.empty() ? "" : "; ") + std::string(buf);
  }
  return text;
}

}  // namespace

Result<std::unique_ptr<TlsStream>, std::string> TlsStream::connect(const TlsSettings& s) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Err("TLS: " + openssl_errors());
  const auto fail = [&](std::string why) {
    SSL_CTX_free(ctx);
    return Err(std::move(why));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1)
    return fail("TLS: cannot read the CA file " + s.ca_file + ": " + openssl_errors());
  if (!s.certificate.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, s.certificate.c_str()) != 1)
      return fail("TLS: cannot read the certificate " + s.certificate + ": " + openssl_errors());
    if (SSL_CTX_use_PrivateKey_file(ctx, s.private_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
      return fail("TLS: the private key " + s.private_key + " is unreadable or not the " +
                  s.certificate + "'s: " + openssl_errors());
  }
  const int fd = ::socket(s.peer.address.is_v4() ? AF_INET : AF_INET6,
                          SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno_text("socket", errno));
  UniqueFd owned(fd);
  sockaddr_storage addr{};
  const socklen_t len = to_sockaddr(s.peer, addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS)
    return fail(errno_text("connect to " + s.peer.to_string(), errno));
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return fail("TLS: " + openssl_errors());
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const std::string name = s.server_name.empty() ? s.peer.address.to_string() : s.server_name;
  const bool ip = IpAddress::parse(name).has_value();
  if (ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1
         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) != 1) {
    SSL_free(ssl);
    return fail("TLS: cannot check the server's name " + name);
  }
  // SSL_set_tlsext_host_name, without its macro's C cast.
  if (!ip)
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  SSL_set_connect_state(ssl);
  return std::unique_ptr<TlsStream>(new TlsStream(std::move(owned), ctx, ssl, s.peer.to_string()));
}

TlsStream::TlsStream(UniqueFd fd, SSL_CTX* ctx, SSL* ssl, std::string peer)
    : fd_(std::move(fd)), ctx_(ctx), ssl_(ssl), peer_(std::move(peer)) {}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

bool TlsStream::wants_write() const {
  switch (state_) {
    case State::kConnecting:
      return true;
    case State::kHandshaking:
      return handshake_wants_write_;
    case State::kOpen:
      return !out_.empty();
  }
  return false;
}

void TlsStream::write(ByteView bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

std::string TlsStream::ssl_error(const char* what, int rc) {
  const int code = SSL_get_error(ssl_, rc);
  std::string text = std::string(what) + " with " + peer_ + ": ";
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK)
    return text + "its certificate was refused: " + X509_verify_cert_error_string(verify);
  if (code == SSL_ERROR_ZERO_RETURN) return text + "closed by the server";
  if (code == SSL_ERROR_SYSCALL)
    return text + (errno ? errno_text("connection", errno) : std::string("connection closed"));
  const std::string queued = openssl_errors();
  return text + (queued.empty() ? "TLS error " + std::to_string(code) : queued);
}

Result<Ok, std::string> TlsStream::handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = State::kOpen;
    return Ok{};
  }
  const int code = SSL_get_error(ssl_, rc);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    handshake_wants_write_ = code == SSL_ERROR_WANT_WRITE;
    return Ok{};
  }
  return Err(ssl_error("TLS handshake", rc));
}

Result<Ok, std::string> TlsStream::flush() {
  while (!out_.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, out_.data(), static_cast<int>(out_.size()));
    if (n > 0) {
      out_.erase(out_.begin(), out_.begin() + n);
      continue;
    }
    const int code = SSL_get_error(ssl_, n);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return Ok{};
    return Err(ssl_error("TLS write", n));
  }
  return Ok{};
}

Result<Ok, std::string> TlsStream::pump(std::vector<std::byte>& in) {
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return Ok{};
    if (err) return Err(errno_text("connect to " + peer_, err));
    state_ = State::kHandshaking;
  }
  if (state_ == State::kHandshaking) {
    if (auto ok = handshake(); !ok) return ok;
    if (state_ != State::kOpen) return Ok{};
  }
  if (auto ok = flush(); !ok) return ok;
  std::byte buf[4096];
  while (true) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      in.insert(in.end(), buf, buf + n);
      continue;
    }
    const int code = SSL_get_error(ssl_, n);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return Ok{};
    return Err(ssl_error("TLS read", n));
  }
}

}  // namespace tandem::io
