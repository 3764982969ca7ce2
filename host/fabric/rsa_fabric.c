/* RSA on the fabric's modexp engines. Private operations: blinding, then the
 * two CRT half-size exponentiations as two jobs running on two engines at once,
 * recombined here (Garner), checked (m^e == c before unblinding, so a faulty
 * engine cannot leak a factor through a wrong signature), unblinded. */
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

#define MP(call) do { if ((call) != CRYPT_OK) { err = FHSM_ERR_PROVIDER; goto out; } } while (0)

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
	static struct fhsm_modexp zero;
	struct fhsm_modexp *m1 = malloc(sizeof *m1), *m2 = malloc(sizeof *m2);
	void *c = NULL, *r = NULL, *rinv = NULL, *cb = NULL, *a = NULL, *b = NULL, *h = NULL;
	fhsm_err err = FHSM_OK;
	if (!m1 || !m2 || mp_init_multi(&c, &r, &rinv, &cb, &a, &b, &h, NULL) != CRYPT_OK) {
		err = FHSM_ERR_NOMEM;
		goto out;
	}
	*m1 = zero;
	*m2 = zero;
	MP(mp_read_unsigned_bin(c, (unsigned char *)in, (unsigned long)bytes));
	if (!private_op) {
		err = prepare(m1, c, k->e, k->N);
		if (err == FHSM_OK)
			err = fhsm_job_run(&m1->job);
		if (err == FHSM_OK)
			err = from_result(m1, a);
		goto emit;
	}
	/* Blinding: cb = c * r^e mod N, with r random and invertible. */
	for (int tries = 0;; tries++) {
		uint8_t rb[2 * FHSM_MODEXP_MAX_BITS / 8]; /* N: up to twice a CRT half */
		if (tries == 8 || bytes > sizeof rb || fhsm_random(rb, bytes) != FHSM_OK) {
			err = FHSM_ERR_RNG;
			goto out;
		}
		MP(mp_read_unsigned_bin(r, rb, (unsigned long)bytes));
		fhsm_wipe(rb, sizeof rb);
		MP(mp_mod(r, k->N, r));
		if (mp_cmp_d(r, 1) == LTC_MP_GT && mp_invmod(r, k->N, rinv) == CRYPT_OK)
			break;
	}
	MP(mp_exptmod(r, k->e, k->N, cb));
	MP(mp_mulmod(c, cb, k->N, cb));
	/* The two halves on two engines at once. */
	MP(mp_mod(cb, k->p, a));
	MP(mp_mod(cb, k->q, b));
	err = prepare(m1, a, k->dP, k->p);
	if (err == FHSM_OK)
		err = prepare(m2, b, k->dQ, k->q);
	if (err == FHSM_OK) {
		struct fhsm_job *jobs[2] = { &m1->job, &m2->job };
		err = fhsm_jobs_run(jobs, 2);
	}
	if (err == FHSM_OK)
		err = from_result(m1, a);
	if (err == FHSM_OK)
		err = from_result(m2, b);
	if (err != FHSM_OK)
		goto out;
	/* Garner: m = b + q * (qInv * (a - b) mod p). */
	MP(mp_sub(a, b, h));
	MP(mp_mulmod(h, k->qP, k->p, h));
	MP(mp_mul(h, k->q, h));
	MP(mp_add(h, b, a));
	/* Check before unblinding: a^e must give back cb. */
	MP(mp_exptmod(a, k->e, k->N, h));
	if (mp_cmp(h, cb) != LTC_MP_EQ) {
		fabric_count_fallback(FHSM_FB_NO_ENGINE);
		err = FHSM_ERR_DEVICE;
		goto out;
	}
	MP(mp_mulmod(a, rinv, k->N, a));
emit:
	if (err == FHSM_OK) {
		size_t n = mp_unsigned_bin_size(a);
		if (n > bytes) {
			err = FHSM_ERR_PROVIDER;
			goto out;
		}
		memset(out, 0, bytes - n);
		MP(mp_to_unsigned_bin(a, out + bytes - n));
	}
out:
	if (m1) {
		fhsm_wipe(m1, sizeof *m1);
		free(m1);
	}
	if (m2) {
		fhsm_wipe(m2, sizeof *m2);
		free(m2);
	}
	void *all[] = { c, r, rinv, cb, a, b, h };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		soft_mp_free(all[i]);
	return err;
}
