// For the packet/ tests: a super-packet cut into all its segments with GsoSegments.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "packet/gso_segments.hpp"

namespace tandem::packet::testing {

inline std::vector<std::vector<std::byte>> cut_super_packet(const VirtioNetHeader& header,
                                                            ByteView packet) {
  auto plan = GsoSegments::plan(header, packet);
  EXPECT_TRUE(plan);
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; plan && i < plan->count(); ++i) {
    std::vector<std::byte> segment(plan->max_size());
    segment.resize(plan->write(packet, i, segment));
    out.push_back(std::move(segment));
  }
  return out;
}

}  // namespace tandem::packet::testing
