// Fabric top (rtl/fabric/fabric_top.v) driven through its byte-stream ports
// with the host's own frame code (host/link/frame.c: fhsm_frame_request to
// build requests, fhsm_rx_feed to reassemble responses). Oracles: LibTomCrypt
// (AES ECB/CBC/CTR, SHA-256 compression), GMP (mpz_powm), NIST vectors.
// Covers INFO, every op, every error status with recovery, several jobs in
// flight, back-pressure, random link gaps and tx stalls, and the CYC field.
#include <gtest/gtest.h>
#include <gmp.h>
#include <tomcrypt.h>
#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include "Vfabric.h"
#include "Vfabric2.h"
#include "Vfabric3.h"
#include "fhsm/frame.h"
#include "rtl_harness.h"

using namespace fhsm_rtl;

namespace {

using Bytes = std::vector<uint8_t>;
unsigned kW = 32;                    // MODEXP_W of the model under test (WordSize)
constexpr unsigned kIdleTimeout = 2000;

struct Rsp {
  uint8_t tag = 0, status = 0, engine = 0;
  uint32_t cycles = 0;
  Bytes payload;
};

Bytes request(uint8_t tag, uint8_t op, uint8_t arg, const Bytes& payload) {
  Bytes f(fhsm_frame_request_size(payload.size()));
  size_t n = fhsm_frame_request(f.data(), f.size(), tag, op, arg, payload.data(), payload.size());
  EXPECT_EQ(n, f.size());
  return f;
}

// Drives a Verilated fabric_top: a byte queue towards rx (optional random
// gaps), tx drained with optional random stalls, responses parsed by
// fhsm_rx_feed. Checks the tx hold rule on every cycle.
template <class M>
struct Fabric {
  Dut<M> d;
  M* m = d.m.get();
  std::deque<uint8_t> out;   // bytes still to send
  fhsm_rx rx;
  std::vector<Rsp> rsps;     // in arrival order
  std::mt19937_64 rng{1};
  unsigned rx_gap = 0, tx_stall = 0;  // percent
  unsigned max_busy = 0;     // most engines busy at once
  bool saw_backpressure = false;
  bool hold = false;         // tx byte offered but not taken last cycle
  uint8_t held = 0;
  uint64_t last_rx = 0;      // cycle the last request byte was taken
  uint64_t first_tx = 0;     // cycle the first byte of the last response left
  bool in_frame = false;

  Fabric() {
    fhsm_rx_init(&rx);
    m->rx_valid_i = 0;
    m->tx_ready_i = 1;
    m->eval();
  }
  void send(const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); }

  void step() {
    bool offer = !out.empty() && (rx_gap == 0 || rng() % 100 >= rx_gap);
    m->rx_valid_i = offer;
    m->rx_data_i = offer ? out.front() : 0;
    bool rdy = tx_stall == 0 || rng() % 100 >= tx_stall;
    m->tx_ready_i = rdy;
    m->eval();
    if (hold) {
      EXPECT_TRUE(m->tx_valid_o) << "tx_valid dropped while stalled";
      EXPECT_EQ(m->tx_data_o, held) << "tx_data changed while stalled";
    }
    if (!out.empty() && !m->rx_ready_o) saw_backpressure = true;
    if (offer && m->rx_ready_o) {
      out.pop_front();
      last_rx = d.cycle;
    }
    hold = m->tx_valid_o && !rdy;
    held = m->tx_data_o;
    if (m->tx_valid_o && rdy) {
      uint8_t b = m->tx_data_o;
      if (!in_frame) first_tx = d.cycle;
      in_frame = true;
      size_t used = 0;
      fhsm_response r;
      if (fhsm_rx_feed(&rx, &b, 1, &used, &r) == FHSM_RX_FRAME) {
        Rsp x;
        x.tag = r.tag;
        x.status = r.status;
        x.engine = r.engine;
        x.cycles = r.cycles;
        x.payload.assign(r.payload, r.payload + r.len);
        rsps.push_back(x);
        in_frame = false;
      }
    }
    max_busy = std::max<unsigned>(max_busy, __builtin_popcount(m->busy_o));
    d.tick();
  }
  // Runs until n responses have arrived (in total) or the guard expires.
  void run_until(size_t n, uint64_t guard = 50000000) {
    for (uint64_t g = 0; rsps.size() < n; ++g) {
      if (g > guard) {
        ADD_FAILURE() << "timeout waiting for response " << rsps.size() + 1 << " of " << n;
        return;
      }
      step();
    }
  }
  // One job: send, wait for its answer (the next response).
  Rsp job(const Bytes& frame) {
    size_t n = rsps.size();
    send(frame);
    run_until(n + 1);
    return rsps.size() > n ? rsps[n] : Rsp{};
  }
  void settle() {
    for (int i = 0; i < 100 && !(m->idle_o && out.empty()); ++i) step();
    EXPECT_TRUE(m->idle_o) << "fabric not idle after its jobs";
    EXPECT_EQ(rx.bad_frames, 0u) << "malformed response frames";
  }
};

// ---- oracles -------------------------------------------------------------------------
int aes_idx() {
  static int idx = [] {
    register_cipher(&aes_desc);
    return find_cipher("aes");
  }();
  return idx;
}

enum Mode { ECB = 0, CBC = 1, CTR = 2 };

