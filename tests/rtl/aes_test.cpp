// AES cores (rtl/aes/aes_core.v: a column per cycle; rtl/aes/aes_wide_core.v:
// a round per cycle): FIPS-197 Appendix C, SP 800-38A F.1/F.2/F.5 (ECB, CBC,
// CTR for 128/192/256-bit keys, both directions) and random streams against
// LibTomCrypt, the same typed tests for both cores (same ports). Every NIST
// vector is also checked against LibTomCrypt, so a mistyped vector cannot
// pass silently.
#include <gtest/gtest.h>
#include <tomcrypt.h>
#include "Vaes.h"
#include "Vaes_wide.h"
#include "rtl_harness.h"

using namespace fhsm_rtl;
using Bytes = std::vector<uint8_t>;

namespace {

enum Mode { ECB = 0, CBC = 1, CTR = 2 };

// Per core: the fixed cycles of a block and of a key expansion (Nr = 10 / 12
// / 14 rounds, Nk = 4 / 6 / 8 key words).
struct ColumnCore {
  using Model = Vaes;
  static constexpr const char* kName = "aes_core";
  static unsigned block(unsigned nr) { return 4 * nr + 3; }  // handshake, load, 4 per round, last column
  static unsigned key(unsigned nr, unsigned nk) {
    return nk + 2 * (4 * nr + 4 - nk) + 1 + 4 * (nr + 1) + 2;  // 131 / 153 / 175
  }
};
struct WideCore {
  using Model = Vaes_wide;
  static constexpr const char* kName = "aes_wide_core";
  static unsigned block(unsigned nr) { return nr + 2; }  // handshake, load, a round per cycle
  static unsigned key(unsigned nr, unsigned nk) {
    // a cycle per word, 2 more for each word with SubWord (i mod Nk == 0, and
    // i mod 8 == 4 for Nk = 8), key_go and 2 to drain the round-key writes
    unsigned nsub = 0;
    for (unsigned i = nk; i < 4 * (nr + 1); ++i) nsub += i % nk == 0 || (nk == 8 && i % 8 == 4);
    return 3 + 4 * (nr + 1) + 2 * nsub;  // 67 / 71 / 89
  }
};

template <class Core>
struct Aes {
  using M = typename Core::Model;
  Dut<M> d;
  M* m = d.m.get();
  uint32_t last_key_cycles = 0;
  std::vector<uint32_t> block_cycles;

