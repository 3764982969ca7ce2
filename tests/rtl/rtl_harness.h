// Small helpers shared by the Verilator tests of the fabric cores.
#pragma once
#include <cstdint>
#include <cstddef>
#include <random>
#include <vector>
#include <memory>
#include "verilated.h"

namespace fhsm_rtl {

// Owns a Verilated model with its own context; clk/rst_n driven here.
template <class M>
struct Dut {
  std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
  std::unique_ptr<M> m{new M{ctx.get()}};
  uint64_t cycle = 0;

  Dut() {
    m->clk = 0;
    m->rst_n = 0;
    m->eval();
    tick();
    tick();
    m->rst_n = 1;
    m->eval();
  }
  // One rising edge. Inputs set before the call are sampled at this edge;
  // outputs read after it are the registered values of the new cycle.
  void tick() {
    m->clk = 1;
    m->eval();
    m->clk = 0;
    m->eval();
    ++cycle;
  }
};

// Big-endian byte k of a wide Verilator signal of `bits` bits.
template <class W>
inline uint8_t wide_byte(const W& w, unsigned bits, unsigned k) {
  unsigned lsb = bits - 8 - 8 * k;
  return static_cast<uint8_t>(w[lsb / 32] >> (lsb % 32));
}

// Sets 32-bit word i (0 = least significant) of a wide input.
template <class W>
inline void wide_set(W& w, unsigned i, uint32_t v) { w[i] = v; }

inline std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

inline std::vector<uint8_t> from_hex(const char* h) {
  std::vector<uint8_t> v;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (; h[0] && h[1]; h += 2) v.push_back(static_cast<uint8_t>(nib(h[0]) << 4 | nib(h[1])));
  return v;
}

}  // namespace fhsm_rtl

namespace fhsm_rtl {
// Big-endian bytes -> wide Verilator signal of `bits` bits (first byte on top;
// bytes past the vector are zero).
template <class W>
inline void wide_from_bytes(W& w, unsigned bits, const uint8_t* p, size_t n) {
  for (unsigned i = 0; i < bits / 32; ++i) w[i] = 0;
  for (size_t k = 0; k < n && k < bits / 8; ++k) {
    unsigned lsb = bits - 8 - 8 * static_cast<unsigned>(k);
    w[lsb / 32] |= static_cast<uint32_t>(p[k]) << (lsb % 32);
  }
}
}  // namespace fhsm_rtl
