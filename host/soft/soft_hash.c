#include <stdlib.h>
#include "soft.h"
#include "fhsm/fabric.h"
#include "../fabric/fabric_internal.h"

struct fhsm_hash_ctx {
	const struct ltc_hash_descriptor *desc;
	bool fabric; /* SHA-256/224 with a fabric attached: whole blocks may go there */
	hash_state st;
};

/* Whole blocks through the fabric's SHA-256 engine, on LibTomCrypt's own state
 * (chaining value and length), so its padding finishes the hash either way.
 * Returns the bytes consumed (0: none, all soft). */
static size_t fabric_update(fhsm_hash_ctx *ctx, const uint8_t *p, size_t len)
{
	struct sha256_state *s = &ctx->st.sha256;
	if (len < 64 || !fabric_worth_it(FHSM_ENG_SHA256, len))
		return 0;
	size_t head = 0;
	if (s->curlen) { /* complete the buffered block in software first */
		head = 64 - s->curlen;
		if (ctx->desc->process(&ctx->st, p, head) != CRYPT_OK)
			return 0;
	}
	size_t nblocks = (len - head) / 64;
	uint32_t h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (uint32_t)s->state[i];
	if (fhsm_fabric_sha256_blocks(h, p + head, nblocks, NULL) != FHSM_OK)
		return head;
	for (int i = 0; i < 8; i++)
		s->state[i] = h[i];
	s->length += (ulong64)nblocks * 512u;
	fhsm_wipe(h, sizeof h);
	return head + nblocks * 64;
}

size_t fhsm_hash_size(fhsm_hash_alg alg)
{
	const struct ltc_hash_descriptor *d = soft_hash_desc(alg);
	return d ? d->hashsize : 0;
}

fhsm_err fhsm_hash_new(fhsm_hash_alg alg, fhsm_hash_ctx **out)
{
	const struct ltc_hash_descriptor *d = soft_hash_desc(alg);
	if (!d || !out)
		return FHSM_ERR_ARGS;
	fhsm_hash_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return FHSM_ERR_NOMEM;
	ctx->desc = d;
	ctx->fabric = (alg == FHSM_HASH_SHA256 || alg == FHSM_HASH_SHA224) && fhsm_fabric_attached();
	if (d->init(&ctx->st) != CRYPT_OK) {
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
	if (ctx->fabric) {
		size_t done = fabric_update(ctx, data, len);
		data = (const uint8_t *)data + done;
		len -= done;
		if (len == 0)
			return FHSM_OK;
	}
	return ctx->desc->process(&ctx->st, data, len) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

fhsm_err fhsm_hash_final(fhsm_hash_ctx *ctx, uint8_t *out)
{
	if (!ctx || !out)
		return FHSM_ERR_ARGS;
	return ctx->desc->done(&ctx->st, out) == CRYPT_OK ? FHSM_OK : FHSM_ERR_PROVIDER;
}

void fhsm_hash_free(fhsm_hash_ctx *ctx)
{
	if (!ctx)
		return;
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