Bytes ltc_aes(int mode, bool dec, const Bytes& key, const Bytes& iv, const Bytes& in) {
  Bytes o(in.size());
  int c = aes_idx(), kl = static_cast<int>(key.size());
  unsigned long len = in.size();
  if (mode == ECB) {
    symmetric_ECB e;
    EXPECT_EQ(ecb_start(c, key.data(), kl, 0, &e), CRYPT_OK);
    EXPECT_EQ(dec ? ecb_decrypt(in.data(), o.data(), len, &e) : ecb_encrypt(in.data(), o.data(), len, &e), CRYPT_OK);
    ecb_done(&e);
  } else if (mode == CBC) {
    symmetric_CBC e;
    EXPECT_EQ(cbc_start(c, iv.data(), key.data(), kl, 0, &e), CRYPT_OK);
    EXPECT_EQ(dec ? cbc_decrypt(in.data(), o.data(), len, &e) : cbc_encrypt(in.data(), o.data(), len, &e), CRYPT_OK);
    cbc_done(&e);
  } else {
    symmetric_CTR e;
    EXPECT_EQ(ctr_start(c, iv.data(), key.data(), kl, 0, CTR_COUNTER_BIG_ENDIAN, &e), CRYPT_OK);
    EXPECT_EQ(ctr_encrypt(in.data(), o.data(), len, &e), CRYPT_OK);
    ctr_done(&e);
  }
  return o;
}

// SHA-256 compression of whole blocks from chaining value h (32 bytes, BE).
Bytes ltc_sha_compress(const Bytes& h, const Bytes& blocks) {
  hash_state md;
  sha256_init(&md);
  for (int i = 0; i < 8; ++i)
    md.sha256.state[i] = static_cast<ulong32>(h[4 * i]) << 24 | h[4 * i + 1] << 16 | h[4 * i + 2] << 8 | h[4 * i + 3];
  EXPECT_EQ(sha256_process(&md, blocks.data(), blocks.size()), CRYPT_OK);
  Bytes o(32);
  for (int i = 0; i < 8; ++i)
    for (int b = 0; b < 4; ++b) o[4 * i + b] = static_cast<uint8_t>(md.sha256.state[i] >> (24 - 8 * b));
  return o;
}

const Bytes kSha256Iv = from_hex("6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19");

// host-side padding (FIPS 180-4 5.1.1)
Bytes sha_pad(const Bytes& msg) {
  Bytes p(msg);
  p.push_back(0x80);
  while (p.size() % 64 != 56) p.push_back(0);
  uint64_t bits = 8ull * msg.size();
  for (int i = 7; i >= 0; --i) p.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  return p;
}

// ---- payloads ----------------------------------------------------------------------------
uint8_t aes_arg(unsigned klen, int mode, bool dec) {
  return static_cast<uint8_t>(klen | mode << 2 | (dec ? 0x10 : 0));
}
Bytes aes_payload(const Bytes& key, const Bytes& iv, const Bytes& data) {
  Bytes p(key);
  Bytes iv16 = iv.empty() ? Bytes(16, 0) : iv;
  p.insert(p.end(), iv16.begin(), iv16.end());
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
Bytes sha_payload(const Bytes& h, const Bytes& blocks) {
  Bytes p(h);
  p.insert(p.end(), blocks.begin(), blocks.end());
  return p;
}

struct Z {
  mpz_t v;
  Z() { mpz_init(v); }
  explicit Z(unsigned long x) { mpz_init_set_ui(v, x); }
  Z(const Z& o) { mpz_init_set(v, o.v); }
  Z& operator=(const Z& o) { mpz_set(v, o.v); return *this; }
  ~Z() { mpz_clear(v); }
};

void put_be(Bytes& p, const Z& z, size_t nbytes) {
  size_t cnt = 0;
  Bytes tmp((mpz_sizeinbase(z.v, 2) + 7) / 8 + 1);
  mpz_export(tmp.data(), &cnt, 1, 1, 1, 0, z.v);
  EXPECT_LE(cnt, nbytes);
  p.insert(p.end(), nbytes - cnt, 0);
  p.insert(p.end(), tmp.begin(), tmp.begin() + static_cast<long>(cnt));
}
[[maybe_unused]] Z from_be(const Bytes& b) {
  Z z;
  if (!b.empty()) mpz_import(z.v, b.size(), 1, 1, 1, 0, b.data());
  return z;
}
unsigned nbits(const Z& z) { return mpz_sgn(z.v) ? static_cast<unsigned>(mpz_sizeinbase(z.v, 2)) : 0; }
unsigned nwords_for(const Z& n) { return (nbits(n) + 2 + kW - 1) / kW; }

// MODEXP payload; s and ebits may be overridden to build bad requests
Bytes modexp_payload(const Z& n, const Z& x, const Z& e, unsigned s = 0, int ebits = -1) {
  if (!s) s = nwords_for(n);
  unsigned eb = ebits >= 0 ? static_cast<unsigned>(ebits) : nbits(e);
  Z r2;
  mpz_setbit(r2.v, 2 * kW * s);
  mpz_mod(r2.v, r2.v, n.v);
  Bytes p = {static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s), static_cast<uint8_t>(eb >> 8),
             static_cast<uint8_t>(eb)};
  size_t nb = s * kW / 8;
  put_be(p, n, nb);
  put_be(p, x, nb);
  put_be(p, r2, nb);
  put_be(p, e, nb);
  return p;
}
Bytes modexp_expect(const Z& n, const Z& x, const Z& e) {
  Z r;
  mpz_powm(r.v, x.v, e.v, n.v);
  Bytes p;
  put_be(p, r, nwords_for(n) * kW / 8);
  return p;
}
Z random_bits(gmp_randstate_t rs, unsigned bits, bool top) {
  Z z;
  mpz_urandomb(z.v, rs, bits);
  if (top && bits) mpz_setbit(z.v, bits - 1);
  return z;
}

