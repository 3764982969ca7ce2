#include <stdlib.h>
#include "soft.h"

struct fhsm_hash_ctx {
	const struct ltc_hash_descriptor *desc;
	hash_state st;
};

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
