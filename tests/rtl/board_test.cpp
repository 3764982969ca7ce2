// The board tops (rtl/boards/icebreaker_top.v, ulx3s_top.v) as a whole, PLL in
// its simulation pass-through, driven only through their pins: the host's
// frame encoder (host/link/frame.c, fhsm_frame_request) goes out bit by bit
// on the UART rx pin at the board's bit timing (8N1), the tx pin is decoded
// bit by bit (every bit checked stable for its whole bit time) and the bytes
// are parsed by fhsm_rx_feed. Each top is built with its own default
// parameters (CMake reads them from the .v file), so what is tested is what
// goes into the bitstream; a kind the build lacks must answer BAD_OP.
// Oracles: FIPS-197, FIPS 180-4, LibTomCrypt.
#include <gtest/gtest.h>
#include <tomcrypt.h>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>
#include "Vicebreaker.h"
#include "Vulx3s.h"
#include "fhsm/frame.h"
#include "rtl_harness.h"

using fhsm_rtl::from_hex;

namespace {

using Bytes = std::vector<uint8_t>;

struct Rsp {
  uint8_t tag = 0, status = 0, engine = 0;
  uint32_t cycles = 0;
  Bytes payload;
};

struct Params {
  unsigned n_aes, n_sha, n_modexp, modexp_bits, modexp_w, clk_khz, baud;
  unsigned cpb() const { return (clk_khz * 1000u + baud / 2) / baud; }
};

// Pin access per board.
struct Icebreaker {
  using M = Vicebreaker;
  static constexpr const char* kName = "icebreaker";
  static Params params() {
    return {ICE_N_AES, ICE_N_SHA256, ICE_N_MODEXP, ICE_MODEXP_MAXBITS, ICE_MODEXP_W, ICE_CLK_KHZ, ICE_BAUD};
  }
  static void clk(M* m, bool v) { m->clk_12mhz = v; }
  static void rx(M* m, bool v) { m->uart_rx = v; }
  static bool tx(const M* m) { return m->uart_tx; }
  static void button(M* m, bool pressed) { m->btn_n = !pressed; }
  static bool error_led(const M* m) { return !m->led_red_n; }
  static unsigned busy_leds(const M* m) { return m->led & 7u; }
};
struct Ulx3s {
  using M = Vulx3s;
  static constexpr const char* kName = "ulx3s";
  static Params params() {
    return {ULX_N_AES, ULX_N_SHA256, ULX_N_MODEXP, ULX_MODEXP_MAXBITS, ULX_MODEXP_W, ULX_CLK_KHZ, ULX_BAUD};
  }
  static void clk(M* m, bool v) { m->clk_25mhz = v; }
  static void rx(M* m, bool v) { m->ftdi_txd = v; }
  static bool tx(const M* m) { return m->ftdi_rxd; }
  static void button(M* m, bool pressed) { m->btn_fire1 = pressed; }
  static bool error_led(const M* m) { return (m->led >> 6) & 1u; }
  static unsigned busy_leds(const M* m) { return (m->led >> 1) & 7u; }
};

Bytes request(uint8_t tag, uint8_t op, uint8_t arg, const Bytes& payload) {
  Bytes f(fhsm_frame_request_size(payload.size()));
  size_t n = fhsm_frame_request(f.data(), f.size(), tag, op, arg, payload.data(), payload.size());
  EXPECT_EQ(n, f.size());
  return f;
}

// A board on its pins. The host side is a UART at the board's baud rate:
// the transmitter's bit period can be skewed (skew_ppm) to test the
// receiver's tolerance; the receiver samples every cycle of every bit.
template <class B>
struct Board {
  using M = typename B::M;
  std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
  std::unique_ptr<M> m{new M{ctx.get()}};
  Params p = B::params();
  unsigned cpb = p.cpb();
  uint64_t cycle = 0;
  unsigned busy_seen = 0;   // OR of the busy LEDs since the last clear

