// The store's error: a kind a caller can act on, and a message for the operator that names the
// cause and what to do about it. Messages never carry a secret.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace tandem::store {

struct Error {
  enum class Code : std::uint8_t {
    kInvalid,    // the request itself is wrong (an empty name, an IPv6 address as ipv4)
    kNotFound,   // no such account or key
    kConflict,   // a name, key or address that another account already has
    kExhausted,  // a pool has no free address left
    kBusy,       // another writer held the database past the busy timeout
    kDatabase,   // the database failed (I/O error, corruption, a newer schema)
  };
  Code code = Code::kDatabase;
  std::string message;
};

template <typename T>
using StoreResult = Result<T, Error>;

}  // namespace tandem::store