// ---- expected CYC (rtl/README.md "Fabric top") ----------------------------------------
constexpr uint32_t AES_FIXED = 8, SHA_FIXED = 2;
uint32_t MODEXP_FIXED(unsigned s) { return 3 * s + 1; }
uint32_t aes_cycles(unsigned klen, unsigned n) {
  static const uint32_t key[3] = {131, 153, 175};
  return key[klen] + n * (43 + 8 * klen) + AES_FIXED;
}
uint32_t sha_cycles(unsigned n) { return 66 * n + SHA_FIXED; }
uint32_t modexp_cycles(unsigned s, unsigned ebits) {
  uint32_t digits = (ebits + 3) / 4;                      // 4-bit window
  uint32_t products = 17 + (digits ? 5 * (digits - 1) : 0);
  uint32_t mm = (s - 1) * std::max(s + 2, 8u) + s + 7;   // per Montgomery product
  uint32_t each = s >= 7 ? (s + 1) * (s + 1) : mm + 2;    // start to start (s >= 7: overlapped)
  uint32_t core = (kW + 2) + (products - 1) * each + (mm + 2) + (s + 2);
  return core + MODEXP_FIXED(s);
}

}  // namespace

using Fab = Fabric<Vfabric>;

// ---- tests ------------------------------------------------------------------------------------
TEST(Fabric, Info) {
  Fab f;
  Rsp r = f.job(request(0x42, FHSM_OP_INFO, 0, {}));
  EXPECT_EQ(r.tag, 0x42);
  EXPECT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.engine, 0);
  EXPECT_EQ(r.cycles, 0u);
  ASSERT_EQ(r.payload.size(), static_cast<size_t>(FHSM_INFO_BYTES));
  const Bytes& p = r.payload;
  EXPECT_EQ(std::string(p.begin(), p.begin() + 4), "FHSM");
  EXPECT_EQ(p[FHSM_INFO_OFF_VERSION], FHSM_PROTO_VERSION);
  auto be = [&](int off, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p[off + i];
    return v;
  };
  EXPECT_EQ(be(FHSM_INFO_OFF_CLOCK_KHZ, 4), 30000u);
  EXPECT_EQ(be(FHSM_INFO_OFF_MAX_PAYLOAD, 2), static_cast<uint32_t>(FHSM_MAX_PAYLOAD));
  EXPECT_EQ(p[FHSM_INFO_OFF_N_AES], 1);
  EXPECT_EQ(p[FHSM_INFO_OFF_N_SHA256], 1);
  EXPECT_EQ(p[FHSM_INFO_OFF_N_MODEXP], 1);
  EXPECT_EQ(be(FHSM_INFO_OFF_MODEXP_BITS, 2), 4096u);
  EXPECT_EQ(p[FHSM_INFO_OFF_MODEXP_W], kW);
  EXPECT_EQ(p[FHSM_INFO_OFF_AES_MAX_BLOCKS], FHSM_AES_MAX_BLOCKS);
  EXPECT_EQ(p[FHSM_INFO_OFF_SHA256_MAX_BLOCKS], FHSM_SHA256_MAX_BLOCKS);
  f.settle();
}

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

// Checks one AES job against the expected output and cycle count.
void aes_check(Fab& f, uint8_t tag, unsigned klen, int mode, bool dec, const Bytes& key,
               const Bytes& iv, const Bytes& in, const Bytes& want) {
  Rsp r = f.job(request(tag, FHSM_OP_AES, aes_arg(klen, mode, dec), aes_payload(key, iv, in)));
  EXPECT_EQ(r.tag, tag);
  EXPECT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.engine, FHSM_ENG_AES << 4);
  EXPECT_EQ(r.payload, want) << "AES-" << 128 + 64 * klen << " mode " << mode << " dec " << dec;
  EXPECT_EQ(r.cycles, aes_cycles(klen, static_cast<unsigned>(in.size() / 16)));
}

TEST(Fabric, AesFips197AndSp80038a) {
  Fab f;
  const Bytes pt1 = from_hex("00112233445566778899aabbccddeeff");
  const char* ct1[3] = {"69c4e0d86a7b0430d8cdb78070b4c55a", "dda97ca4864cdfe06eaf70a0ec0d7191",
                        "8ea2b7ca516745bfeafc49904b496089"};
  uint8_t tag = 1;
  for (unsigned k = 0; k < 3; ++k) {
    Bytes key(16 + 8 * k);
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
    aes_check(f, tag++, k, ECB, false, key, {}, pt1, from_hex(ct1[k]));
    aes_check(f, tag++, k, ECB, true, key, {}, from_hex(ct1[k]), pt1);
  }
  const Bytes pt = from_hex(kPt38a);
  const Bytes iv = from_hex("000102030405060708090a0b0c0d0e0f");
  const Bytes ctr = from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  for (unsigned k = 0; k < 3; ++k) {
    const Bytes key = from_hex(kKeys38a[k]);
    ASSERT_EQ(ltc_aes(ECB, false, key, {}, pt), from_hex(kEcb38a[k]));
    aes_check(f, tag++, k, ECB, false, key, {}, pt, from_hex(kEcb38a[k]));
    aes_check(f, tag++, k, ECB, true, key, {}, from_hex(kEcb38a[k]), pt);
    aes_check(f, tag++, k, CBC, false, key, iv, pt, from_hex(kCbc38a[k]));
    aes_check(f, tag++, k, CBC, true, key, iv, from_hex(kCbc38a[k]), pt);
    aes_check(f, tag++, k, CTR, false, key, ctr, pt, from_hex(kCtr38a[k]));
    aes_check(f, tag++, k, CTR, true, key, ctr, from_hex(kCtr38a[k]), pt);
  }
  f.settle();
}

