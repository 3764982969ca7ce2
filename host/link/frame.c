/* Frame encoding and response reassembly (see fhsm/frame.h). */
#include <string.h>
#include "fhsm/frame.h"

uint8_t fhsm_crc8(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t crc = 0;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)((crc & 0x80) ? (unsigned)(crc << 1) ^ FHSM_CRC8_POLY : (unsigned)(crc << 1));
	}
	return crc;
}

uint16_t fhsm_crc16(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint16_t crc = FHSM_CRC16_INIT;
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 0x8000) ? (unsigned)(crc << 1) ^ FHSM_CRC16_POLY : (unsigned)(crc << 1));
	}
	return crc;
}

static size_t put_frame(uint8_t *out, size_t cap, const uint8_t *hdr, size_t hdr_len,
			const void *payload, size_t len)
{
	if (len > FHSM_MAX_PAYLOAD || cap < hdr_len + len + FHSM_CRC_BYTES || (len && !payload))
		return 0;
	memcpy(out, hdr, hdr_len - 1);
	out[hdr_len - 1] = fhsm_crc8(hdr + 1, hdr_len - 2);
	if (len)
		memcpy(out + hdr_len, payload, len);
	uint16_t crc = fhsm_crc16(payload, len);
	out[hdr_len + len] = (uint8_t)(crc >> 8);
	out[hdr_len + len + 1] = (uint8_t)crc;
	return hdr_len + len + FHSM_CRC_BYTES;
}

size_t fhsm_frame_request(uint8_t *out, size_t cap, uint8_t tag, uint8_t op, uint8_t arg,
			  const void *payload, size_t len)
{
	uint8_t hdr[FHSM_REQ_HDR_BYTES] = { FHSM_SYNC_REQ, tag, op, arg, (uint8_t)(len >> 8),
					    (uint8_t)len, 0 };
	return put_frame(out, cap, hdr, sizeof hdr, payload, len);
}

size_t fhsm_frame_response(uint8_t *out, size_t cap, uint8_t tag, uint8_t status, uint8_t engine,
			   uint32_t cycles, const void *payload, size_t len)
{
	uint8_t hdr[FHSM_RSP_HDR_BYTES] = { FHSM_SYNC_RSP, tag, status, engine,
					    (uint8_t)(len >> 8), (uint8_t)len,
					    (uint8_t)(cycles >> 24), (uint8_t)(cycles >> 16),
					    (uint8_t)(cycles >> 8), (uint8_t)cycles, 0 };
	return put_frame(out, cap, hdr, sizeof hdr, payload, len);
}

void fhsm_rx_init(fhsm_rx *rx)
{
	memset(rx, 0, sizeof *rx);
}

/* Drops the frame in progress. Resynchronization restarts at the byte after its
 * SYNC, so a frame that begins inside a corrupted one is still found. */
static void rx_resync(fhsm_rx *rx)
{
	rx->bad_frames++;
	/* Replay the header bytes after SYNC: one of them may start a real frame. */
	uint8_t replay[FHSM_RSP_HDR_BYTES];
	size_t n = rx->have < FHSM_RSP_HDR_BYTES ? rx->have : FHSM_RSP_HDR_BYTES;
	memcpy(replay, rx->hdr, n);
	rx->have = 0;
	rx->need = 0;
	size_t k;
	for (k = 1; k < n && replay[k] != FHSM_SYNC_RSP; k++)
		rx->noise_bytes++;
	for (; k < n; k++)
		rx->hdr[rx->have++] = replay[k];
}

int fhsm_rx_feed(fhsm_rx *rx, const uint8_t *in, size_t len, size_t *used, fhsm_response *rsp)
{
	size_t i = 0;
	while (i < len) {
		uint8_t b = in[i++];
		if (rx->have == 0) {
			if (b == FHSM_SYNC_RSP)
				rx->hdr[rx->have++] = b;
			else
				rx->noise_bytes++;
			continue;
		}
		if (rx->have < FHSM_RSP_HDR_BYTES) {
			rx->hdr[rx->have++] = b;
			if (rx->have < FHSM_RSP_HDR_BYTES)
				continue;
			size_t plen = (size_t)rx->hdr[4] << 8 | rx->hdr[5];
			if (fhsm_crc8(rx->hdr + 1, FHSM_RSP_HDR_BYTES - 2) != rx->hdr[FHSM_RSP_HDR_BYTES - 1] ||
			    plen > FHSM_MAX_PAYLOAD) {
				rx_resync(rx);
				continue;
			}
			rx->need = plen + FHSM_CRC_BYTES;
			continue;
		}
		size_t off = rx->have - FHSM_RSP_HDR_BYTES;
		rx->buf[off] = b;
		rx->have++;
		if (off + 1 < rx->need)
			continue;
		size_t plen = rx->need - FHSM_CRC_BYTES;
		uint16_t crc = (uint16_t)(rx->buf[plen] << 8 | rx->buf[plen + 1]);
		rx->have = 0;
		rx->need = 0;
		if (fhsm_crc16(rx->buf, plen) != crc) {
			/* The header was sound, so the frame boundary is trusted: drop it whole. */
			rx->bad_frames++;
			continue;
		}
		rsp->tag = rx->hdr[1];
		rsp->status = rx->hdr[2];
		rsp->engine = rx->hdr[3];
		rsp->len = (uint16_t)plen;
		rsp->cycles = (uint32_t)rx->hdr[6] << 24 | (uint32_t)rx->hdr[7] << 16 |
			      (uint32_t)rx->hdr[8] << 8 | rx->hdr[9];
		rsp->payload = rx->buf;
		*used = i;
		return FHSM_RX_FRAME;
	}
	*used = i;
	return FHSM_RX_NEED;
}
