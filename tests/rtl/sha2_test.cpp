// SHA-2 cores (rtl/sha2): FIPS 180-4 examples and random messages against
// LibTomCrypt. Padding is done by the RTL wrapper (sha2_wrap.v): the test
// feeds raw message bytes as a word stream.
#include <gtest/gtest.h>
#include <tomcrypt.h>
#include <string>
#include "Vsha256.h"
#include "Vsha512.h"
#include "rtl_harness.h"

using namespace fhsm_rtl;

namespace {

struct Result {
  std::vector<uint8_t> digest;
  uint32_t core_cycles;   // the core's own counter
  uint64_t wall_cycles;   // first word offered .. digest valid
};

// Streams msg into the wrapper (WORD = 32 or 64) and returns the digest.
// `gap` inserts idle cycles between words to exercise valid/ready.
template <class M, unsigned WORD>
Result run_sha(Dut<M>& d, const std::vector<uint8_t>& msg, bool alt, unsigned gap = 0) {
  const unsigned nb = WORD / 8;
  auto* m = d.m.get();
  m->mode_i = alt;
  m->dig_ready_i = 0;
  uint64_t start = d.cycle;
  size_t pos = 0;
  bool sent_last = false;
  while (!sent_last) {
    size_t n = msg.size() - pos;
    bool last = n <= nb;
    if (!last) n = nb;
    uint64_t w = 0;
    for (unsigned i = 0; i < nb; ++i)
      w = (w << 8) | (i < n ? msg[pos + i] : 0xA5);  // junk past the end: must be masked
    m->in_data_i = w;
    m->in_last_i = last;
    m->in_nbytes_i = last ? n : nb;
    m->in_valid_i = 1;
    m->eval();
    unsigned guard = 0;
    while (!m->in_ready_o) {
      d.tick();
      if (++guard > 1000) throw std::runtime_error("in_ready stuck");
    }
    d.tick();
    m->in_valid_i = 0;
    m->eval();
    pos += n;
    sent_last = last;
    for (unsigned g = 0; g < gap; ++g) d.tick();
  }
  unsigned guard = 0;
  while (!m->dig_valid_o) {
    d.tick();
    if (++guard > 10000) throw std::runtime_error("digest never valid");
  }
  Result r;
  r.wall_cycles = d.cycle - start;
  r.core_cycles = m->cycles_o;
  for (unsigned k = 0; k < WORD; ++k) r.digest.push_back(wide_byte(m->dig_o, 8 * WORD, k));
  m->dig_ready_i = 1;
  d.tick();
  m->dig_ready_i = 0;
  m->eval();
  EXPECT_FALSE(m->dig_valid_o);
  return r;
}

std::vector<uint8_t> ltc_hash(const ltc_hash_descriptor& desc, const std::vector<uint8_t>& msg) {
  hash_state st;
  std::vector<uint8_t> out(desc.hashsize);
  EXPECT_EQ(desc.init(&st), CRYPT_OK);
  static const uint8_t none = 0;  // LibTomCrypt aborts on a NULL input, even for length 0
  EXPECT_EQ(desc.process(&st, msg.empty() ? &none : msg.data(), msg.size()), CRYPT_OK);
  EXPECT_EQ(desc.done(&st, out.data()), CRYPT_OK);
  return out;
}

std::vector<uint8_t> trunc(std::vector<uint8_t> v, size_t n) { v.resize(n); return v; }
std::vector<uint8_t> str(const std::string& s) { return {s.begin(), s.end()}; }

const char* kMsg2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const char* kMsg4 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

}  // namespace