// 200 random jobs (key size, mode, direction, 1..64 blocks) with random rx
// gaps and tx stalls; every answer against LibTomCrypt.
TEST(Fabric, AesRandom) {
  Fab f;
  f.rx_gap = 20;
  f.tx_stall = 30;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    unsigned k = rng() % 3;
    int mode = static_cast<int>(rng() % 3);
    bool dec = rng() & 1;
    unsigned n = (i % 10 == 0) ? 64 : 1 + rng() % 64;
    Bytes key = random_bytes(rng, 16 + 8 * k), iv = random_bytes(rng, 16), in = random_bytes(rng, 16 * n);
    if (mode == CTR && i % 7 == 0) std::fill(iv.begin() + 8, iv.end(), 0xff);  // carry
    aes_check(f, static_cast<uint8_t>(i), k, mode, dec, key, iv, in,
              ltc_aes(mode, dec, key, mode == ECB ? Bytes{} : iv, in));
    if (HasFailure()) break;
  }
  f.settle();
}

template <class F>
void sha_check(F& f, uint8_t tag, const Bytes& h, const Bytes& blocks, const Bytes& want) {
  Rsp r = f.job(request(tag, FHSM_OP_SHA256, 0, sha_payload(h, blocks)));
  EXPECT_EQ(r.tag, tag);
  EXPECT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.engine >> 4, FHSM_ENG_SHA256);
  EXPECT_EQ(r.payload, want);
  EXPECT_EQ(r.cycles, sha_cycles(static_cast<unsigned>(blocks.size() / 64)));
}

TEST(Fabric, Sha256Fips180Examples) {
  Fab f;
  // "abc": one padded block from the standard IV
  sha_check(f, 1, kSha256Iv, sha_pad({'a', 'b', 'c'}),
            from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  // the 448-bit message: two blocks, sent as two chained jobs
  const char* m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Bytes p = sha_pad(Bytes(m2, m2 + 56));
  ASSERT_EQ(p.size(), 128u);
  Rsp r = f.job(request(2, FHSM_OP_SHA256, 0, sha_payload(kSha256Iv, Bytes(p.begin(), p.begin() + 64))));
  ASSERT_EQ(r.status, FHSM_ST_OK);
  sha_check(f, 3, r.payload, Bytes(p.begin() + 64, p.end()),
            from_hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  // the same in one job
  sha_check(f, 4, kSha256Iv, p, from_hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  f.settle();
}

TEST(Fabric, Sha256Random) {
  Fab f;
  f.rx_gap = 20;
  f.tx_stall = 30;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; ++i) {
    unsigned n = (i % 10 == 0) ? 16 : 1 + rng() % 16;
    Bytes h = random_bytes(rng, 32), blocks = random_bytes(rng, 64 * n);
    sha_check(f, static_cast<uint8_t>(i), h, blocks, ltc_sha_compress(h, blocks));
    if (HasFailure()) break;
  }
  // a whole random message hashed job by job against sha256_done
  Bytes msg = random_bytes(rng, 3000), p = sha_pad(msg), h = kSha256Iv;
  for (size_t off = 0; off < p.size(); off += 16 * 64) {
    size_t len = std::min<size_t>(16 * 64, p.size() - off);
    Rsp r = f.job(request(0xee, FHSM_OP_SHA256, 0, sha_payload(h, Bytes(p.begin() + off, p.begin() + off + len))));
    ASSERT_EQ(r.status, FHSM_ST_OK);
    h = r.payload;
  }
  hash_state md;
  Bytes want(32);
  sha256_init(&md);
  sha256_process(&md, msg.data(), msg.size());
  sha256_done(&md, want.data());
  EXPECT_EQ(h, want);
  f.settle();
}

template <class F>
void modexp_check(F& f, uint8_t tag, const Z& n, const Z& x, const Z& e) {
  Rsp r = f.job(request(tag, FHSM_OP_MODEXP, 0, modexp_payload(n, x, e)));
  EXPECT_EQ(r.tag, tag);
  EXPECT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.engine >> 4, FHSM_ENG_MODEXP);
  EXPECT_EQ(r.payload, modexp_expect(n, x, e)) << "n bits " << nbits(n) << " e bits " << nbits(e);
  EXPECT_EQ(r.cycles, modexp_cycles(nwords_for(n), nbits(e))) << "s " << nwords_for(n);
}

TEST(Fabric, ModexpSmallEdgeCases) {
  Fab f;
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 5);
  uint8_t tag = 0;
  const unsigned sizes[] = {3, 17, 30, 31, 64, 100, 200};
  for (unsigned bits : sizes) {
    Z n = random_bits(rs, bits, true);
    mpz_setbit(n.v, 0);
    Z nm1;
    mpz_sub_ui(nm1.v, n.v, 1);
    Z xs[4] = {Z(0), Z(1), nm1, Z()};
    mpz_urandomm(xs[3].v, rs, n.v);
    Z es[5] = {Z(0), Z(1), Z(3), Z(65537), random_bits(rs, bits, true)};
    for (auto& x : xs)
      for (auto& e : es) modexp_check(f, tag++, n, x, e);
  }
  gmp_randclear(rs);
  // n = 1: everything is 0 mod 1
  modexp_check(f, tag++, Z(1), Z(0), Z(0));
  modexp_check(f, tag++, Z(1), Z(0), Z(5));
  f.settle();
}

