// Montgomery modexp core (rtl/modexp/modexp_core.v) against GMP's mpz_powm:
// random 1024- and 2048-bit moduli (top bit set, and shorter ones), the
// exponents 0, 1, 3, 65537, random lengths and full length, the bases 0, 1,
// n-1 and random; and a constant-time test (cycle count independent of the
// exponent's and the base's values).
#include <gtest/gtest.h>
#include <gmp.h>
#include <algorithm>
#include <cstdio>
#include "Vmodexp.h"
#include "Vmodexp32.h"
#include "rtl_harness.h"

using namespace fhsm_rtl;

namespace {


struct Z {
  mpz_t v;
  Z() { mpz_init(v); }
  explicit Z(unsigned long x) { mpz_init_set_ui(v, x); }
  Z(const Z& o) { mpz_init_set(v, o.v); }
  Z& operator=(const Z& o) { mpz_set(v, o.v); return *this; }
  ~Z() { mpz_clear(v); }
  bool operator==(const Z& o) const { return mpz_cmp(v, o.v) == 0; }
  std::string hex() const {
    char* s = mpz_get_str(nullptr, 16, v);
    std::string r(s);
    free(s);
    return r;
  }
};

std::ostream& operator<<(std::ostream& os, const Z& z) { return os << "0x" << z.hex(); }

// words of W bits, least significant first, exactly n of them
std::vector<uint32_t> to_words(const Z& z, unsigned n, unsigned W) {
  std::vector<uint32_t> w(n, 0);
  Z t(z);
  for (unsigned i = 0; i < n; ++i) {
    w[i] = static_cast<uint32_t>(mpz_fdiv_ui(t.v, 1ul << W));
    mpz_fdiv_q_2exp(t.v, t.v, W);
  }
  EXPECT_EQ(mpz_sgn(t.v), 0) << "operand does not fit";
  return w;
}

Z random_bits(gmp_randstate_t rs, unsigned bits, bool top) {
  Z z;
  mpz_urandomb(z.v, rs, bits);
  if (top && bits) mpz_setbit(z.v, bits - 1);
  return z;
}

// W*s >= nbits + 2
unsigned nwords_for(unsigned nbits, unsigned W) { return (nbits + 2 + W - 1) / W; }

// M: the Verilated model, W: its word size (parameter W of modexp_core)
template <class M, unsigned W>
struct Modexp {
  static constexpr unsigned kW = W;
  Dut<M> d;
  M* m = d.m.get();
  uint32_t cycles = 0;

  void write(unsigned sel, const std::vector<uint32_t>& words) {
    for (unsigned i = 0; i < words.size(); ++i) {
      m->wr_sel_i = sel;
      m->wr_addr_i = i;
      m->wr_data_i = words[i];
      m->wr_valid_i = 1;
      m->eval();
      if (!m->wr_ready_o) throw std::runtime_error("wr_ready low while idle");
      d.tick();
    }
    m->wr_valid_i = 0;
    m->eval();
  }

