/* The fabric as a device: attach one, run jobs on its engines, read its counters.
 * Every job completes exactly once, on the fabric or on the soft provider
 * (LibTomCrypt/GMP) when the fabric cannot serve it; results are the same bytes
 * either way. Protocol constants: fhsm/proto.h. No PKCS#11 types here. */
#ifndef FHSM_FABRIC_H
#define FHSM_FABRIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "fhsm/error.h"
#include "fhsm/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fhsm_transport_kind { FHSM_TRANSPORT_SIM, FHSM_TRANSPORT_NULL, FHSM_TRANSPORT_USB };

/* Faults the sim transport injects (percent per frame; tests and demos only). */
struct fhsm_link_faults {
	unsigned seed;
	unsigned drop_pct;	/* request frame never reaches the fabric */
	unsigned corrupt_pct;	/* one request byte flipped */
	unsigned dup_pct;	/* request frame sent twice */
	unsigned delay_pct;	/* request frame held back delay_ms */
	unsigned delay_ms;
	unsigned rsp_corrupt_pct; /* one byte of a response chunk flipped */
	unsigned vanish_after;	/* the device disappears after this many request frames (0: never) */
	unsigned return_after_ms; /* ... and can be reopened (a fresh fabric) this long after (0: never) */
};

struct fhsm_fabric_config {
	enum fhsm_transport_kind transport;
	const char *trace;	/* sim: VCD file of every clocked cycle, NULL for none */
	unsigned timeout_ms;	/* slack a job gets beyond its expected engine time */
	unsigned cycles_per_ms;	/* device speed the deadlines assume (0: from INFO's clock) */
	unsigned retries;	/* resends of a job before the device is marked down */
	bool no_batching;	/* one frame per transport write (for the benchmark) */
	unsigned max_engines;	/* use at most this many engines of a kind (0: all; for the benchmark) */
	unsigned probe_ms;	/* a device that went away is looked for again this often (0: 1000) */
	/* usb: which board (0: the FTDI defaults of the boards in docs/boards.md) */
	uint16_t usb_vid, usb_pid;
	const char *usb_serial;	/* NULL: the first board found */
	unsigned usb_interface;	/* FTDI channel: 0 = A, 1 = B (iCEBreaker's UART) */
	unsigned baud;		/* 0: 3,000,000 */
	size_t min_bytes[4];	/* per engine kind: smaller jobs stay soft (link costs more) */
	struct fhsm_link_faults faults;
};
/* Sensible defaults for a transport. */
void fhsm_fabric_config_default(struct fhsm_fabric_config *cfg, enum fhsm_transport_kind t);

#define FHSM_FALLBACK_LIST(X) \
	X(FHSM_FB_NO_DEVICE, "no device attached") \
	X(FHSM_FB_NO_ENGINE, "engine kind missing or failed its KAT") \
	X(FHSM_FB_TOO_LARGE, "operand beyond the fabric's limits") \
	X(FHSM_FB_DEVICE_DOWN, "device down (timeouts, bad frames, gone)") \
	X(FHSM_FB_TOO_SMALL, "job too small to pay for the link") \
	X(FHSM_FB_UNSUPPORTED, "variant the engine lacks (e.g. counter width)")
enum fhsm_fallback_reason {
#define FHSM_FB_ENUM(name, text) name,
	FHSM_FALLBACK_LIST(FHSM_FB_ENUM)
#undef FHSM_FB_ENUM
	FHSM_FB_COUNT
};
const char *fhsm_fallback_text(enum fhsm_fallback_reason r);

#define FHSM_MAX_ENGINES 4 /* per kind */

struct fhsm_link_stats {
	uint64_t cycles;	/* fabric cycles clocked (sim) */
	unsigned peak_busy;	/* most engines busy in one cycle (sim) */
};

struct fhsm_fabric_stats {
	bool attached, up;
	char note[160];		/* the transport's word: which board, or why none */
	uint64_t reconnects;	/* times a device that went away came back and passed its KATs */
	const char *transport;
	/* identity (INFO) */
	uint32_t clock_khz;
	unsigned version, max_payload, modexp_bits, modexp_w, aes_max_blocks, sha256_max_blocks;
	unsigned engines[4];		/* per kind */
	int kat[4];			/* per kind: 1 passed, 0 failed, -1 not run */
	uint64_t jobs[4][FHSM_MAX_ENGINES];   /* fabric jobs per engine */
	uint64_t cycles[4][FHSM_MAX_ENGINES]; /* engine cycles per engine */
	uint64_t soft_jobs[4];		/* jobs of that kind run by the soft provider */
	uint64_t kat_jobs[4];		/* of the fabric jobs: known-answer tests */
	uint64_t fallback[FHSM_FB_COUNT];
	uint64_t frames_sent, writes, bytes_sent, bytes_received;
	uint64_t retries, timeouts, bad_frames, error_status, stale_responses;
	struct fhsm_link_stats link;
};

