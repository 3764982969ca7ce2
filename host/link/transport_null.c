/* The null transport: a device that takes every byte and never answers. */
#include <stdlib.h>
#include <time.h>
#include "transport.h"

static fhsm_err null_send(fhsm_transport *t, const uint8_t *frames, size_t len)
{
	(void)t, (void)frames, (void)len;
	return FHSM_OK;
}

static long null_recv(fhsm_transport *t, uint8_t *buf, size_t cap, int timeout_ms)
{
	(void)t, (void)buf, (void)cap;
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return 0;
}

static void null_close(fhsm_transport *t)
{
	free(t);
}

static const struct fhsm_transport_ops null_ops = {
	.name = "null", .send = null_send, .recv = null_recv, .close = null_close,
};

fhsm_err fhsm_transport_null_open(fhsm_transport **out)
{
	fhsm_transport *t = calloc(1, sizeof *t);
	if (!t)
		return FHSM_ERR_NOMEM;
	t->ops = &null_ops;
	*out = t;
	return FHSM_OK;
}
