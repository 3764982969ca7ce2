/* Frames of the host <-> fabric job protocol (docs/protocol.md; constants in
 * fhsm/proto.h, generated from proto/protocol.py). The same bytes go over every
 * transport; this file only encodes requests and reassembles responses. */
#ifndef FHSM_FRAME_H
#define FHSM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "fhsm/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CRC-8 (poly 0x07, init 0) of the header and CRC-16/CCITT-FALSE of the payload. */
uint8_t fhsm_crc8(const void *data, size_t len);
uint16_t fhsm_crc16(const void *data, size_t len);

/* Bytes of a request frame carrying len payload bytes. */
static inline size_t fhsm_frame_request_size(size_t len)
{
	return FHSM_REQ_HDR_BYTES + len + FHSM_CRC_BYTES;
}

/* Writes one request frame to out (cap bytes). Returns the frame's size, or 0
 * when cap is too small or len exceeds FHSM_MAX_PAYLOAD. */
size_t fhsm_frame_request(uint8_t *out, size_t cap, uint8_t tag, uint8_t op, uint8_t arg,
			  const void *payload, size_t len);

/* The same, for tests and for the fabric's point of view: a response frame. */
size_t fhsm_frame_response(uint8_t *out, size_t cap, uint8_t tag, uint8_t status, uint8_t engine,
			   uint32_t cycles, const void *payload, size_t len);

typedef struct {
	uint8_t tag;
	uint8_t status;		/* enum fhsm_status */
	uint8_t engine;		/* kind << 4 | index */
	uint32_t cycles;	/* engine cycles spent on the job */
	uint16_t len;
	const uint8_t *payload; /* valid until the next fhsm_rx_feed */
} fhsm_response;

/* Reassembles response frames from a byte stream that may carry noise, lose
 * bytes or cut a frame short: it hunts for SYNC_RSP, checks the header CRC
 * before trusting LEN, then the payload CRC. */
typedef struct {
	uint8_t hdr[FHSM_RSP_HDR_BYTES];
	uint8_t buf[FHSM_MAX_PAYLOAD + FHSM_CRC_BYTES];
	size_t have; /* bytes of the current frame so far (header, then payload + CRC) */
	size_t need; /* payload + CRC bytes once the header is in */
	uint64_t bad_frames; /* frames dropped for a CRC error or an impossible length */
	uint64_t noise_bytes; /* bytes skipped while hunting for SYNC */
} fhsm_rx;

enum { FHSM_RX_NEED = 0, FHSM_RX_FRAME = 1 };

void fhsm_rx_init(fhsm_rx *rx);
/* Consumes bytes from in until one frame completes (FHSM_RX_FRAME, *rsp set)
 * or the input runs out (FHSM_RX_NEED). *used says how many bytes were taken. */
int fhsm_rx_feed(fhsm_rx *rx, const uint8_t *in, size_t len, size_t *used, fhsm_response *rsp);

#ifdef __cplusplus
}
#endif
#endif
