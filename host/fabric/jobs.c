/* What a job means: its payload layout (docs/protocol.md), its soft execution
 * (the fallback; LibTomCrypt for AES/SHA-256, GMP for modexp), its expected
 * engine time, the known-answer jobs, and typed helpers that build jobs. */
#include <gmp.h>
#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>
#include "fhsm/cipher.h"
#include "../soft/soft.h"
#include "fabric_internal.h"

/* ---- AES ---- */

static size_t aes_key_len(uint8_t arg)
{
	unsigned k = arg >> FHSM_AES_ARG_KLEN_SHIFT & 3u;
	return k == 0 ? 16 : k == 1 ? 24 : k == 2 ? 32 : 0;
}

static void soft_aes(struct fhsm_job *job)
{
	size_t klen = aes_key_len(job->arg);
	unsigned mode = job->arg >> FHSM_AES_ARG_MODE_SHIFT & 3u;
	bool dec = job->arg >> FHSM_AES_ARG_DEC_BIT & 1u;
	job->err = FHSM_ERR_ARGS;
	if (!klen || mode > FHSM_AES_MODE_CTR || job->len < klen + 16 || (job->len - klen - 16) % 16 ||
	    job->out_len != job->len - klen - 16)
		return;
	const uint8_t *key = job->payload, *iv = key + klen, *in = iv + 16;
	fhsm_cipher_mode m = mode == FHSM_AES_MODE_ECB ? FHSM_MODE_ECB
			     : mode == FHSM_AES_MODE_CBC ? FHSM_MODE_CBC : FHSM_MODE_CTR;
	fhsm_cipher_ctx *ctx;
	/* The soft constructor: never routed back to the fabric. */
	job->err = soft_cipher_new(FHSM_BLOCK_AES, m, !dec, key, klen, iv, 128, &ctx);
	if (job->err != FHSM_OK)
		return;
	job->err = fhsm_cipher_update(ctx, in, job->out_len, job->out);
	fhsm_cipher_free(ctx);
}

/* ---- SHA-256 compression ---- */

static void soft_sha256(struct fhsm_job *job)
{
	job->err = FHSM_ERR_ARGS;
	if (job->len < 32 + 64 || (job->len - 32) % 64 || job->out_len != 32)
		return;
	soft_init();
	hash_state st;
	sha256_init(&st);
	for (int i = 0; i < 8; i++)
		LOAD32H(st.sha256.state[i], job->payload + 4 * i);
	/* Whole blocks with an empty buffer go straight to the compression function. */
	if (sha256_process(&st, job->payload + 32, job->len - 32) != CRYPT_OK) {
		job->err = FHSM_ERR_PROVIDER;
		return;
	}
	for (int i = 0; i < 8; i++)
		STORE32H(st.sha256.state[i], job->out + 4 * i);
	fhsm_wipe(&st, sizeof st);
	job->err = FHSM_OK;
}

/* ---- modexp ---- */

/* GMP has no wiping clear: overwrite the limbs, then free. */
static void mpz_wipe_clear(mpz_t *v[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((*v[i])->_mp_alloc)
			memset((*v[i])->_mp_d, 0, (size_t)(*v[i])->_mp_alloc * sizeof(mp_limb_t));
		mpz_clear(*v[i]);
	}
}

static void soft_modexp(struct fhsm_job *job, unsigned w)
{
	job->err = FHSM_ERR_ARGS;
	if (job->len < 4)
		return;
	size_t s = (size_t)job->payload[0] << 8 | job->payload[1];
	size_t ob = s * w / 8;
	if (!s || job->len != 4 + 4 * ob || job->out_len != ob)
		return;
	const uint8_t *p = job->payload + 4;
	mpz_t n, x, e, r;
	mpz_inits(n, x, e, r, NULL);
	mpz_import(n, ob, 1, 1, 1, 0, p);
	mpz_import(x, ob, 1, 1, 1, 0, p + ob);
	mpz_import(e, ob, 1, 1, 1, 0, p + 3 * ob);
	if (mpz_odd_p(n)) {
		/* The secret-exponent variant: constant time for a given size. */
		if (mpz_sgn(e) > 0)
			mpz_powm_sec(r, x, e, n);
		else
			mpz_set_ui(r, mpz_cmp_ui(n, 1) == 0 ? 0 : 1);
		size_t cnt = 0;
		memset(job->out, 0, ob);
		size_t nb = (mpz_sizeinbase(r, 2) + 7) / 8;
		if (mpz_sgn(r))
			mpz_export(job->out + ob - nb, &cnt, 1, 1, 1, 0, r);
		job->err = FHSM_OK;
	}
	mpz_t *all[] = { &n, &x, &e, &r };
	mpz_wipe_clear(all, 4);
}

