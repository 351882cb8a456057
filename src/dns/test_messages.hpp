// DNS messages for the tests, built by ldns (an independent encoder): queries with or without
// EDNS(0), and answers to them of any size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "dns/ldns.hpp"

namespace tandem::dns::testing {

inline std::vector<std::byte> to_wire(ldns_pkt* p) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  std::vector<std::byte> out;
  if (ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK) {
    const auto* b = reinterpret_cast<const std::byte*>(wire);
    out.assign(b, b + size);
  }
  std::free(wire);
  ldns_pkt_free(p);
  return out;
}

inline ldns_pkt* from_wire(const std::vector<std::byte>& m) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, reinterpret_cast<const std::uint8_t*>(m.data()), m.size()) !=
      LDNS_STATUS_OK)
    return nullptr;
  return p;
}

// A recursive query for `name`; with an OPT record offering `edns_size` when given.
inline std::vector<std::byte> make_query(const std::string& name, std::uint16_t id,
                                         ldns_rr_type type = LDNS_RR_TYPE_A,
                                         std::optional<std::uint16_t> edns_size = std::nullopt) {
  ldns_pkt* p =
      ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(p, id);
  if (edns_size) ldns_pkt_set_edns_udp_size(p, *edns_size);
  return to_wire(p);
}

struct AnswerShape {
  int records = 1;  // A records 10.0.x.y for the question's name
  bool tc = false;
  ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
  std::optional<std::uint16_t> id;  // the query's when not given

  static AnswerShape of(int records) {
    AnswerShape shape;
    shape.records = records;
    return shape;
  }
  AnswerShape& truncated() {
    tc = true;
    return *this;
  }
  AnswerShape& with_rcode(ldns_pkt_rcode r) {
    rcode = r;
    return *this;
  }
  AnswerShape& with_id(std::uint16_t i) {
    id = i;
    return *this;
  }
};

// An answer to `query` (its question and OPT kept).
inline std::vector<std::byte> make_answer(const std::vector<std::byte>& query,
                                          AnswerShape shape = {}) {
  ldns_pkt* p = from_wire(query);
  if (p == nullptr) return {};
  ldns_pkt_set_qr(p, true);
  ldns_pkt_set_ra(p, true);
  ldns_pkt_set_tc(p, shape.tc);
  ldns_pkt_set_rcode(p, static_cast<std::uint8_t>(shape.rcode));
  if (shape.id) ldns_pkt_set_id(p, *shape.id);
  ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(p), 0);
  char* owner = ldns_rdf2str(ldns_rr_owner(question));
  for (int i = 0; i < shape.records; ++i) {
    ldns_rr* rr = nullptr;
    const std::string text = std::string(owner) + " 300 IN A 10.0." + std::to_string(i / 256) +
                             "." + std::to_string(i % 256);
    if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK)
      ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
  }
  std::free(owner);
  return to_wire(p);
}

inline std::uint16_t id_of(const std::vector<std::byte>& m) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(m[0]) << 8) |
                                    std::to_integer<unsigned>(m[1]));
}

// The message's RCODE, as ldns reads it (-1 when it does not parse).
inline int rcode_of(const std::vector<std::byte>& m) {
  ldns_pkt* p = from_wire(m);
  if (p == nullptr) return -1;
  const int rcode = ldns_pkt_get_rcode(p);
  ldns_pkt_free(p);
  return rcode;
}

}  // namespace tandem::dns::testing