  // host -> board: a queue of line levels, one per cycle (built per byte)
  std::deque<uint8_t> bytes_out;
  std::deque<bool> levels;
  int64_t skew_ppm = 0;
  uint64_t phase_q16 = 0;   // fractional cycles carried between bits (1/65536)

  // board -> host
  enum { RX_IDLE, RX_BITS } rst = RX_IDLE;
  unsigned bit_n = 0, bit_cyc = 0, ones = 0;
  uint16_t shift = 0;
  bool prev_tx = true;
  uint64_t frame_errors = 0, unstable_bits = 0, tx_bytes = 0;
  uint64_t first_start = 0, last_stop = 0;   // cycles of the first start edge / last stop bit
  fhsm_rx parser;
  std::vector<Rsp> rsps;

  Board() {
    fhsm_rx_init(&parser);
    B::rx(m.get(), true);
    B::button(m.get(), true);   // hold reset for a few cycles, then release
    B::clk(m.get(), false);
    m->eval();
    for (int i = 0; i < 4; ++i) tick();
    B::button(m.get(), false);
    for (int i = 0; i < 40; ++i) tick();
  }

  void tick() {
    B::clk(m.get(), true);
    m->eval();
    B::clk(m.get(), false);
    m->eval();
    ++cycle;
  }

  // Levels for one 8N1 byte at the host's (possibly skewed) bit period.
  void queue_bits(const std::vector<bool>& bits) {
    uint64_t period_q16 = (static_cast<uint64_t>(cpb) << 16) * static_cast<uint64_t>(1000000 + skew_ppm) / 1000000;
    for (bool b : bits) {
      phase_q16 += period_q16;
      uint64_t n = phase_q16 >> 16;
      phase_q16 &= 0xffff;
      for (uint64_t i = 0; i < n; ++i) levels.push_back(b);
    }
  }
  void queue_byte(uint8_t v, bool stop = true) {
    std::vector<bool> bits{false};
    for (int i = 0; i < 8; ++i) bits.push_back((v >> i) & 1);
    bits.push_back(stop);
    queue_bits(bits);
  }
  void send(const Bytes& b) {
    for (uint8_t v : b) queue_byte(v);
  }
  void idle_bits(unsigned n) { queue_bits(std::vector<bool>(n, true)); }

  void step() {
    bool lvl = true;
    if (!levels.empty()) {
      lvl = levels.front();
      levels.pop_front();
    }
    B::rx(m.get(), lvl);
    tick();
    busy_seen |= B::busy_leds(m.get());
    decode(B::tx(m.get()));
  }

  void decode(bool t) {
    if (rst == RX_IDLE) {
      if (prev_tx && !t) {   // start edge: the bit began at this cycle
        rst = RX_BITS;
        bit_n = 0;
        bit_cyc = 1;
        ones = 0;
        shift = 0;
        if (!tx_bytes) first_start = cycle;
      }
    } else {
      // bit k spans cycles [k*cpb, (k+1)*cpb) after the start edge; all of
      // its samples must agree (exact bit timing, no glitches)
      if (bit_cyc == 0) ones = 0;
      ones += t;
      if (++bit_cyc == cpb) {
        if (ones != 0 && ones != cpb) ++unstable_bits;
        bool v = ones * 2 > cpb;
        if (bit_n == 0 && v) ++frame_errors;   // start bit not low
        if (bit_n >= 1 && bit_n <= 8) shift |= static_cast<uint16_t>(v) << (bit_n - 1);
        if (bit_n == 9) {
          if (!v) ++frame_errors;
          ++tx_bytes;
          last_stop = cycle;
          uint8_t byte = static_cast<uint8_t>(shift);
          size_t used = 0;
          fhsm_response r;
          if (fhsm_rx_feed(&parser, &byte, 1, &used, &r) == FHSM_RX_FRAME) {
            Rsp x;
            x.tag = r.tag;
            x.status = r.status;
            x.engine = r.engine;
            x.cycles = r.cycles;
            x.payload.assign(r.payload, r.payload + r.len);
            rsps.push_back(x);
          }
          rst = RX_IDLE;
        }
        ++bit_n;
        bit_cyc = 0;
      }
    }
    prev_tx = t;
  }

