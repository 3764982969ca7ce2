/* Raw host-layer counterparts of fhsm-bench's crypto rows (bench_raw.c). */
#ifndef FHSM_BENCH_RAW_H
#define FHSM_BENCH_RAW_H
#include <stddef.h>

enum raw_op { RAW_NONE, RAW_RANDOM, RAW_DIGEST, RAW_HMAC, RAW_AES_CBC_PAD, RAW_AES_CTR, RAW_AES_GCM, RAW_SIGN, RAW_VERIFY,
	      RAW_OAEP, RAW_ECDH };
/* The AES rows' arg: mechanism << 32 | RAW_MULTI_PART (four updates) | length. */
#define RAW_MULTI_PART 0x80000000u
/* ops/s, or -1 when the operation failed. */
double raw_row(enum raw_op op, size_t arg, double seconds);

#endif