void fabric_soft_run(struct fhsm_job *job, unsigned modexp_w)
{
	job->engine = (uint8_t)(fhsm_job_kind(job->op) << 4 | FHSM_ENGINE_SOFT);
	job->cycles = 0;
	switch (job->op) {
	case FHSM_OP_AES: soft_aes(job); break;
	case FHSM_OP_SHA256: soft_sha256(job); break;
	case FHSM_OP_MODEXP: soft_modexp(job, modexp_w); break;
	default: job->err = FHSM_ERR_UNSUPPORTED; break;
	}
}

uint64_t fabric_expected_cycles(const struct fhsm_job *job)
{
	switch (job->op) {
	case FHSM_OP_AES:
		return 200 + (uint64_t)job->out_len / 16 * 60 + job->len; /* + expansion, per byte in */
	case FHSM_OP_SHA256:
		return 200 + (uint64_t)job->len / 64 * 66 + job->len;
	case FHSM_OP_MODEXP: {
		if (job->len < 4)
			return 0;
		uint64_t s = (uint64_t)job->payload[0] << 8 | job->payload[1];
		uint64_t eb = (uint64_t)job->payload[2] << 8 | job->payload[3];
		/* 4-bit window: 17 + 5 * (ceil(eb/4) - 1) products (< 17 + 5 * ceil(eb/4)),
		 * each (s - 1) * max(s + 2, 8) + s + 9 cycles (s * (s + 2) + 7 for s >= 6)
		 * <= s * (s + 4) + 9 */
		return 1000 + (17 + 5 * ((eb + 3) / 4)) * (s * (s + 4) + 9) + 4 * s + job->len;
	}
	default:
		return 1000;
	}
}

/* ---- known-answer jobs ---- */

/* FIPS-197 C.1 (AES-128). */
static const uint8_t kat_aes_in[48] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static const uint8_t kat_aes_out[16] = {
	0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a,
};
/* FIPS 180-4 example: SHA-256("abc"), one padded block from the IV. */
static const uint8_t kat_sha_out[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};
static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};
/* 4^13 mod 497 = 445 (Schneier's textbook example). */
static const uint8_t kat_mod_n[] = { 0x01, 0xf1 }, kat_mod_x[] = { 0x04 }, kat_mod_e[] = { 0x0d };
static const uint8_t kat_mod_out[4] = { 0, 0, 0x01, 0xbd };

bool fabric_kat_prepare(enum fhsm_engine_kind kind, unsigned w, struct fabric_kat *k)
{
	memset(k, 0, sizeof *k);
	struct fhsm_job *j = &k->job;
	j->payload = k->payload;
	j->out = k->out;
	switch (kind) {
	case FHSM_ENG_AES:
		j->op = FHSM_OP_AES;
		memcpy(k->payload, kat_aes_in, sizeof kat_aes_in);
		j->len = sizeof kat_aes_in;
		j->out_len = 16;
		k->want = kat_aes_out;
		return true;
	case FHSM_ENG_SHA256:
		j->op = FHSM_OP_SHA256;
		for (int i = 0; i < 8; i++)
			STORE32H(sha256_iv[i], k->payload + 4 * i);
		memcpy(k->payload + 32, "abc\x80", 4);
		k->payload[32 + 63] = 24; /* message length in bits */
		j->len = 96;
		j->out_len = 32;
		k->want = kat_sha_out;
		return true;
	case FHSM_ENG_MODEXP: {
		/* One word: s = 1, operands W/8 bytes each. */
		size_t ob = w / 8;
		if (ob != 2 && ob != 4)
			return false;
		j->op = FHSM_OP_MODEXP;
		uint8_t *p = k->payload;
		p[0] = 0, p[1] = 1, p[2] = 0, p[3] = 4; /* s = 1, ebits = 4 */
		p += 4;
		memset(p, 0, 4 * ob);
		memcpy(p + ob - 2, kat_mod_n, 2);
		p[2 * ob - 1] = kat_mod_x[0];
		/* R^2 mod 497 with R = 2^W: 2^32 mod 497 = 0x97, 2^64 mod 497 = 0x1b4. */
		if (w == 16) {
			p[2 * ob + 1] = 0x97;
		} else {
			p[2 * ob + 2] = 0x01;
			p[2 * ob + 3] = 0xb4;
		}
		p[4 * ob - 1] = kat_mod_e[0];
		j->len = 4 + 4 * ob;
		j->out_len = ob;
		k->want = kat_mod_out + (4 - ob);
		return true;
	}
	default:
		return false;
	}
}