  template <class F>
  void wait(F cond, const char* what) {
    for (unsigned g = 0; !cond(); ++g) {
      if (g > 10000) throw std::runtime_error(what);
      d.tick();
    }
  }
  void key(const Bytes& k) {
    wide_from_bytes(m->key_i, 256, k.data(), k.size());
    m->key_len_i = k.size() == 32 ? 2 : k.size() == 24 ? 1 : 0;
    m->key_valid_i = 1;
    m->eval();
    wait([&] { return m->key_ready_o != 0; }, "key_ready");
    d.tick();
    m->key_valid_i = 0;
    wide_from_bytes(m->key_i, 256, nullptr, 0);  // the core must not need it any more
    m->eval();
    wait([&] { return m->cfg_ready_o != 0; }, "key expansion");
    last_key_cycles = m->cycles_o;
  }
  void cfg(Mode mode, bool dec, const Bytes& iv) {
    m->cfg_mode_i = mode;
    m->cfg_dec_i = dec;
    wide_from_bytes(m->cfg_iv_i, 128, iv.data(), iv.size());
    m->cfg_valid_i = 1;
    m->eval();
    wait([&] { return m->cfg_ready_o != 0; }, "cfg_ready");
    d.tick();
    m->cfg_valid_i = 0;
    m->eval();
  }
  // Streams blocks through; `rng` (optional) randomizes in_valid / out_ready.
  Bytes run(const Bytes& in, std::mt19937_64* rng = nullptr) {
    Bytes out;
    size_t n = in.size() / 16, sent = 0;
    block_cycles.clear();
    for (unsigned guard = 0; out.size() < in.size(); ++guard) {
      if (guard > 200 * (n + 1)) throw std::runtime_error("aes stream stuck");
      bool offer = sent < n && (!rng || (*rng)() % 4 != 0);
      m->in_valid_i = offer;
      if (offer) wide_from_bytes(m->in_data_i, 128, &in[16 * sent], 16);
      m->out_ready_i = !rng || (*rng)() % 3 != 0;
      m->eval();
      if (m->out_valid_o && m->out_ready_i) {
        for (unsigned k = 0; k < 16; ++k) out.push_back(wide_byte(m->out_data_o, 128, k));
        block_cycles.push_back(m->cycles_o);
      }
      if (offer && m->in_ready_o) ++sent;
      d.tick();
    }
    m->in_valid_i = 0;
    m->out_ready_i = 0;
    m->eval();
    return out;
  }
};

int aes_idx() {
  static int idx = [] {
    register_cipher(&aes_desc);
    return find_cipher("aes");
  }();
  return idx;
}

Bytes ltc(Mode mode, bool dec, const Bytes& key, const Bytes& iv, const Bytes& in) {
  Bytes out(in.size());
  int c = aes_idx(), kl = static_cast<int>(key.size());
  unsigned long len = in.size();
  if (mode == ECB) {
    symmetric_ECB e;
    EXPECT_EQ(ecb_start(c, key.data(), kl, 0, &e), CRYPT_OK);
    EXPECT_EQ(dec ? ecb_decrypt(in.data(), out.data(), len, &e) : ecb_encrypt(in.data(), out.data(), len, &e), CRYPT_OK);
    ecb_done(&e);
  } else if (mode == CBC) {
    symmetric_CBC e;
    EXPECT_EQ(cbc_start(c, iv.data(), key.data(), kl, 0, &e), CRYPT_OK);
    EXPECT_EQ(dec ? cbc_decrypt(in.data(), out.data(), len, &e) : cbc_encrypt(in.data(), out.data(), len, &e), CRYPT_OK);
    cbc_done(&e);
  } else {
    symmetric_CTR e;
    EXPECT_EQ(ctr_start(c, iv.data(), key.data(), kl, 0, CTR_COUNTER_BIG_ENDIAN, &e), CRYPT_OK);
    EXPECT_EQ(ctr_encrypt(in.data(), out.data(), len, &e), CRYPT_OK);
    ctr_done(&e);
  }
  return out;
}

Bytes hx(const char* s) { return from_hex(s); }

const char* kPt38a = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                     "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const char* kKeys38a[3] = {"2b7e151628aed2a6abf7158809cf4f3c",
                           "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                           "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"};
const char* kEcb38a[3] = {
    "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
    "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
    "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
    "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
    "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
    "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"};
const char* kCbc38a[3] = {
    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
    "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
    "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
    "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
    "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"};
const char* kCtr38a[3] = {
    "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
    "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
    "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"};

template <class Core>
class AesTest : public testing::Test {};
using Cores = testing::Types<ColumnCore, WideCore>;
struct CoreName {
  template <class T>
  static std::string GetName(int) { return T::kName; }
};
TYPED_TEST_SUITE(AesTest, Cores, CoreName);

}  // namespace

TYPED_TEST(AesTest, Fips197AppendixC) {
  Aes<TypeParam> a;
  const Bytes pt = hx("00112233445566778899aabbccddeeff");
  const char* ct[3] = {"69c4e0d86a7b0430d8cdb78070b4c55a", "dda97ca4864cdfe06eaf70a0ec0d7191",
                       "8ea2b7ca516745bfeafc49904b496089"};
  for (int k = 0; k < 3; ++k) {
    Bytes key(16 + 8 * k);
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
    ASSERT_EQ(ltc(ECB, false, key, {}, pt), hx(ct[k]));  // vector transcription check
    a.key(key);
    a.cfg(ECB, false, {});
    EXPECT_EQ(a.run(pt), hx(ct[k])) << "AES-" << key.size() * 8 << " encrypt";
    a.cfg(ECB, true, {});
    EXPECT_EQ(a.run(hx(ct[k])), pt) << "AES-" << key.size() * 8 << " decrypt";
  }
}