  // x^e mod n on the core; R^2 mod n is the host's precomputation.
  Z powm(const Z& x, const Z& e, const Z& n) {
    unsigned nbits = mpz_sizeinbase(n.v, 2);
    unsigned s = nwords_for(nbits, W);
    unsigned ebits = mpz_sgn(e.v) ? mpz_sizeinbase(e.v, 2) : 0;
    Z r2;
    mpz_setbit(r2.v, 2 * W * s);
    mpz_mod(r2.v, r2.v, n.v);
    write(0, to_words(n, s, W));
    write(1, to_words(x, s, W));
    write(2, to_words(r2, s, W));
    write(3, to_words(e, (ebits + W - 1) / W, W));
    m->start_nwords_i = s;
    m->start_ebits_i = ebits;
    m->start_valid_i = 1;
    m->eval();
    d.tick();
    m->start_valid_i = 0;
    m->res_ready_i = 0;
    m->eval();
    uint64_t guard = 0;
    while (!m->res_valid_o) {
      d.tick();
      if (++guard > 400000000ull) throw std::runtime_error("modexp never finished");
    }
    cycles = m->cycles_o;
    Z r;
    for (unsigned i = 0; i < s; ++i) {
      if (!m->res_valid_o) throw std::runtime_error("result word missing");
      Z w(m->res_data_o);
      mpz_mul_2exp(w.v, w.v, W * i);
      mpz_add(r.v, r.v, w.v);
      EXPECT_EQ(m->res_last_o != 0, i == s - 1);
      m->res_ready_i = (i % 3) != 1;  // exercise backpressure
      m->eval();
      while (!m->res_ready_i) {
        d.tick();
        m->res_ready_i = 1;
        m->eval();
      }
      d.tick();
      for (unsigned g = 0; g < 3 && !m->res_valid_o && i + 1 < s; ++g) d.tick();
    }
    m->res_ready_i = 0;
    m->eval();
    if (!m->start_ready_o) throw std::runtime_error("not idle after the result");
    return r;
  }
};

Z ref_powm(const Z& x, const Z& e, const Z& n) {
  Z r;
  mpz_powm(r.v, x.v, e.v, n.v);
  return r;
}

// Random odd modulus with exactly `bits` bits (so the top bit is set).
Z random_modulus(gmp_randstate_t rs, unsigned bits) {
  Z n = random_bits(rs, bits, true);
  mpz_setbit(n.v, 0);
  return n;
}

uint64_t modexp_cycles(unsigned s, unsigned ebits, unsigned W);

struct Case { unsigned nbits; int exp_kind; int base_kind; };

// exp_kind: 0 -> e = 0, 1 -> 1, 2 -> 3, 3 -> 65537, 4 -> random 2..96 bits,
//           5 -> full length (nbits bits, top bit set)
// base_kind: 0 -> 0, 1 -> 1, 2 -> n-1, 3.. -> random < n
template <class MX>
void run_cases(MX& mx, gmp_randstate_t rs, const std::vector<Case>& cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    Z n = random_modulus(rs, c.nbits);
    Z e;
    switch (c.exp_kind) {
      case 0: break;
      case 1: mpz_set_ui(e.v, 1); break;
      case 2: mpz_set_ui(e.v, 3); break;
      case 3: mpz_set_ui(e.v, 65537); break;
      case 4: e = random_bits(rs, 2 + gmp_urandomm_ui(rs, 95), true); break;
      default: e = random_bits(rs, c.nbits, true); break;
    }
    Z x;
    if (c.base_kind == 1) mpz_set_ui(x.v, 1);
    else if (c.base_kind == 2) mpz_sub_ui(x.v, n.v, 1);
    else if (c.base_kind >= 3) mpz_urandomm(x.v, rs, n.v);
    Z got = mx.powm(x, e, n);
    ASSERT_EQ(got, ref_powm(x, e, n)) << "case " << i << " nbits " << c.nbits << " e " << e
                                      << " x " << x << " n " << n;
    // the exact cycle count for every word count, small ones included
    unsigned ebits = mpz_sgn(e.v) ? mpz_sizeinbase(e.v, 2) : 0;
    EXPECT_EQ(mx.cycles, modexp_cycles(nwords_for(c.nbits, MX::kW), ebits, MX::kW))
        << "case " << i << " nbits " << c.nbits << " ebits " << ebits;
  }
}

// Exact cycle count of the core (see modexp_core.v): it depends on s and
// ebits only. Products: 16 for the table x^0..x^15, 4 squarings and one
// multiply per 4-bit digit after the top one, one out of Montgomery form.
uint64_t modexp_products(unsigned ebits) {
  uint64_t digits = (ebits + 3) / 4;
  return 17 + (digits ? 5 * (digits - 1) : 0);
}
// Cycles per Montgomery product: s outer iterations of s + 2 cycles (8 for
// s = 2..5), the last one s + 7 with the pipeline's drain: s * (s + 2) + 5
// for s >= 6.
uint64_t mm_cycles(unsigned s) { return uint64_t(s - 1) * std::max(s + 2, 8u) + s + 7; }
// For s >= 7 a product's successor starts in its last outer iteration, so
// all products but the last take (s + 1)^2 cycles from start to start.
uint64_t modexp_cycles(unsigned s, unsigned ebits, unsigned W) {
  uint64_t mm = mm_cycles(s), p = modexp_products(ebits);
  uint64_t each = s >= 7 ? uint64_t(s + 1) * (s + 1) : mm + 2;
  return (W + 2) + (p - 1) * each + (mm + 2) + (s + 2);
}

}  // namespace