/* ---- typed helpers ---- */

static void be_add(uint8_t ctr[16], uint64_t n)
{
	for (int i = 15; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

/* One AES job's frame and result. */
struct aes_job {
	struct fhsm_job job;
	uint8_t payload[32 + 16 + FHSM_AES_MAX_BLOCKS * 16];
	uint8_t out[FHSM_AES_MAX_BLOCKS * 16];
	uint8_t *dst;
};

fhsm_err fhsm_fabric_aes(const uint8_t *key, size_t key_len, unsigned mode, bool decrypt, uint8_t iv[16],
			 const uint8_t *in, size_t len, uint8_t *out, uint8_t *engine)
{
	if (!key || (key_len != 16 && key_len != 24 && key_len != 32) || mode > FHSM_AES_MODE_CTR ||
	    len % 16 || (len && (!in || !out)) || (mode != FHSM_AES_MODE_ECB && !iv))
		return FHSM_ERR_ARGS;
	/* ECB, CTR and CBC decryption know every job's input chaining value up
	 * front, so a request's jobs run at once, on as many engines as there are;
	 * CBC encryption needs each job's last block for the next. */
	size_t group = mode == FHSM_AES_MODE_CBC && !decrypt ? 1 : FHSM_MAX_ENGINES;
	struct aes_job *j = calloc(group, sizeof *j);
	struct fhsm_job *list[FHSM_MAX_ENGINES];
	if (!j)
		return FHSM_ERR_NOMEM;
	uint8_t arg = (uint8_t)((key_len == 16 ? 0 : key_len == 24 ? 1 : 2) << FHSM_AES_ARG_KLEN_SHIFT |
				mode << FHSM_AES_ARG_MODE_SHIFT | (decrypt ? 1u : 0u) << FHSM_AES_ARG_DEC_BIT);
	fhsm_err err = FHSM_OK;
	while (len && err == FHSM_OK) {
		size_t k;
		/* Every input is copied into its frame before any output is written:
		 * in and out may be the same buffer. */
		for (k = 0; k < group && len; k++) {
			size_t n = len < FHSM_AES_MAX_BLOCKS * 16 ? len : FHSM_AES_MAX_BLOCKS * 16;
			struct aes_job *a = &j[k];
			memset(&a->job, 0, sizeof a->job);
			a->job.op = FHSM_OP_AES;
			a->job.arg = arg;
			a->job.payload = a->payload;
			a->job.len = key_len + 16 + n;
			a->job.out = a->out;
			a->job.out_len = n;
			a->dst = out;
			memcpy(a->payload, key, key_len);
			if (mode == FHSM_AES_MODE_ECB)
				memset(a->payload + key_len, 0, 16);
			else
				memcpy(a->payload + key_len, iv, 16);
			memcpy(a->payload + key_len + 16, in, n);
			/* The chaining value the next job starts from, where the input gives it. */
			if (mode == FHSM_AES_MODE_CBC && decrypt)
				memcpy(iv, in + n - 16, 16);
			else if (mode == FHSM_AES_MODE_CTR)
				be_add(iv, n / 16);
			list[k] = &a->job;
			in += n;
			out += n;
			len -= n;
		}
		err = fhsm_jobs_run(list, k);
		for (size_t i = 0; i < k && err == FHSM_OK; i++) {
			memcpy(j[i].dst, j[i].out, j[i].job.out_len);
			if (engine)
				*engine = j[i].job.engine;
		}
		if (err == FHSM_OK && mode == FHSM_AES_MODE_CBC && !decrypt)
			memcpy(iv, j[0].out + j[0].job.out_len - 16, 16);
	}
	fhsm_wipe(j, group * sizeof *j);
	free(j);
	return err;
}

fhsm_err fhsm_fabric_sha256_blocks(uint32_t h[8], const uint8_t *blocks, size_t nblocks, uint8_t *engine)
{
	if (!h || (nblocks && !blocks))
		return FHSM_ERR_ARGS;
	struct {
		struct fhsm_job job;
		uint8_t payload[32 + FHSM_SHA256_MAX_BLOCKS * 64];
		uint8_t out[32];
	} j;
	fhsm_err err = FHSM_OK;
	while (nblocks && err == FHSM_OK) {
		size_t n = nblocks < FHSM_SHA256_MAX_BLOCKS ? nblocks : FHSM_SHA256_MAX_BLOCKS;
		memset(&j.job, 0, sizeof j.job);
		j.job.op = FHSM_OP_SHA256;
		j.job.payload = j.payload;
		j.job.len = 32 + 64 * n;
		j.job.out = j.out;
		j.job.out_len = 32;
		for (int i = 0; i < 8; i++)
			STORE32H(h[i], j.payload + 4 * i);
		memcpy(j.payload + 32, blocks, 64 * n);
		err = fhsm_job_run(&j.job);
		if (err == FHSM_OK) {
			for (int i = 0; i < 8; i++)
				LOAD32H(h[i], j.out + 4 * i);
			if (engine)
				*engine = j.job.engine;
		}
		blocks += 64 * n;
		nblocks -= n;
	}
	fhsm_wipe(&j, sizeof j);
	return err;
}

fhsm_err fhsm_modexp_prepare(struct fhsm_modexp *m, const uint8_t *n, size_t n_len, const uint8_t *x,
			     size_t x_len, const uint8_t *e, size_t e_len)
{
	if (!m || !n || !n_len || (!x && x_len) || (!e && e_len))
		return FHSM_ERR_ARGS;
	unsigned w = fabric_modexp_w();
	mpz_t N, X, E, R2;
	mpz_inits(N, X, E, R2, NULL);
	mpz_import(N, n_len, 1, 1, 1, 0, n);
	mpz_import(X, x_len, 1, 1, 1, 0, x);
	mpz_import(E, e_len, 1, 1, 1, 0, e);
	size_t nbits = mpz_sizeinbase(N, 2);
	size_t s = (nbits + 2 + w - 1) / w, ob = s * w / 8;
	fhsm_err err = FHSM_OK;
	if (!mpz_odd_p(N) || mpz_cmp(X, N) >= 0 || 4 + 4 * ob > sizeof m->payload ||
	    mpz_sizeinbase(E, 2) > s * w) {
		err = FHSM_ERR_ARGS;
	} else {
		/* R^2 mod n, R = 2^(W*s): the Montgomery constant the core takes from the host. */
		mpz_setbit(R2, 2 * s * w);
		mpz_mod(R2, R2, N);
		size_t ebits = mpz_sgn(E) ? mpz_sizeinbase(E, 2) : 0;
		memset(&m->job, 0, sizeof m->job);
		uint8_t *p = m->payload;
		p[0] = (uint8_t)(s >> 8), p[1] = (uint8_t)s, p[2] = (uint8_t)(ebits >> 8), p[3] = (uint8_t)ebits;
		memset(p + 4, 0, 4 * ob);
		mpz_t *ops[] = { &N, &X, &R2, &E };
		for (size_t i = 0; i < 4; i++) {
			size_t nb = (mpz_sizeinbase(*ops[i], 2) + 7) / 8, cnt;
			if (mpz_sgn(*ops[i]))
				mpz_export(p + 4 + (i + 1) * ob - nb, &cnt, 1, 1, 1, 0, *ops[i]);
		}
		m->op_bytes = ob;
		m->job.op = FHSM_OP_MODEXP;
		m->job.payload = m->payload;
		m->job.len = 4 + 4 * ob;
		m->job.out = m->out;
		m->job.out_len = ob;
	}
	mpz_t *all[] = { &N, &X, &E, &R2 };
	mpz_wipe_clear(all, 4);
	return err;
}

void fhsm_modexp_result(const struct fhsm_modexp *m, uint8_t *out, size_t out_len)
{
	size_t ob = m->op_bytes;
	if (out_len >= ob) {
		memset(out, 0, out_len - ob);
		memcpy(out + out_len - ob, m->out, ob);
	} else {
		memcpy(out, m->out + ob - out_len, out_len);
	}
}
