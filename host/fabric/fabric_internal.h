/* Private to host/fabric: the soft execution of a job and the KAT vectors. */
#ifndef FHSM_FABRIC_INTERNAL_H
#define FHSM_FABRIC_INTERNAL_H

#include "fhsm/fabric.h"

/* Runs a job's operation on the soft provider, writing job->out and job->err.
 * modexp_w: the word size the MODEXP payload was laid out with. */
void fabric_soft_run(struct fhsm_job *job, unsigned modexp_w);

/* The word size MODEXP payloads use now (the device's, or 32 without one). */
unsigned fabric_modexp_w(void);
unsigned fabric_modexp_bits(void);

/* Engine cycles a job should take (for its deadline). */
uint64_t fabric_expected_cycles(const struct fhsm_job *job);

/* Known-answer jobs: fills a job for engine kind `kind`; *want is the expected
 * result (job->out_len bytes). Storage lives in *scratch. */
struct fabric_kat {
	struct fhsm_job job;
	uint8_t payload[96];
	uint8_t out[32];
	const uint8_t *want;
};
bool fabric_kat_prepare(enum fhsm_engine_kind kind, unsigned modexp_w, struct fabric_kat *k);

/* True when a job of `bytes` for this kind should go to the fabric; counts
 * FHSM_FB_TOO_SMALL when only its size keeps it away. */
bool fabric_worth_it(enum fhsm_engine_kind kind, size_t bytes);
void fabric_count_fallback(enum fhsm_fallback_reason why);

#endif