TEST(Fabric, Modexp1024Random) {
  Fab f;
  f.tx_stall = 30;
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 9);
  for (int i = 0; i < 10; ++i) {
    Z n = random_bits(rs, 1024, true);
    mpz_setbit(n.v, 0);
    Z x, e = random_bits(rs, i < 8 ? 1024 : 17, true);
    mpz_urandomm(x.v, rs, n.v);
    modexp_check(f, static_cast<uint8_t>(0x80 + i), n, x, e);
  }
  gmp_randclear(rs);
  f.settle();
}

// Operand errors: BAD_ARG / BAD_LEN, the slot released, the next job fine.
TEST(Fabric, ModexpBadOperands) {
  Fab f;
  Z n(0xc5), x(7), e(5);   // 8-bit modulus: s = 1
  auto st = [&](const Bytes& pay) { return f.job(request(9, FHSM_OP_MODEXP, 0, pay)).status; };
  EXPECT_EQ(st(modexp_payload(Z(0xc4), x, e)), FHSM_ST_BAD_ARG) << "even n";
  Bytes p = modexp_payload(n, x, e);
  p[0] = 0; p[1] = 0;
  EXPECT_EQ(st(p), FHSM_ST_BAD_ARG) << "s = 0";
  p = modexp_payload(n, x, e);
  p[1] = 2;
  EXPECT_EQ(st(p), FHSM_ST_BAD_LEN) << "s inconsistent with LEN";
  p = modexp_payload(n, x, e);
  p[0] = 0x01;
  EXPECT_EQ(st(p), FHSM_ST_BAD_ARG) << "s > MAXBITS/W + 1";
  EXPECT_EQ(st(modexp_payload(n, x, e, 1, 33)), FHSM_ST_BAD_ARG) << "ebits > W*s";
  Z big;
  mpz_setbit(big.v, 31);
  mpz_setbit(big.v, 0);
  EXPECT_EQ(st(modexp_payload(big, x, e, 1)), FHSM_ST_BAD_ARG) << "n >= 2^(W*s-2)";
  EXPECT_EQ(st(Bytes(4 + 5 * 4, 0)), FHSM_ST_BAD_LEN) << "LEN not 4 + 4*s*W/8";
  modexp_check(f, 10, n, x, e);
  f.settle();
}