// FIPS 180-4 / NIST CSRC example values (SHA-256, SHA-224).
TEST(Sha256, Fips180Examples) {
  Dut<Vsha256> d;
  auto r = run_sha<Vsha256, 32>(d, str("abc"), false);
  EXPECT_EQ(r.digest, from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(r.core_cycles, 66u);
  r = run_sha<Vsha256, 32>(d, str(kMsg2), false);
  EXPECT_EQ(r.digest, from_hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  EXPECT_EQ(r.core_cycles, 2 * 66u);
  r = run_sha<Vsha256, 32>(d, {}, false);
  EXPECT_EQ(r.digest, from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  r = run_sha<Vsha256, 32>(d, str("abc"), true);
  EXPECT_EQ(trunc(r.digest, 28), from_hex("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"));
  r = run_sha<Vsha256, 32>(d, str(kMsg2), true);
  EXPECT_EQ(trunc(r.digest, 28), from_hex("75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"));
  // one million 'a' (FIPS 180-2 example 3): 15,626 blocks through the stream
  r = run_sha<Vsha256, 32>(d, std::vector<uint8_t>(1000000, 'a'), false);
  EXPECT_EQ(r.digest, from_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  EXPECT_EQ(r.core_cycles, 15626u * 66u);
}

// Lengths around the padding boundaries, both variants, against LibTomCrypt.
TEST(Sha256, BlockBoundaries) {
  Dut<Vsha256> d;
  std::mt19937_64 rng(1);
  for (size_t len : {0, 1, 3, 4, 5, 54, 55, 56, 57, 60, 63, 64, 65, 111, 119, 120, 127, 128, 129, 183, 184, 192}) {
    auto msg = random_bytes(rng, len);
    auto r = run_sha<Vsha256, 32>(d, msg, false);
    EXPECT_EQ(r.digest, ltc_hash(sha256_desc, msg)) << "len " << len;
    EXPECT_EQ(r.core_cycles, 66u * ((len + 8) / 64 + 1)) << "len " << len;
    r = run_sha<Vsha256, 32>(d, msg, true, 3);
    EXPECT_EQ(trunc(r.digest, 28), ltc_hash(sha224_desc, msg)) << "sha224 len " << len;
  }
}

TEST(Sha256, Random1000VsLibTomCrypt) {
  Dut<Vsha256> d;
  std::mt19937_64 rng(256);
  for (int i = 0; i < 1000; ++i) {
    size_t len = rng() % 400;
    bool alt = rng() & 1;
    auto msg = random_bytes(rng, len);
    auto r = run_sha<Vsha256, 32>(d, msg, alt, rng() % 3);
    if (alt) ASSERT_EQ(trunc(r.digest, 28), ltc_hash(sha224_desc, msg)) << "sha224 #" << i << " len " << len;
    else     ASSERT_EQ(r.digest, ltc_hash(sha256_desc, msg)) << "sha256 #" << i << " len " << len;
  }
}

// The input port keeps up with the core: a long message costs 66 cycles per
// block plus a constant, measured from the first word to the digest.
TEST(Sha256, StreamsAt66CyclesPerBlock) {
  Dut<Vsha256> d;
  std::mt19937_64 rng(7);
  auto msg = random_bytes(rng, 64 * 100 - 9);  // exactly 100 blocks padded
  auto r = run_sha<Vsha256, 32>(d, msg, false);
  EXPECT_EQ(r.digest, ltc_hash(sha256_desc, msg));
  EXPECT_EQ(r.core_cycles, 6600u);
  EXPECT_LE(r.wall_cycles, 6600u + 40u);
}

TEST(Sha512, Fips180Examples) {
  Dut<Vsha512> d;
  auto r = run_sha<Vsha512, 64>(d, str("abc"), false);
  EXPECT_EQ(r.digest, from_hex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
  EXPECT_EQ(r.core_cycles, 82u);
  r = run_sha<Vsha512, 64>(d, str(kMsg4), false);
  EXPECT_EQ(r.digest, from_hex("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                               "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"));
  EXPECT_EQ(r.core_cycles, 2 * 82u);
  r = run_sha<Vsha512, 64>(d, str("abc"), true);
  EXPECT_EQ(trunc(r.digest, 48), from_hex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                                          "8086072ba1e7cc2358baeca134c825a7"));
  r = run_sha<Vsha512, 64>(d, {}, false);
  EXPECT_EQ(r.digest, ltc_hash(sha512_desc, {}));
}

TEST(Sha512, BlockBoundaries) {
  Dut<Vsha512> d;
  std::mt19937_64 rng(2);
  for (size_t len : {0, 1, 7, 8, 9, 110, 111, 112, 113, 119, 120, 127, 128, 129, 239, 240, 255, 256}) {
    auto msg = random_bytes(rng, len);
    auto r = run_sha<Vsha512, 64>(d, msg, false);
    EXPECT_EQ(r.digest, ltc_hash(sha512_desc, msg)) << "len " << len;
    EXPECT_EQ(r.core_cycles, 82u * ((len + 16) / 128 + 1)) << "len " << len;
    r = run_sha<Vsha512, 64>(d, msg, true, 2);
    EXPECT_EQ(trunc(r.digest, 48), ltc_hash(sha384_desc, msg)) << "sha384 len " << len;
  }
}

TEST(Sha512, Random1000VsLibTomCrypt) {
  Dut<Vsha512> d;
  std::mt19937_64 rng(512);
  for (int i = 0; i < 1000; ++i) {
    size_t len = rng() % 600;
    bool alt = rng() & 1;
    auto msg = random_bytes(rng, len);
    auto r = run_sha<Vsha512, 64>(d, msg, alt, rng() % 3);
    if (alt) ASSERT_EQ(trunc(r.digest, 48), ltc_hash(sha384_desc, msg)) << "sha384 #" << i << " len " << len;
    else     ASSERT_EQ(r.digest, ltc_hash(sha512_desc, msg)) << "sha512 #" << i << " len " << len;
  }
}