using Modexp16 = Modexp<Vmodexp, 16>;
using Modexp32 = Modexp<Vmodexp32, 32>;

TEST(Modexp, SmallModuliEdgeCases) {
  Modexp16 mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, 1);
  std::vector<Case> cases;
  for (unsigned nbits : {3u, 14u, 15u, 16u, 17u, 30u, 62u, 64u, 65u, 127u, 128u, 200u})
    for (int ek = 0; ek <= 5; ++ek)
      for (int bk = 0; bk <= 3; ++bk) cases.push_back({nbits, ek, bk});
  run_cases(mx, rs, cases);
  gmp_randclear(rs);
}

TEST(Modexp, Random1024) {
  Modexp16 mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, 1024);
  std::vector<Case> cases;
  // 50 exponentiations: every exponent kind with every base kind, 8 of them
  // with full-length exponents; most moduli 1024 bits (top bit set), some
  // shorter (1000 and 1022 bits).
  for (int i = 0; i < 50; ++i) {
    int ek = (i < 8) ? 5 : (i % 5);
    int bk = i % 4 == 3 ? 3 + i : i % 4;
    unsigned nbits = (i % 10 == 9) ? 1000 : (i % 10 == 8) ? 1022 : 1024;
    cases.push_back({nbits, ek, bk});
  }
  run_cases(mx, rs, cases);
  gmp_randclear(rs);
}

TEST(Modexp, Random2048) {
  Modexp16 mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, 2048);
  std::vector<Case> cases = {
      {2048, 5, 3}, {2048, 5, 2}, {2048, 3, 3}, {2048, 2, 3}, {2048, 1, 3},
      {2048, 0, 3}, {2048, 4, 2}, {2048, 3, 1}, {2048, 4, 0}, {2047, 3, 3},
  };
  run_cases(mx, rs, cases);
  gmp_randclear(rs);
}

// Same modulus; random exponents of one bit length and several bases
// (including 0, 1, n-1): every run takes exactly the same number of cycles,
// and that number is the published formula.
template <class MX>
void constant_time(uint64_t seed) {
  MX mx;
  const unsigned W = MX::kW;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, seed);
  // 160-bit exponents: whole 4-bit digits; 157: a 1-bit top digit
  for (unsigned run = 0; run < 3; ++run) {
    const unsigned nbits = run == 1 ? 521 : 1024;
    Z n = random_modulus(rs, nbits);
    unsigned s = nwords_for(nbits, W);
    const unsigned ebits = run == 2 ? 157 : 160;
    std::vector<Z> bases(3);
    mpz_set_ui(bases[1].v, 1);
    mpz_sub_ui(bases[2].v, n.v, 1);
    for (int i = 0; i < 3; ++i) {
      Z x;
      mpz_urandomm(x.v, rs, n.v);
      bases.push_back(x);
    }
    std::vector<Z> exps;
    Z e_sparse, e_dense;                      // 1000...0001 and 1111...1111
    mpz_setbit(e_sparse.v, ebits - 1);
    mpz_setbit(e_sparse.v, 0);
    mpz_setbit(e_dense.v, ebits);
    mpz_sub_ui(e_dense.v, e_dense.v, 1);
    exps.push_back(e_sparse);
    exps.push_back(e_dense);
    for (int i = 0; i < 3; ++i) exps.push_back(random_bits(rs, ebits, true));
    for (size_t bi = 0; bi < bases.size(); ++bi) {
      for (size_t ei = 0; ei < exps.size(); ++ei) {
        if (bi != ei % bases.size() && bi > 2 && ei > 1) continue;  // keep it short
        Z got = mx.powm(bases[bi], exps[ei], n);
        EXPECT_EQ(got, ref_powm(bases[bi], exps[ei], n));
        EXPECT_EQ(mx.cycles, modexp_cycles(s, ebits, W)) << "base " << bi << " exp " << ei;
      }
    }
  }
  gmp_randclear(rs);
}