// Every error status, each followed by good jobs with the right tags.
TEST(Fabric, ErrorsAndRecovery) {
  Fab f;
  std::mt19937_64 rng(13);
  const Bytes key = random_bytes(rng, 16), in = random_bytes(rng, 32);
  const Bytes good = request(0x11, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
  const Bytes want = ltc_aes(ECB, false, key, {}, in);
  auto expect_good = [&](const char* what) {
    Rsp r = f.job(good);
    EXPECT_EQ(r.tag, 0x11) << what;
    EXPECT_EQ(r.status, FHSM_ST_OK) << what;
    EXPECT_EQ(r.payload, want) << what;
  };
  auto expect_err = [&](const Bytes& bytes, uint8_t tag, uint8_t status, const char* what) {
    Rsp r = f.job(bytes);
    EXPECT_EQ(r.tag, tag) << what;
    EXPECT_EQ(r.status, status) << what;
    EXPECT_EQ(r.engine, 0) << what;
    EXPECT_EQ(r.cycles, 0u) << what;
    EXPECT_TRUE(r.payload.empty()) << what;
    expect_good(what);
  };
  // garbage without SYNC is ignored
  Bytes junk = random_bytes(rng, 300);
  for (auto& b : junk)
    if (b == FHSM_SYNC_REQ) b = 0;
  f.send(junk);
  expect_good("after garbage");
  // bad header CRC
  Bytes bad = request(0x21, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
  bad[6] ^= 0x5a;
  Bytes rest(bad.begin() + 7, bad.end());
  for (auto& b : rest)
    if (b == FHSM_SYNC_REQ) b = 0;   // the rest of the bad frame is noise
  std::copy(rest.begin(), rest.end(), bad.begin() + 7);
  expect_err(bad, 0x21, FHSM_ST_BAD_HCRC, "bad HCRC");
  // a frame that starts inside a corrupted header: A5 A5 <good frame after its SYNC>
  {
    Bytes g2 = request(0x33, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
    ASSERT_NE(fhsm_crc8(std::vector<uint8_t>{FHSM_SYNC_REQ, g2[1], g2[2], g2[3], g2[4]}.data(), 5), g2[5]);
    Bytes b2 = {FHSM_SYNC_REQ};
    b2.insert(b2.end(), g2.begin(), g2.end());
    size_t n0 = f.rsps.size();
    f.send(b2);
    f.run_until(n0 + 2);
    ASSERT_EQ(f.rsps.size(), n0 + 2);
    EXPECT_EQ(f.rsps[n0].status, FHSM_ST_BAD_HCRC);
    EXPECT_EQ(f.rsps[n0].tag, FHSM_SYNC_REQ);
    EXPECT_EQ(f.rsps[n0 + 1].tag, 0x33);
    EXPECT_EQ(f.rsps[n0 + 1].status, FHSM_ST_OK);
    EXPECT_EQ(f.rsps[n0 + 1].payload, want);
  }
  // garbage with SYNC bytes in it, then a good frame
  {
    Bytes b3 = {FHSM_SYNC_REQ, 0x01, 0x02};
    b3.insert(b3.end(), good.begin(), good.end());
    size_t n0 = f.rsps.size();
    f.send(b3);
    f.run_until(n0 + 2);
    ASSERT_EQ(f.rsps.size(), n0 + 2);
    EXPECT_EQ(f.rsps[n0].status, FHSM_ST_BAD_HCRC);
    EXPECT_EQ(f.rsps[n0 + 1].tag, 0x11);
    EXPECT_EQ(f.rsps[n0 + 1].payload, want);
  }
  // bad payload CRC
  bad = request(0x22, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
  bad.back() ^= 1;
  expect_err(bad, 0x22, FHSM_ST_BAD_PCRC, "bad PCRC");
  bad = request(0x2a, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
  bad[20] ^= 0x80;
  expect_err(bad, 0x2a, FHSM_ST_BAD_PCRC, "corrupted payload");
  bad = request(0x2b, FHSM_OP_INFO, 0, {});
  bad.back() ^= 1;
  expect_err(bad, 0x2b, FHSM_ST_BAD_PCRC, "INFO bad PCRC");
  // unknown op (skipped with its payload, which may contain SYNC bytes)
  expect_err(request(0x23, 0x77, 0, Bytes(40, FHSM_SYNC_REQ)), 0x23, FHSM_ST_BAD_OP, "unknown op");
  expect_err(request(0x24, 0x00, 0, {}), 0x24, FHSM_ST_BAD_OP, "op 0");
  // oversize LEN: header only is trusted, LEN + 2 bytes skipped
  {
    Bytes h = {FHSM_SYNC_REQ, 0x25, FHSM_OP_AES, 0, 0x0b, 0xb8, 0};   // LEN 3000
    h[6] = fhsm_crc8(h.data() + 1, 5);
    Bytes fill(3002, FHSM_SYNC_REQ);
    h.insert(h.end(), fill.begin(), fill.end());
    expect_err(h, 0x25, FHSM_ST_BAD_LEN, "oversize LEN");
  }
  expect_err(request(0x26, FHSM_OP_SHA256, 0, Bytes(100, 0)), 0x26, FHSM_ST_BAD_LEN, "SHA partial block");
  expect_err(request(0x27, FHSM_OP_AES, aes_arg(0, ECB, false), Bytes(32 + 20, 0)), 0x27, FHSM_ST_BAD_LEN,
             "AES partial block");
  expect_err(request(0x28, FHSM_OP_AES, aes_arg(0, ECB, false), Bytes(32, 0)), 0x28, FHSM_ST_BAD_LEN,
             "AES no data");
  expect_err(request(0x29, FHSM_OP_AES, aes_arg(0, ECB, false), Bytes(32 + 16 * 65, 0)), 0x29,
             FHSM_ST_BAD_LEN, "AES 65 blocks");
  expect_err(request(0x2c, FHSM_OP_INFO, 0, Bytes(3, 0)), 0x2c, FHSM_ST_BAD_LEN, "INFO with payload");
  expect_err(request(0x2d, FHSM_OP_AES, 3, Bytes(64, 0)), 0x2d, FHSM_ST_BAD_ARG, "AES key length 3");
  expect_err(request(0x2e, FHSM_OP_AES, 3 << 2, Bytes(48, 0)), 0x2e, FHSM_ST_BAD_ARG, "AES mode 3");
  // truncated while skipping an oversize frame
  {
    Bytes h = {FHSM_SYNC_REQ, 0x31, FHSM_OP_SHA256, 0, 0x10, 0x00, 0};   // LEN 4096
    h[6] = fhsm_crc8(h.data() + 1, 5);
    h.resize(h.size() + 100, 0);
    size_t n0 = f.rsps.size();
    f.send(h);
    f.run_until(n0 + 1);
    ASSERT_EQ(f.rsps.size(), n0 + 1);
    EXPECT_EQ(f.rsps[n0].status, FHSM_ST_TRUNCATED);
    EXPECT_EQ(f.rsps[n0].tag, 0x31);
    expect_good("after truncated skip");
  }
  // truncated frames: header only, mid-payload, mid-header
  for (size_t cut : {size_t(7), size_t(30), size_t(good.size() - 1), size_t(3), size_t(1)}) {
    Bytes t = request(0x30, FHSM_OP_AES, aes_arg(0, ECB, false), aes_payload(key, {}, in));
    t.resize(cut);
    size_t n0 = f.rsps.size();
    f.send(t);
    uint64_t c0 = f.d.cycle;
    f.run_until(n0 + 1);
    ASSERT_EQ(f.rsps.size(), n0 + 1);
    EXPECT_GE(f.d.cycle - c0, kIdleTimeout);
    EXPECT_EQ(f.rsps[n0].status, FHSM_ST_TRUNCATED) << "cut at " << cut;
    EXPECT_EQ(f.rsps[n0].tag, cut > 1 ? 0x30 : 0) << "cut at " << cut;
    expect_good("after truncation");
  }
  f.settle();
}

// A long MODEXP runs while AES and SHA jobs are sent and answered; the
// modexp answer comes last. Back-pressure: more AES jobs than engines.
TEST(Fabric, JobsInFlightAndBackpressure) {
  Fab f;
  f.tx_stall = 20;
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 3);
  Z n = random_bits(rs, 1024, true), x, e = random_bits(rs, 1024, true);
  mpz_setbit(n.v, 0);
  mpz_urandomm(x.v, rs, n.v);
  gmp_randclear(rs);
  std::mt19937_64 rng(17);
  std::map<uint8_t, Bytes> want;
  f.send(request(0xf0, FHSM_OP_MODEXP, 0, modexp_payload(n, x, e)));
  want[0xf0] = modexp_expect(n, x, e);
  for (int i = 0; i < 40; ++i) {
    uint8_t tag = static_cast<uint8_t>(i);
    if (i % 2) {
      Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 16), in = random_bytes(rng, 16 * (1 + i));
      f.send(request(tag, FHSM_OP_AES, aes_arg(2, CBC, false), aes_payload(key, iv, in)));
      want[tag] = ltc_aes(CBC, false, key, iv, in);
    } else {
      Bytes h = random_bytes(rng, 32), blocks = random_bytes(rng, 64 * (1 + i % 16));
      f.send(request(tag, FHSM_OP_SHA256, 0, sha_payload(h, blocks)));
      want[tag] = ltc_sha_compress(h, blocks);
    }
  }
  f.run_until(want.size());
  ASSERT_EQ(f.rsps.size(), want.size());
  EXPECT_EQ(f.rsps.back().tag, 0xf0) << "the modexp should finish last";
  for (const Rsp& r : f.rsps) {
    EXPECT_EQ(r.status, FHSM_ST_OK) << int(r.tag);
    EXPECT_EQ(r.payload, want[r.tag]) << int(r.tag);
    want.erase(r.tag);
  }
  EXPECT_TRUE(want.empty()) << "missing or duplicate tags";
  EXPECT_GE(f.max_busy, 3u) << "engines never busy at the same time";
  EXPECT_TRUE(f.saw_backpressure);
  f.settle();
}

// Two engines per kind (Vfabric2: N_AES=2, N_SHA256=2, N_MODEXP=2,
// MODEXP_MAXBITS=2048): jobs spread over both, responses name the engine.
TEST(Fabric, TwoEnginesPerKind) {
  Fabric<Vfabric2> f;
  f.rx_gap = 10;
  f.tx_stall = 20;
  Rsp info = f.job(request(1, FHSM_OP_INFO, 0, {}));
  ASSERT_EQ(info.payload.size(), static_cast<size_t>(FHSM_INFO_BYTES));
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_N_AES], 2);
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_N_SHA256], 2);
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_N_MODEXP], 2);
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_MODEXP_BITS] << 8 | info.payload[FHSM_INFO_OFF_MODEXP_BITS + 1], 2048);
  f.rsps.clear();
  std::mt19937_64 rng(19);
  std::map<uint8_t, Bytes> want;
  std::map<uint8_t, int> seen_engine;
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 4);
  for (int i = 0; i < 2; ++i) {
    Z n = random_bits(rs, 512, true), x, e = random_bits(rs, 512, true);
    mpz_setbit(n.v, 0);
    mpz_urandomm(x.v, rs, n.v);
    uint8_t tag = static_cast<uint8_t>(0xe0 + i);
    f.send(request(tag, FHSM_OP_MODEXP, 0, modexp_payload(n, x, e)));
    want[tag] = modexp_expect(n, x, e);
  }
  gmp_randclear(rs);
  for (int i = 0; i < 60; ++i) {
    uint8_t tag = static_cast<uint8_t>(i);
    if (i % 2) {
      unsigned k = rng() % 3;
      Bytes key = random_bytes(rng, 16 + 8 * k), iv = random_bytes(rng, 16), in = random_bytes(rng, 16 * (1 + rng() % 64));
      f.send(request(tag, FHSM_OP_AES, aes_arg(k, CTR, false), aes_payload(key, iv, in)));
      want[tag] = ltc_aes(CTR, false, key, iv, in);
    } else {
      Bytes h = random_bytes(rng, 32), blocks = random_bytes(rng, 64 * (1 + rng() % 16));
      f.send(request(tag, FHSM_OP_SHA256, 0, sha_payload(h, blocks)));
      want[tag] = ltc_sha_compress(h, blocks);
    }
  }
  size_t total = want.size();
  f.run_until(total);
  ASSERT_EQ(f.rsps.size(), total);
  std::map<uint8_t, int> engines;
  for (const Rsp& r : f.rsps) {
    EXPECT_EQ(r.status, FHSM_ST_OK) << int(r.tag);
    EXPECT_EQ(r.payload, want[r.tag]) << int(r.tag);
    engines[r.engine]++;
    want.erase(r.tag);
  }
  EXPECT_TRUE(want.empty());
  for (uint8_t eng : {0x10, 0x11, 0x20, 0x21, 0x30, 0x31}) EXPECT_GT(engines[eng], 0) << "engine " << int(eng);
  EXPECT_GE(f.max_busy, 4u);
  f.settle();
}

