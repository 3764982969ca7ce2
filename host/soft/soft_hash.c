#include <stdlib.h>
#include <string.h>
#include "soft.h"
#include "fhsm/fabric.h"
#include "../fabric/fabric_internal.h"

struct fhsm_hash_ctx {
	const struct ltc_hash_descriptor *desc; /* NULL for GOST R 34.11-94 */
	struct soft_gost_md *gost;              /* GOST R 34.11-94 on libgcrypt */
	struct soft_gather g; /* SHA-256/224 with a fabric attached */
	hash_state st;
};

/* Compresses the gathered blocks on the fabric (or, if it cannot, in software
 * inside the driver), on LibTomCrypt's own state (chaining value and length),
 * so that its padding finishes the hash either way. */
static fhsm_err flush_blocks(hash_state *st, struct soft_gather *g)
{
	struct sha256_state *s = &st->sha256;
	size_t nblocks = g->n / 64;
	uint32_t h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (uint32_t)s->state[i];
	fhsm_err err = fhsm_fabric_sha256_blocks(h, g->buf, nblocks, NULL);
	if (err == FHSM_OK) {
		for (int i = 0; i < 8; i++)
			s->state[i] = h[i];
		s->length += (ulong64)nblocks * 512u;
		g->n = 0;
	}
	fhsm_wipe(h, sizeof h);
	return err;
}

fhsm_err soft_gather_start(struct soft_gather *g, fhsm_hash_alg alg)
{
	g->n = 0;
	g->buf = NULL;
	if ((alg != FHSM_HASH_SHA256 && alg != FHSM_HASH_SHA224) || !fhsm_fabric_attached())
		return FHSM_OK;
	g->buf = malloc(SOFT_GATHER_BYTES);
	return g->buf ? FHSM_OK : FHSM_ERR_NOMEM;
}

fhsm_err soft_gather_update(struct soft_gather *g, hash_state *st, const uint8_t *p, size_t len)
{
	const struct ltc_hash_descriptor *d = &sha256_desc; /* SHA-224 shares its process */
	while (len) {
		size_t n = SOFT_GATHER_BYTES - g->n;
		if (n > len)
			n = len;
		memcpy(g->buf + g->n, p, n);
		g->n += n;
		p += n;
		len -= n;
		if (g->n < SOFT_GATHER_BYTES)
			continue;
		if (fabric_worth_it(FHSM_ENG_SHA256, g->n) && flush_blocks(st, g) == FHSM_OK)
			continue;
		/* Software from here on. */
		fhsm_err err = soft_gather_end(g, st);
		if (err != FHSM_OK)
			return err;
		return len && d->process(st, p, len) != CRYPT_OK ? FHSM_ERR_PROVIDER : FHSM_OK;
	}
	return FHSM_OK;
}

fhsm_err soft_gather_end(struct soft_gather *g, hash_state *st)
{
	fhsm_err err = FHSM_OK;
	if (g->n && sha256_desc.process(st, g->buf, g->n) != CRYPT_OK)
		err = FHSM_ERR_PROVIDER;
	soft_gather_free(g);
	return err;
}

void soft_gather_free(struct soft_gather *g)
{
	if (g->buf) {
		fhsm_wipe(g->buf, SOFT_GATHER_BYTES);
		free(g->buf);
	}
	g->buf = NULL;
	g->n = 0;
}

size_t fhsm_hash_size(fhsm_hash_alg alg)
{
	if (soft_hash_is_gost(alg))
		return 32;
	const struct ltc_hash_descriptor *d = soft_hash_desc(alg);
	return d ? d->hashsize : 0;
}

fhsm_err fhsm_hash_new(fhsm_hash_alg alg, fhsm_hash_ctx **out)
{
	const struct ltc_hash_descriptor *d = soft_hash_desc(alg);
	if ((!d && !soft_hash_is_gost(alg)) || !out)
		return FHSM_ERR_ARGS;
	fhsm_hash_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return FHSM_ERR_NOMEM;
	if (!d) {
		fhsm_err err = soft_gost_md_new(alg, NULL, 0, &ctx->gost);
		if (err != FHSM_OK) {
			free(ctx);
			return err;
		}
		*out = ctx;
		return FHSM_OK;
	}
	ctx->desc = d;
	if (soft_gather_start(&ctx->g, alg) != FHSM_OK) {
		free(ctx);
		return FHSM_ERR_NOMEM;
	}
	if (d->init(&ctx->st) != CRYPT_OK) {
		soft_gather_free(&ctx->g);
		free(ctx);
		return FHSM_ERR_PROVIDER;
	}
	*out = ctx;
	return FHSM_OK;
}

fhsm_err fhsm_hash_update(fhsm_hash_ctx *ctx, const void *data, size_t len)
{
	if (!ctx || (!data && len))
		return FHSM_ERR_ARGS;
	if (len == 0)
		return FHSM_OK;
	if (ctx->gost)
		return soft_gost_md_update(ctx->gost, data, len);
	if (ctx->g.buf)
		return soft_gather_update(&ctx->g, &ctx->st, data, len);
	return ctx->desc->process(&ctx->st, data, len) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_hash_final(fhsm_hash_ctx *ctx, uint8_t *out)
{
	if (!ctx || !out)
		return FHSM_ERR_ARGS;
	if (ctx->gost)
		return soft_gost_md_final(ctx->gost, out);
	if (ctx->g.buf && soft_gather_end(&ctx->g, &ctx->st) != FHSM_OK) /* the tail, in software */
		return FHSM_ERR_PROVIDER;
	return ctx->desc->done(&ctx->st, out) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

void fhsm_hash_free(fhsm_hash_ctx *ctx)
{
	if (!ctx)
		return;
	soft_gather_free(&ctx->g);
	soft_gost_md_free(ctx->gost);
	fhsm_wipe(ctx, sizeof(*ctx));
	free(ctx);
}

fhsm_err fhsm_hash(fhsm_hash_alg alg, const void *data, size_t len, uint8_t *out)
{
	fhsm_hash_ctx *ctx;
	fhsm_err err = fhsm_hash_new(alg, &ctx);
	if (err != FHSM_OK)
		return err;
	err = fhsm_hash_update(ctx, data, len);
	if (err == FHSM_OK)
		err = fhsm_hash_final(ctx, out);
	fhsm_hash_free(ctx);
	return err;
}
