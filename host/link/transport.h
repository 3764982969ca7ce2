/* Transports move frames' bytes between the host driver and a fabric. They know
 * nothing of jobs: the same bytes go over every one (fhsm/frame.h). */
#ifndef FHSM_TRANSPORT_H
#define FHSM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "fhsm/error.h"
#include "fhsm/fabric.h"

typedef struct fhsm_transport fhsm_transport;

struct fhsm_transport_ops {
	const char *name;
	/* Queues whole frames (one or several, back to back) for the fabric. */
	fhsm_err (*send)(fhsm_transport *t, const uint8_t *frames, size_t len);
	/* Waits up to timeout_ms for bytes from the fabric. Returns how many were
	 * written to buf (0 on timeout) or -1 when the device is gone. */
	long (*recv)(fhsm_transport *t, uint8_t *buf, size_t cap, int timeout_ms);
	/* Fabric-side statistics where the transport can see them (sim); may be NULL. */
	void (*stats)(fhsm_transport *t, struct fhsm_link_stats *out);
	/* A line for humans: which device, or why none (may be NULL). */
	void (*note)(fhsm_transport *t, char *buf, size_t len);
	/* Looks for the device again after it went away (NULL: cannot). */
	fhsm_err (*reopen)(fhsm_transport *t);
	void (*close)(fhsm_transport *t);
};

struct fhsm_transport {
	const struct fhsm_transport_ops *ops;
};

/* The simulated fabric (sim/), on its own device thread. */
fhsm_err fhsm_transport_sim_open(const struct fhsm_fabric_config *cfg, fhsm_transport **out);
/* An FTDI UART to a board (libftdi1 on libusb-1.0). */
fhsm_err fhsm_transport_usb_open(const struct fhsm_fabric_config *cfg, fhsm_transport **out);
/* A device that takes every byte and never answers (tests of timeouts). */
fhsm_err fhsm_transport_null_open(fhsm_transport **out);

#endif