TYPED_TEST(AesTest, Sp80038aAllModesAllKeySizes) {
  Aes<TypeParam> a;
  const Bytes pt = hx(kPt38a);
  const Bytes iv = hx("000102030405060708090a0b0c0d0e0f");
  const Bytes ctr = hx("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  for (int k = 0; k < 3; ++k) {
    const Bytes key = hx(kKeys38a[k]);
    SCOPED_TRACE(testing::Message() << "AES-" << key.size() * 8);
    ASSERT_EQ(ltc(ECB, false, key, {}, pt), hx(kEcb38a[k]));
    ASSERT_EQ(ltc(CBC, false, key, iv, pt), hx(kCbc38a[k]));
    ASSERT_EQ(ltc(CTR, false, key, ctr, pt), hx(kCtr38a[k]));
    a.key(key);
    a.cfg(ECB, false, {});  EXPECT_EQ(a.run(pt), hx(kEcb38a[k])) << "ECB enc";
    a.cfg(ECB, true, {});   EXPECT_EQ(a.run(hx(kEcb38a[k])), pt) << "ECB dec";
    a.cfg(CBC, false, iv);  EXPECT_EQ(a.run(pt), hx(kCbc38a[k])) << "CBC enc";
    a.cfg(CBC, true, iv);   EXPECT_EQ(a.run(hx(kCbc38a[k])), pt) << "CBC dec";
    a.cfg(CTR, false, ctr); EXPECT_EQ(a.run(pt), hx(kCtr38a[k])) << "CTR enc";
    a.cfg(CTR, true, ctr);  EXPECT_EQ(a.run(hx(kCtr38a[k])), pt) << "CTR dec";
  }
}

// Fixed cycle counts: Core::block(Nr) per block back to back (aes_core
// 4*Nr+3, aes_wide_core Nr+2), whatever the key and data, and key expansion
// depends on the key size only.
TYPED_TEST(AesTest, ConstantCyclesPerBlock) {
  Aes<TypeParam> a;
  std::mt19937_64 rng(3);
  const unsigned nr[3] = {10, 12, 14}, nk[3] = {4, 6, 8};
  for (int k = 0; k < 3; ++k) {
    const unsigned bc = TypeParam::block(nr[k]);
    for (int rep = 0; rep < 3; ++rep) {
      a.key(random_bytes(rng, 16 + 8 * k));
      EXPECT_EQ(a.last_key_cycles, TypeParam::key(nr[k], nk[k]));
      for (int mode = 0; mode < 3; ++mode) {
        for (int dec = 0; dec < 2; ++dec) {
          a.cfg(static_cast<Mode>(mode), dec, random_bytes(rng, 16));
          uint64_t t0 = a.d.cycle;
          a.run(random_bytes(rng, 16 * 20));
          uint64_t t = a.d.cycle - t0;
          for (uint32_t c : a.block_cycles) EXPECT_EQ(c, bc);
          // 20 blocks streamed: bc each, plus one cycle for the whitening key
          // to follow the new direction after cfg, plus the handshake
          EXPECT_EQ(t, 20 * bc + 2);
        }
      }
    }
  }
}

TYPED_TEST(AesTest, Random1000StreamsVsLibTomCrypt) {
  Aes<TypeParam> a;
  std::mt19937_64 rng(128);
  Bytes key;
  for (int i = 0; i < 1000; ++i) {
    if (i % 4 == 0) {
      key = random_bytes(rng, 16 + 8 * (rng() % 3));
      a.key(key);
    }
    Mode mode = static_cast<Mode>(rng() % 3);
    bool dec = rng() & 1;
    Bytes iv = random_bytes(rng, 16);
    if (mode == CTR && (rng() & 1))  // exercise the carry across all 128 bits
      for (int b = 4; b < 16; ++b) iv[b] = 0xff;
    Bytes in = random_bytes(rng, 16 * (1 + rng() % 6));
    a.cfg(mode, dec, iv);
    Bytes got = a.run(in, (i & 1) ? &rng : nullptr);
    ASSERT_EQ(got, ltc(mode, dec, key, iv, in))
        << "stream " << i << " mode " << mode << " dec " << dec << " key bits " << key.size() * 8;
  }
}
