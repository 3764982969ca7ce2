// The frame codec of the job protocol: CRCs against the catalogue check values
// (CRC-8/SMBUS, CRC-16/IBM-3740 a.k.a. CCITT-FALSE, over "123456789"), request
// layout by hand from docs/protocol.md, and response reassembly from a byte
// stream with noise, corruption and arbitrary splits.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "fhsm/frame.h"

TEST(Frame, CrcCheckValues)
{
	EXPECT_EQ(fhsm_crc8("123456789", 9), 0xF4);
	EXPECT_EQ(fhsm_crc16("123456789", 9), 0x29B1);
	EXPECT_EQ(fhsm_crc16("", 0), 0xFFFF);
}

TEST(Frame, RequestLayout)
{
	uint8_t f[32];
	const uint8_t pl[3] = {1, 2, 3};
	ASSERT_EQ(fhsm_frame_request(f, sizeof f, 0x42, FHSM_OP_AES, 0x05, pl, 3), 12u);
	const uint8_t hdr[6] = {0xA5, 0x42, 0x10, 0x05, 0x00, 0x03};
	EXPECT_EQ(memcmp(f, hdr, 6), 0);
	EXPECT_EQ(f[6], fhsm_crc8(f + 1, 5));
	EXPECT_EQ(memcmp(f + 7, pl, 3), 0);
	uint16_t crc = fhsm_crc16(pl, 3);
	EXPECT_EQ(f[10], crc >> 8);
	EXPECT_EQ(f[11], crc & 0xFF);
	EXPECT_EQ(fhsm_frame_request(f, 11, 0, 0, 0, pl, 3), 0u) << "too small a buffer";
	std::vector<uint8_t> big(FHSM_MAX_PAYLOAD + 1), out(FHSM_MAX_PAYLOAD + 16);
	EXPECT_EQ(fhsm_frame_request(out.data(), out.size(), 0, 0, 0, big.data(), big.size()), 0u);
}

namespace {

std::vector<uint8_t> response(uint8_t tag, size_t len, uint8_t fill)
{
	std::vector<uint8_t> pl(len, fill), f(FHSM_RSP_HDR_BYTES + len + 2);
	size_t n = fhsm_frame_response(f.data(), f.size(), tag, FHSM_ST_OK, 0x12, 1000 + tag, pl.data(), len);
	EXPECT_EQ(n, f.size());
	return f;
}

}  // namespace

TEST(Frame, ReassemblyThroughNoiseAndDamage)
{
	std::mt19937 rng(7);
	std::vector<uint8_t> stream;
	std::vector<int> want;  // tags of the frames that must come out
	for (int t = 0; t < 200; t++) {
		auto f = response((uint8_t)t, rng() % 300, (uint8_t)t);
		switch (rng() % 5) {
		case 0:  // noise before it, including stray SYNC bytes
			for (int i = 0; i < 7; i++)
				stream.push_back(i == 3 ? FHSM_SYNC_RSP : (uint8_t)rng());
			want.push_back(t);
			break;
		case 1:  // a payload or CRC byte flipped: this frame is lost, the next is not
			f[FHSM_RSP_HDR_BYTES + (rng() % (f.size() - FHSM_RSP_HDR_BYTES))] ^= 0x40;
			break;
		case 2:  // a header byte flipped: lost, and the parser must resynchronize
			f[1 + rng() % (FHSM_RSP_HDR_BYTES - 1)] ^= 0x01;
			break;
		default:
			want.push_back(t);
		}
		stream.insert(stream.end(), f.begin(), f.end());
	}
	fhsm_rx rx;
	fhsm_rx_init(&rx);
	std::vector<int> got;
	size_t off = 0;
	while (off < stream.size()) {
		size_t chunk = 1 + rng() % 64, used = 0;
		if (off + chunk > stream.size())
			chunk = stream.size() - off;
		size_t taken = 0;
		while (taken < chunk) {
			fhsm_response r;
			int st = fhsm_rx_feed(&rx, stream.data() + off + taken, chunk - taken, &used, &r);
			taken += used;
			if (st == FHSM_RX_FRAME) {
				got.push_back(r.tag);
				EXPECT_EQ(r.cycles, 1000u + r.tag);
				for (size_t i = 0; i < r.len; i++)
					ASSERT_EQ(r.payload[i], r.tag);
			}
		}
		off += chunk;
	}
	// A flipped header byte can hide the next frame's SYNC inside a bogus LEN
	// only if the header CRC passes (1 in 256); this seed has none.
	EXPECT_EQ(got, want);
	EXPECT_GT(rx.bad_frames, 0u);
}