/* Attaches the process-wide device (replacing none: FHSM_ERR_ARGS if one is
 * attached). Queries INFO and runs the known-answer tests; the device stays
 * attached even when it is down, so that counters stay readable. */
fhsm_err fhsm_fabric_attach(const struct fhsm_fabric_config *cfg);
/* Finishes in-flight jobs (on the soft provider if need be), then detaches. */
void fhsm_fabric_detach(void);
bool fhsm_fabric_attached(void);
/* In a child after fork(): drops the parent's device without touching its
 * threads (they do not exist here) so that a new attach can start afresh. */
void fhsm_fabric_forget(void);
void fhsm_fabric_read_stats(struct fhsm_fabric_stats *out);
/* Whether a board's FTDI UART is there (opened and closed again, nothing sent);
 * why says which, or why none. false in a build without the usb transport. */
bool fhsm_fabric_usb_present(const struct fhsm_fabric_config *cfg, char *why, size_t why_len);
/* Re-runs the known-answer tests of every engine kind; FHSM_OK when all pass. */
fhsm_err fhsm_fabric_self_test(void);

/* A job: one frame's worth of work. The caller owns payload and out until done. */
struct fhsm_job {
	uint8_t op, arg;
	const uint8_t *payload;
	size_t len;
	uint8_t *out;
	size_t out_len;		/* result bytes expected */
	void (*done)(struct fhsm_job *job, void *arg); /* NULL for fhsm_job_run */
	void *done_arg;
	/* results */
	fhsm_err err;
	uint8_t engine;		/* kind << 4 | index on the fabric; kind << 4 | 0xF when soft */
	uint32_t cycles;	/* engine cycles (fabric) */
	/* private to the driver */
	bool probe;		/* INFO or a known-answer job: runs whenever the link is up */
	struct fhsm_job *next;
	uint64_t deadline_ms;
	unsigned tries;
	int tag;
};
#define FHSM_ENGINE_SOFT 0xF
enum fhsm_engine_kind fhsm_job_kind(uint8_t op);

/* Runs a job asynchronously: done() is called exactly once, from a driver
 * thread or (soft fallback without a device) from the caller's. */
void fhsm_job_submit(struct fhsm_job *job);
/* Runs a job and waits for it. */
fhsm_err fhsm_job_run(struct fhsm_job *job);
/* Runs n jobs at once (on as many engines as are free) and waits for all;
 * returns the first job's error, if any. */
fhsm_err fhsm_jobs_run(struct fhsm_job *const *jobs, size_t n);

/* Typed helpers on top of fhsm_job_run, each with the same result on the fabric
 * and in software. engine (may be NULL) says who served. */
/* AES over whole blocks; iv (16 bytes, CBC/CTR) is advanced as the mode does. */
fhsm_err fhsm_fabric_aes(const uint8_t *key, size_t key_len, unsigned mode, bool decrypt,
			 uint8_t iv[16], const uint8_t *in, size_t len, uint8_t *out, uint8_t *engine);
/* SHA-256 compression of whole 64-byte blocks into the chaining value h. */
fhsm_err fhsm_fabric_sha256_blocks(uint32_t h[8], const uint8_t *blocks, size_t nblocks, uint8_t *engine);

/* x^e mod n as a MODEXP job (big-endian byte strings, n odd). The host supplies
 * R^2 mod n, computed here; the payload's word size is the device's. */
struct fhsm_modexp {
	struct fhsm_job job;
	size_t op_bytes; /* s * W / 8 */
	uint8_t payload[FHSM_MAX_PAYLOAD];
	uint8_t out[(FHSM_MAX_PAYLOAD - 4) / 4];
};
fhsm_err fhsm_modexp_prepare(struct fhsm_modexp *m, const uint8_t *n, size_t n_len, const uint8_t *x,
			     size_t x_len, const uint8_t *e, size_t e_len);
/* The result, left-padded or cut to out_len bytes (it is < n). */
void fhsm_modexp_result(const struct fhsm_modexp *m, uint8_t *out, size_t out_len);

#ifdef __cplusplus
}
#endif
#endif
