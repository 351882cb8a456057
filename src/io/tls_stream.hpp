// A TLS client connection over non-blocking TCP (OpenSSL), for an event loop: connect, handshake
// with the server's certificate verified against a CA file and its name (an IP address or a
// host name) checked, optionally our own certificate presented, then bytes both ways. RadSec
// (RADIUS over TLS, RFC 6614) is what uses it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/unique_fd.hpp"

typedef struct ssl_st SSL;          // NOLINT: OpenSSL's own names
typedef struct ssl_ctx_st SSL_CTX;  // NOLINT

namespace tandem::io {

struct TlsSettings {
  Endpoint peer;
  std::string ca_file;      // the CA the server's certificate must chain to
  std::string server_name;  // what its certificate must name; empty: the peer's address
  std::string certificate;  // ours, PEM (with private_key), when the server asks for one
  std::string private_key;
};

class TlsStream {
 public:
  // Starts connecting; the loop then calls pump() whenever fd() is readable or (wants_write())
  // writable.
  static Result<std::unique_ptr<TlsStream>, std::string> connect(const TlsSettings& settings);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  int fd() const { return fd_.get(); }
  bool open() const { return state_ == State::kOpen; }
  // Bytes waiting to go out, or a handshake that needs to write.
  bool wants_write() const;
  // Queues bytes; they go out once the handshake is done.
  void write(ByteView bytes);
  // Moves the connection on: connect, handshake, flush, and read what arrived into `in`. An
  // error (the connection is then useless) names the cause: refused, certificate, closed.
  Result<Ok, std::string> pump(std::vector<std::byte>& in);

 private:
  enum class State : unsigned char { kConnecting, kHandshaking, kOpen };
  TlsStream(UniqueFd fd, SSL_CTX* ctx, SSL* ssl, std::string peer);
  Result<Ok, std::string> handshake();
  Result<Ok, std::string> flush();
  // OpenSSL's error queue, with the verification result when a certificate was refused.
  std::string ssl_error(const char* what, int rc);

  UniqueFd fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::string peer_;
  State state_ = State::kConnecting;
  bool handshake_wants_write_ = true;
  std::vector<std::byte> out_;
};

}  // namespace tandem::io