// Latency on an idle fabric with a free link: from the cycle the last request
// byte is taken to the cycle the response's SYNC leaves: CYC + 3 for a job,
// 4 for INFO
// (rtl/README.md); the response then streams at one byte per cycle.
TEST(Fabric, LatencyIsCycPlusConstant) {
  Fab f;
  std::mt19937_64 rng(23);
  auto lat = [&](const Bytes& frame, size_t rsp_bytes) {
    Rsp r = f.job(frame);
    EXPECT_EQ(r.status, FHSM_ST_OK);
    EXPECT_EQ(f.d.cycle - 1 - f.first_tx, rsp_bytes - 1) << "response not back to back";
    return std::make_pair(f.first_tx - f.last_rx, r.cycles);
  };
  auto info = lat(request(1, FHSM_OP_INFO, 0, {}), 13 + FHSM_INFO_BYTES);
  EXPECT_EQ(info.first, 4u);
  for (unsigned k = 0; k < 3; ++k) {
    auto a = lat(request(2, FHSM_OP_AES, aes_arg(k, CBC, true),
                         aes_payload(random_bytes(rng, 16 + 8 * k), random_bytes(rng, 16), random_bytes(rng, 64))),
                 13 + 64);
    EXPECT_EQ(a.first, a.second + 3) << "AES key " << k;
  }
  auto sh = lat(request(3, FHSM_OP_SHA256, 0, sha_payload(random_bytes(rng, 32), random_bytes(rng, 128))), 13 + 32);
  EXPECT_EQ(sh.first, sh.second + 3);
  Z n(1000003), x(12345), e(65537);
  auto mx = lat(request(4, FHSM_OP_MODEXP, 0, modexp_payload(n, x, e)), 13 + 4);
  EXPECT_EQ(mx.first, mx.second + 3);
  f.settle();
}

