/* fhsm-bench --fabric: cycles per job on the simulated fabric and projections. */
#ifndef FHSM_BENCH_FABRIC_H
#define FHSM_BENCH_FABRIC_H
/* The fabric top's Fmax on iCE40UP5K (nextpnr-ice40, seed 1; rtl/README.md). */
#define FABRIC_FMAX_UP5K_MHZ 30.0
int fabric_bench(double fmax_mhz);
#endif
