/* RSA on the fabric's modexp engines. Private operations: soft_rsa_crt (blinding,
 * Garner's recombination, the check before unblinding) with the two CRT
 * half-size exponentiations as two jobs running on two engines at once. */
#define LTC_SOURCE /* LibTomCrypt's mp_* macros over ltc_mp */
#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>
#include "fhsm/fabric.h"
#include "fhsm/crypto.h"
#include "fabric_internal.h"
#include "rsa_fabric.h"
#include "../soft/soft_pk.h"

static fhsm_err to_bytes(void *a, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n = mp_unsigned_bin_size(a);
	if (n > cap)
		return FHSM_ERR_PROVIDER;
	if (mp_to_unsigned_bin(a, buf) != CRYPT_OK)
		return FHSM_ERR_PROVIDER;
	*len = n;
	return FHSM_OK;
}

/* Prepares base^exp mod mod as a job. */
static fhsm_err prepare(struct fhsm_modexp *m, void *base, void *exp, void *mod)
{
	uint8_t b[3][FHSM_MODEXP_MAX_BITS / 8 + 8];
	size_t l[3];
	void *v[3] = { mod, base, exp };
	fhsm_err err = FHSM_OK;
	for (int i = 0; i < 3 && err == FHSM_OK; i++)
		err = to_bytes(v[i], b[i], sizeof b[i], &l[i]);
	if (err == FHSM_OK)
		err = fhsm_modexp_prepare(m, b[0], l[0], b[1], l[1], b[2], l[2]);
	fhsm_wipe(b, sizeof b);
	return err;
}

static fhsm_err from_result(struct fhsm_modexp *m, void *out)
{
	return mp_read_unsigned_bin(out, m->out, (unsigned long)m->op_bytes) == CRYPT_OK ? FHSM_OK
											: FHSM_ERR_PROVIDER;
}

/* The two CRT halves as two jobs on two engines at once (soft_rsa_crt's halves). */
struct halves {
	struct fhsm_modexp m[2];
	bool ran; /* both jobs answered: a failure after that is the check's */
};

static fhsm_err fabric_halves(const rsa_key *k, void *a, void *b, void *arg)
{
	struct halves *hv = arg;
	fhsm_err err = prepare(&hv->m[0], a, k->dP, k->p);
	if (err == FHSM_OK)
		err = prepare(&hv->m[1], b, k->dQ, k->q);
	if (err == FHSM_OK) {
		struct fhsm_job *jobs[2] = { &hv->m[0].job, &hv->m[1].job };
		err = fhsm_jobs_run(jobs, 2);
	}
	if (err == FHSM_OK)
		err = from_result(&hv->m[0], a);
	if (err == FHSM_OK)
		err = from_result(&hv->m[1], b);
	hv->ran = err == FHSM_OK;
	return err;
}

/* N itself: the public operation, one job. */
static fhsm_err fabric_public(const rsa_key *k, size_t bytes, const uint8_t *in, uint8_t *out)
{
	struct fhsm_modexp *m = calloc(1, sizeof *m);
	void *c = NULL;
	fhsm_err err = m ? FHSM_OK : FHSM_ERR_NOMEM;
	if (err == FHSM_OK && mp_init(&c) != CRYPT_OK)
		err = FHSM_ERR_NOMEM;
	if (err == FHSM_OK && mp_read_unsigned_bin(c, (unsigned char *)in, (unsigned long)bytes) != CRYPT_OK)
		err = FHSM_ERR_PROVIDER;
	if (err == FHSM_OK)
		err = prepare(m, c, k->e, k->N);
	if (err == FHSM_OK)
		err = fhsm_job_run(&m->job);
	if (err == FHSM_OK)
		err = from_result(m, c);
	if (err == FHSM_OK)
		err = soft_mp_to_fixed(c, out, bytes);
	soft_mp_free(c);
	free(m);
	return err;
}

fhsm_err fabric_rsa_op(const rsa_key *k, size_t bytes, const uint8_t *in, uint8_t *out, bool private_op)
{
	if (!fabric_worth_it(FHSM_ENG_MODEXP, bytes))
		return FHSM_ERR_DEVICE;
	/* The largest exponentiation: N itself, or a CRT half. */
	unsigned long top = private_op ? mp_count_bits(k->p) > mp_count_bits(k->q) ? mp_count_bits(k->p)
										     : mp_count_bits(k->q)
				       : mp_count_bits(k->N);
	if (top > fabric_modexp_bits()) {
		fabric_count_fallback(FHSM_FB_TOO_LARGE);
		return FHSM_ERR_DEVICE;
	}
	if (!private_op)
		return fabric_public(k, bytes, in, out);
	struct halves *hv = calloc(1, sizeof *hv);
	if (!hv)
		return FHSM_ERR_NOMEM;
	fhsm_err err = soft_rsa_crt(k, bytes, in, out, fabric_halves, hv);
	if (err != FHSM_OK && hv->ran) { /* the engines answered, the check refused it */
		fabric_count_fallback(FHSM_FB_NO_ENGINE);
		err = FHSM_ERR_DEVICE;
	}
	fhsm_wipe(hv, sizeof *hv);
	free(hv);
	return err;
}
