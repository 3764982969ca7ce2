/* C ABI of the simulated fabric: the Verilator model of rtl/fabric/fabric_top.v.
 * The host's sim transport (host/link/transport_sim.c) is its only user; it
 * calls these from one device thread, so nothing here locks. */
#ifndef FHSM_SIM_H
#define FHSM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fhsm_sim fhsm_sim;

/* trace: a VCD file to write every clocked cycle to, or NULL for none. */
fhsm_sim *fhsm_sim_new(const char *trace);
void fhsm_sim_free(fhsm_sim *s);

/* Clocks the fabric: offers in[] to its byte port and collects what it sends
 * into out[]. Returns after max_cycles, or as soon as all input is taken and
 * the fabric is idle, or when out is full. */
void fhsm_sim_run(fhsm_sim *s, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
		  size_t out_cap, size_t *out_len, uint64_t max_cycles);

/* No frame in the parser, no engine busy, nothing to send. */
bool fhsm_sim_idle(const fhsm_sim *s);
/* Cycles clocked since fhsm_sim_new. */
uint64_t fhsm_sim_cycles(const fhsm_sim *s);
/* Most engines seen busy in one cycle since fhsm_sim_new. */
unsigned fhsm_sim_peak_busy(const fhsm_sim *s);

#ifdef __cplusplus
}
#endif
#endif