  void run_until(size_t n, uint64_t guard = 20000000) {
    for (uint64_t g = 0; rsps.size() < n; ++g) {
      if (g > guard) {
        ADD_FAILURE() << "timeout waiting for response " << rsps.size() + 1 << " of " << n;
        return;
      }
      step();
    }
  }
  void run(uint64_t cycles) {
    for (uint64_t i = 0; i < cycles; ++i) step();
  }
  Rsp job(const Bytes& frame) {
    size_t n = rsps.size();
    send(frame);
    run_until(n + 1);
    return rsps.size() > n ? rsps[n] : Rsp{};
  }
  void expect_clean_line() {
    EXPECT_EQ(frame_errors, 0u) << "bad start/stop bits on the tx pin";
    EXPECT_EQ(unstable_bits, 0u) << "tx bits not stable for a whole bit time";
    EXPECT_EQ(parser.bad_frames, 0u) << "malformed response frames";
  }
};

// ---- jobs and oracles ----------------------------------------------------------------------
const Bytes kSha256Iv = from_hex("6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19");

Bytes aes_payload(const Bytes& key, const Bytes& iv, const Bytes& data) {
  Bytes p(key);
  p.insert(p.end(), iv.begin(), iv.end());
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
// FIPS-197 Appendix C.1 (AES-128) and C.3 (AES-256), ECB
const Bytes kPt = from_hex("00112233445566778899aabbccddeeff");
const Bytes kKey128 = from_hex("000102030405060708090a0b0c0d0e0f");
const Bytes kCt128 = from_hex("69c4e0d86a7b0430d8cdb78070b4c55a");
const Bytes kKey256 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kCt256 = from_hex("8ea2b7ca516745bfeafc49904b496089");

// FIPS 180-4 "abc": one padded block, compressed from the IV
Bytes sha_abc_payload() {
  Bytes p(kSha256Iv);
  Bytes blk(64, 0);
  blk[0] = 'a';
  blk[1] = 'b';
  blk[2] = 'c';
  blk[3] = 0x80;
  blk[63] = 24;
  p.insert(p.end(), blk.begin(), blk.end());
  return p;
}
const Bytes kShaAbc = from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

// x^e mod n for small n, s = 1 word of W bits; R^2 mod n supplied (R = 2^W)
Bytes put_word(uint64_t v, unsigned bytes) {
  Bytes b(bytes);
  for (unsigned i = 0; i < bytes; ++i) b[bytes - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}
Bytes modexp_small(unsigned w, uint64_t n, uint64_t x, uint64_t e) {
  uint64_t r2 = 1 % n;
  for (unsigned i = 0; i < 2 * w; ++i) r2 = (r2 * 2) % n;
  unsigned eb = 0;
  while (eb < 64 && (e >> eb)) ++eb;
  Bytes p = {0, 1, 0, static_cast<uint8_t>(eb)};
  for (uint64_t v : {n, x, r2, e}) {
    Bytes b = put_word(v, w / 8);
    p.insert(p.end(), b.begin(), b.end());
  }
  return p;
}

Bytes ltc_aes_cbc(const Bytes& key, const Bytes& iv, const Bytes& in) {
  register_cipher(&aes_desc);
  symmetric_CBC c;
  Bytes o(in.size());
  EXPECT_EQ(cbc_start(find_cipher("aes"), iv.data(), key.data(), static_cast<int>(key.size()), 0, &c), CRYPT_OK);
  EXPECT_EQ(cbc_encrypt(in.data(), o.data(), in.size(), &c), CRYPT_OK);
  cbc_done(&c);
  return o;
}

// SHA-256 compression of whole blocks from chaining value h (32 bytes, BE)
Bytes ltc_sha_compress(const Bytes& h, const Bytes& blocks) {
  hash_state md;
  sha256_init(&md);
  for (int i = 0; i < 8; ++i)
    md.sha256.state[i] = static_cast<ulong32>(h[4 * i]) << 24 | h[4 * i + 1] << 16 | h[4 * i + 2] << 8 | h[4 * i + 3];
  EXPECT_EQ(sha256_process(&md, blocks.data(), blocks.size()), CRYPT_OK);
  Bytes o(32);
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 4; ++k) o[4 * i + k] = static_cast<uint8_t>(md.sha256.state[i] >> (24 - 8 * k));
  return o;
}

template <class B>
class BoardTest : public ::testing::Test {};
using Boards = ::testing::Types<Icebreaker, Ulx3s>;
TYPED_TEST_SUITE(BoardTest, Boards);

TYPED_TEST(BoardTest, Info) {
  Board<TypeParam> b;
  const Params& p = b.p;
  ASSERT_GE(b.cpb, 4u) << TypeParam::kName;
  Rsp r = b.job(request(0x11, FHSM_OP_INFO, 0, {}));
  ASSERT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.tag, 0x11);
  ASSERT_EQ(r.payload.size(), static_cast<size_t>(FHSM_INFO_BYTES));
  const Bytes& i = r.payload;
  EXPECT_EQ(std::string(i.begin(), i.begin() + 4), "FHSM");
  EXPECT_EQ(i[FHSM_INFO_OFF_VERSION], FHSM_PROTO_VERSION);
  uint32_t khz = static_cast<uint32_t>(i[5]) << 24 | i[6] << 16 | i[7] << 8 | i[8];
  EXPECT_EQ(khz, p.clk_khz) << "INFO must report the PLL's output clock";
  EXPECT_EQ(i[FHSM_INFO_OFF_N_AES], p.n_aes);
  EXPECT_EQ(i[FHSM_INFO_OFF_N_SHA256], p.n_sha);
  EXPECT_EQ(i[FHSM_INFO_OFF_N_MODEXP], p.n_modexp);
  EXPECT_EQ(static_cast<unsigned>(i[FHSM_INFO_OFF_MODEXP_BITS] << 8 | i[FHSM_INFO_OFF_MODEXP_BITS + 1]), p.modexp_bits);
  EXPECT_EQ(i[FHSM_INFO_OFF_MODEXP_W], p.modexp_w);
  b.expect_clean_line();
  std::printf("[ %s ] %u kHz, %u baud = %u clocks per bit; engines AES %u SHA-256 %u modexp %u (%u bits, W=%u)\n",
              TypeParam::kName, p.clk_khz, p.baud, b.cpb, p.n_aes, p.n_sha, p.n_modexp, p.modexp_bits, p.modexp_w);
}

// One job of each kind, FIPS vectors; a kind the build lacks answers BAD_OP.
TYPED_TEST(BoardTest, OneJobOfEachKind) {
  Board<TypeParam> b;
  const Params& p = b.p;
  Rsp r = b.job(request(0x21, FHSM_OP_AES, 0, aes_payload(kKey128, Bytes(16, 0), kPt)));
  EXPECT_EQ(r.tag, 0x21);
  if (p.n_aes) {
    EXPECT_EQ(r.status, FHSM_ST_OK);
    EXPECT_EQ(r.payload, kCt128);
    EXPECT_EQ(r.engine >> 4, FHSM_ENG_AES);
    r = b.job(request(0x22, FHSM_OP_AES, 2, aes_payload(kKey256, Bytes(16, 0), kPt)));
    EXPECT_EQ(r.status, FHSM_ST_OK);
    EXPECT_EQ(r.payload, kCt256);
  } else {
    EXPECT_EQ(r.status, FHSM_ST_BAD_OP);
  }
  r = b.job(request(0x23, FHSM_OP_SHA256, 0, sha_abc_payload()));
  EXPECT_EQ(r.tag, 0x23);
  if (p.n_sha) {
    EXPECT_EQ(r.status, FHSM_ST_OK);
    EXPECT_EQ(r.payload, kShaAbc);
    EXPECT_EQ(r.engine >> 4, FHSM_ENG_SHA256);
  } else {
    EXPECT_EQ(r.status, FHSM_ST_BAD_OP);
  }
  // 4^13 mod 497 = 445
  r = b.job(request(0x24, FHSM_OP_MODEXP, 0, modexp_small(p.modexp_w, 497, 4, 13)));
  EXPECT_EQ(r.tag, 0x24);
  if (p.n_modexp) {
    EXPECT_EQ(r.status, FHSM_ST_OK);
    EXPECT_EQ(r.payload, put_word(445, p.modexp_w / 8));
    EXPECT_EQ(r.engine >> 4, FHSM_ENG_MODEXP);
  } else {
    EXPECT_EQ(r.status, FHSM_ST_BAD_OP);
  }
  unsigned engines = p.n_aes + p.n_sha + p.n_modexp;
  EXPECT_EQ(b.busy_seen, (1u << (engines < 3 ? engines : 3)) - 1) << "every engine's busy LED lit once";
  EXPECT_FALSE(TypeParam::error_led(b.m.get()));
  b.expect_clean_line();
}

// A job that exercises whichever engine the build has (for the noise tests).
template <class B>
void good_job(Board<B>& b, uint8_t tag) {
  const Params& p = b.p;
  Rsp r;
  if (p.n_aes) {
    r = b.job(request(tag, FHSM_OP_AES, 0, aes_payload(kKey128, Bytes(16, 0), kPt)));
    EXPECT_EQ(r.payload, kCt128);
  } else if (p.n_sha) {
    r = b.job(request(tag, FHSM_OP_SHA256, 0, sha_abc_payload()));
    EXPECT_EQ(r.payload, kShaAbc);
  } else {
    r = b.job(request(tag, FHSM_OP_MODEXP, 0, modexp_small(p.modexp_w, 497, 4, 13)));
    EXPECT_EQ(r.payload, put_word(445, p.modexp_w / 8));
  }
  EXPECT_EQ(r.tag, tag);
  EXPECT_EQ(r.status, FHSM_ST_OK);
}

// Line noise: random bytes (no SYNC among them) are skipped silently; a
// corrupted header is answered BAD_HCRC; a byte with a broken stop bit and a
// glitch shorter than half a bit are dropped by the PHY (the error LED then
// stays lit until reset); a good job works after each.
TYPED_TEST(BoardTest, GarbageThenGoodJob) {
  Board<TypeParam> b;
  std::mt19937_64 rng(7);
  Bytes junk;
  for (int i = 0; i < 200; ++i) {
    uint8_t v = static_cast<uint8_t>(rng());
    junk.push_back(v == FHSM_SYNC_REQ ? 0x00 : v);
  }
  b.send(junk);
  good_job(b, 0x31);
  EXPECT_EQ(b.rsps.size(), 1u) << "noise outside frames gets no answer";

  // SYNC + six header bytes with a wrong CRC
  Bytes hdr = request(0x32, FHSM_OP_INFO, 0, {});
  hdr.resize(FHSM_REQ_HDR_BYTES);
  hdr[FHSM_REQ_HDR_BYTES - 1] ^= 0x5a;
  Rsp r = b.job(hdr);
  EXPECT_EQ(r.status, FHSM_ST_BAD_HCRC);
  good_job(b, 0x33);

  // PHY level: a byte whose stop bit is 0, then idle; a short glitch
  EXPECT_FALSE(TypeParam::error_led(b.m.get()));
  b.queue_byte(0xa5, false);
  b.idle_bits(12);
  b.run(b.levels.size() + 4);
  EXPECT_TRUE(TypeParam::error_led(b.m.get())) << "framing error not shown";
  for (unsigned i = 0; i < b.cpb / 2 - 1; ++i) b.levels.push_back(false);
  b.idle_bits(12);
  b.run(b.levels.size() + 4);
  good_job(b, 0x34);
  EXPECT_EQ(b.rsps.size(), 4u) << "the dropped byte and the glitch must not produce frames";
  b.expect_clean_line();
}

// A frame that stops after its header: TRUNCATED after IDLE_TIMEOUT cycles.
TYPED_TEST(BoardTest, TruncatedFrame) {
  Board<TypeParam> b;
  Bytes f = request(0x41, FHSM_OP_SHA256, 0, sha_abc_payload());
  f.resize(FHSM_REQ_HDR_BYTES + 10);
  Rsp r = b.job(f);
  EXPECT_EQ(r.status, FHSM_ST_TRUNCATED);
  good_job(b, 0x42);
  b.expect_clean_line();
}

// The host's UART may be off by a few percent: +-2.5 % both ways.
TYPED_TEST(BoardTest, BaudSkew) {
  for (int64_t ppm : {25000, -25000}) {
    Board<TypeParam> b;
    b.skew_ppm = ppm;
    Rsp r = b.job(request(0x51, FHSM_OP_INFO, 0, {}));
    EXPECT_EQ(r.status, FHSM_ST_OK) << ppm << " ppm";
    good_job(b, 0x52);
    b.expect_clean_line();
  }
}

// A whole 1 KiB job, the response sent back to back at the line rate (every
// byte exactly 10 bit times): AES-256-CBC (1,081 bytes in, 1,037 out), or
// SHA-256 over 16 blocks (1,065 in, 45 out) on a build without AES.
TYPED_TEST(BoardTest, Job1KiBAtLineRate) {
  Board<TypeParam> b;
  if (!b.p.n_aes && !b.p.n_sha) GTEST_SKIP() << "no AES or SHA-256 engine in this build";
  std::mt19937_64 rng(3);
  Bytes key(32), iv(16), data(1024);
  for (auto& v : key) v = static_cast<uint8_t>(rng());
  for (auto& v : iv) v = static_cast<uint8_t>(rng());
  for (auto& v : data) v = static_cast<uint8_t>(rng());
  Bytes f, want;
  const char* what;
  if (b.p.n_aes) {
    what = "AES-256-CBC";
    f = request(0x61, FHSM_OP_AES, 2 | 1 << 2, aes_payload(key, iv, data));
    EXPECT_EQ(f.size(), 1081u);
    want = ltc_aes_cbc(key, iv, data);
  } else {
    what = "SHA-256";
    Bytes p(kSha256Iv);
    p.insert(p.end(), data.begin(), data.end());
    f = request(0x61, FHSM_OP_SHA256, 0, p);
    EXPECT_EQ(f.size(), 1065u);
    want = ltc_sha_compress(kSha256Iv, data);
  }
  uint64_t t0 = b.cycle;
  Rsp r = b.job(f);
  uint64_t t1 = b.cycle;
  ASSERT_EQ(r.status, FHSM_ST_OK);
  EXPECT_EQ(r.payload, want);
  size_t out = FHSM_RSP_HDR_BYTES + want.size() + FHSM_CRC_BYTES;
  EXPECT_EQ(b.tx_bytes, out);
  EXPECT_EQ(b.last_stop + 1 - b.first_start, out * 10 * b.cpb) << "response not back to back";
  b.expect_clean_line();
  double us = static_cast<double>(t1 - t0) / b.p.clk_khz * 1000.0;
  std::printf("[ %s ] %s 1 KiB: %zu bytes in, %zu out, %llu cycles from first bit in to last bit out = %.0f us "
              "at %u kHz (%.0f kB/s of data; engine %u cycles)\n",
              TypeParam::kName, what, f.size(), out, static_cast<unsigned long long>(t1 - t0), us, b.p.clk_khz,
              1024.0 / us * 1000.0, r.cycles);
}

}  // namespace