// Vfabric3: N_AES=0, N_SHA256=1, N_MODEXP=1, MODEXP_W=16, MODEXP_MAXBITS=1024
// (the shape that fits an UP5K): AES answers BAD_OP, the W=16 modexp slot
// (2-byte words) against GMP, limits from INFO.
struct WordSize {
  unsigned old;
  explicit WordSize(unsigned w) : old(kW) { kW = w; }
  ~WordSize() { kW = old; }
};

TEST(Fabric, NoAesAndW16Modexp) {
  WordSize ws(16);
  Fabric<Vfabric3> f;
  f.tx_stall = 20;
  Rsp info = f.job(request(1, FHSM_OP_INFO, 0, {}));
  ASSERT_EQ(info.payload.size(), static_cast<size_t>(FHSM_INFO_BYTES));
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_N_AES], 0);
  EXPECT_EQ(info.payload[FHSM_INFO_OFF_MODEXP_W], 16);
  uint32_t maxp = info.payload[FHSM_INFO_OFF_MAX_PAYLOAD] << 8 | info.payload[FHSM_INFO_OFF_MAX_PAYLOAD + 1];
  EXPECT_EQ(maxp, 32u + 64 * FHSM_SHA256_MAX_BLOCKS) << "SHA256 has the largest payload here";
  std::mt19937_64 rng(29);
  Rsp r = f.job(request(2, FHSM_OP_AES, 0, Bytes(48, 0)));
  EXPECT_EQ(r.status, FHSM_ST_BAD_OP);
  EXPECT_EQ(r.tag, 2);
  Bytes h = random_bytes(rng, 32), blocks = random_bytes(rng, 64 * 3);
  sha_check(f, 3, h, blocks, ltc_sha_compress(h, blocks));
  gmp_randstate_t rs;
  gmp_randinit_default(rs);
  gmp_randseed_ui(rs, 6);
  uint8_t tag = 10;
  for (unsigned bits : {5u, 14u, 15u, 16u, 33u, 100u, 512u, 1022u}) {
    Z n = random_bits(rs, bits, true);
    mpz_setbit(n.v, 0);
    Z nm1, x;
    mpz_sub_ui(nm1.v, n.v, 1);
    mpz_urandomm(x.v, rs, n.v);
    modexp_check(f, tag++, n, x, Z(nwords_for(n) * kW > 17 ? 65537 : 3));   // e fits W*s bits
    modexp_check(f, tag++, n, nm1, random_bits(rs, bits, true));
    modexp_check(f, tag++, n, Z(0), Z(0));
  }
  // a 1024-bit modulus needs s = 65 = MAXBITS/W + 1 words: the build's limit
  Z n = random_bits(rs, 1024, true), x;
  mpz_setbit(n.v, 0);
  mpz_urandomm(x.v, rs, n.v);
  modexp_check(f, tag++, n, x, Z(3));
  // s = 66 exceeds the build: the LEN check answers first
  r = f.job(request(tag, FHSM_OP_MODEXP, 0, modexp_payload(n, x, Z(3), 66)));
  EXPECT_EQ(r.status, FHSM_ST_BAD_LEN);
  gmp_randclear(rs);
  f.settle();
}