TEST(Modexp, ConstantTime) { constant_time<Modexp16>(99); }

// x^e = 0 mod n with x != 0 (n = 3^k, x a multiple of 3): once a product's
// a*b is a nonzero multiple of n, the Montgomery product is exactly n, so the
// value out of Montgomery form is n and the final reduction must give 0
// (the core compares the value with n instead of subtracting: it is <= n).
template <class MX>
void zero_results(uint64_t seed) {
  MX mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, seed);
  for (unsigned k : {2u, 5u, 20u, 21u, 40u, 100u, 300u, 646u}) {
    Z n, x, e;
    mpz_ui_pow_ui(n.v, 3, k);
    mpz_urandomm(x.v, rs, n.v);
    mpz_mul_ui(x.v, x.v, 3);
    mpz_mod(x.v, x.v, n.v);
    if (!mpz_sgn(x.v)) mpz_set_ui(x.v, 3);
    mpz_set_ui(e.v, k + 7);                 // x^e has 3^(k+7) | it
    Z got = mx.powm(x, e, n);
    ASSERT_EQ(got, ref_powm(x, e, n)) << "3^" << k << " x " << x;
    EXPECT_EQ(mpz_sgn(got.v), 0);
    // and a nonzero result next to it (x = 1 + 3*r: a unit)
    mpz_add_ui(x.v, x.v, 1);
    mpz_mod(x.v, x.v, n.v);
    got = mx.powm(x, e, n);
    ASSERT_EQ(got, ref_powm(x, e, n)) << "3^" << k << " x " << x;
  }
  gmp_randclear(rs);
}
TEST(Modexp, ZeroResults) { zero_results<Modexp16>(7); }
TEST(Modexp32, ZeroResults) { zero_results<Modexp32>(8); }

// The same core with 32-bit words (W = 32: a quarter of the products per
// Montgomery multiplication; 4 DSP blocks per multiplier on iCE40/ECP5).
TEST(Modexp32, SmallModuliEdgeCases) {
  Modexp32 mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, 32);
  std::vector<Case> cases;
  for (unsigned nbits : {3u, 29u, 30u, 31u, 32u, 33u, 62u, 64u, 65u, 127u, 200u})
    for (int ek = 0; ek <= 5; ++ek)
      for (int bk = 0; bk <= 3; ++bk) cases.push_back({nbits, ek, bk});
  run_cases(mx, rs, cases);
  gmp_randclear(rs);
}

TEST(Modexp32, Random1024And2048) {
  Modexp32 mx;
  gmp_randstate_t rs;
  gmp_randinit_mt(rs);
  gmp_randseed_ui(rs, 3232);
  std::vector<Case> cases;
  for (int i = 0; i < 20; ++i) cases.push_back({(i % 5 == 4) ? 1022u : 1024u, i < 4 ? 5 : i % 5, i % 4 == 3 ? 3 + i : i % 4});
  for (int i = 0; i < 4; ++i) cases.push_back({2048, i == 0 ? 5 : 2 + i % 3, 3});
  run_cases(mx, rs, cases);
  gmp_randclear(rs);
}

TEST(Modexp32, ConstantTime) { constant_time<Modexp32>(3299); }

// Prints the cycle counts behind the README table (not a pass/fail check of
// speed; the counts themselves are checked in ConstantTime).
TEST(Modexp, CycleReport) {
  for (unsigned W : {16u, 32u}) {
    for (unsigned nbits : {1024u, 2048u, 4096u}) {
      unsigned s = nwords_for(nbits, W);
      std::printf("modexp W=%u %u-bit modulus, %u-bit exponent: %llu cycles (%u words, %llu products of %llu)\n",
                  W, nbits, nbits, static_cast<unsigned long long>(modexp_cycles(s, nbits, W)), s,
                  static_cast<unsigned long long>(modexp_products(nbits)),
                  static_cast<unsigned long long>(mm_cycles(s)));
    }
  }
}
