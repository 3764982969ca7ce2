/* fhsm-bench --fabric: the fabric's speed, measured on the simulated fabric
 * (sim/, the Verilator model of rtl/fabric) through the host driver.
 *
 * Cycles are exact and independent of this machine: engine cycles come from
 * the fabric's own counters (in every response), fabric cycles from the
 * simulator's clock (they include moving every byte through the 8-bit job
 * port). Projections turn them into time at a clock (nextpnr's Fmax) and a
 * link: a job stream is limited by whichever is slower, the engines or the
 * link (jobs overlap: the next frame travels while an engine works). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fhsm/crypto.h"
#include "fhsm/fabric.h"
#include "fhsm/pk.h"
#include "bench_fabric.h"

#define UART_BYTES_PER_S 300000.0 /* 3 Mbaud, 8N1: 10 bits per byte */
#define FIFO_BYTES_PER_S 40e6	  /* FT2232H synchronous FIFO */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct snap {
	uint64_t engine_cycles, fabric_cycles, bytes, writes, frames, jobs;
	uint64_t out, in; /* link bytes to and from the fabric */
};

/* Seconds the link needs: both directions run at once (UART and FIFO are full duplex). */
static double link_time(struct snap d, double rate)
{
	return (d.out > d.in ? d.out : d.in) / rate;
}

static struct snap snap(void)
{
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	struct snap s = { 0 };
	for (int k = 1; k < FHSM_ENG_KINDS; k++)
		for (int i = 0; i < FHSM_MAX_ENGINES; i++)
			s.engine_cycles += st.cycles[k][i], s.jobs += st.jobs[k][i];
	s.fabric_cycles = st.link.cycles;
	s.bytes = st.bytes_sent + st.bytes_received;
	s.out = st.bytes_sent;
	s.in = st.bytes_received;
	s.writes = st.writes;
	s.frames = st.frames_sent;
	return s;
}

static struct snap diff(struct snap a, struct snap b)
{
	return (struct snap){ b.engine_cycles - a.engine_cycles, b.fabric_cycles - a.fabric_cycles,
			      b.bytes - a.bytes, b.writes - a.writes, b.frames - a.frames, b.jobs - a.jobs,
			      b.out - a.out, b.in - a.in };
}

static int attach(unsigned max_engines, bool batching)
{
	struct fhsm_fabric_config cfg;
	fhsm_fabric_config_default(&cfg, FHSM_TRANSPORT_SIM);
	cfg.min_bytes[FHSM_ENG_AES] = cfg.min_bytes[FHSM_ENG_SHA256] = 0;
	cfg.max_engines = max_engines;
	cfg.no_batching = !batching;
	fhsm_err err = fhsm_fabric_attach(&cfg);
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	if (err != FHSM_OK || !st.up) {
		fprintf(stderr, "fhsm-bench: no simulated fabric (%s)\n",
			err == FHSM_ERR_UNSUPPORTED ? "built without Verilator" : "it does not answer");
		return -1;
	}
	return 0;
}

static void row(const char *name, size_t bytes, struct snap d, double fmax_mhz)
{
	double f = fmax_mhz * 1e6;
	double t_eng = d.engine_cycles / f, t_fab = d.fabric_cycles / f;
	double t_uart = link_time(d, UART_BYTES_PER_S), t_fifo = link_time(d, FIFO_BYTES_PER_S);
	double t_u = t_eng > t_uart ? t_eng : t_uart, t_f = t_eng > t_fifo ? t_eng : t_fifo;
	printf("%-28s %5llu %12llu %12llu %9llu %11.2f %11.3f %11.2f\n", name, (unsigned long long)d.jobs,
	       (unsigned long long)d.engine_cycles, (unsigned long long)d.fabric_cycles,
	       (unsigned long long)d.bytes, bytes / t_eng / 1e6, bytes / t_u / 1e6, bytes / t_f / 1e6);
	(void)t_fab;
}

static void rsa_row(const char *name, fhsm_rsa_key *k, size_t mod_bytes, struct snap d, double fmax_mhz)
{
	(void)k;
	(void)mod_bytes;
	double f = fmax_mhz * 1e6;
	/* The two halves run on two engines at once: the fabric's wall cycles count. */
	double t_fab = d.fabric_cycles / f, t_uart = link_time(d, UART_BYTES_PER_S), t_fifo = link_time(d, FIFO_BYTES_PER_S);
	printf("%-28s %5llu %12llu %12llu %9llu %11.1f %11.1f %11.1f   (signatures/s)\n", name,
	       (unsigned long long)d.jobs, (unsigned long long)d.engine_cycles,
	       (unsigned long long)d.fabric_cycles, (unsigned long long)d.bytes, 1 / t_fab,
	       1 / (t_fab > t_uart ? t_fab : t_uart), 1 / (t_fab > t_fifo ? t_fab : t_fifo));
}

/* One request of `bytes` through the engine API's typed helper. */
static struct snap aes_once(unsigned mode, size_t bytes, size_t key_len)
{
	uint8_t key[32] = { 1 }, iv[16] = { 2 };
	uint8_t *buf = calloc(1, bytes);
	struct snap a = snap();
	fhsm_fabric_aes(key, key_len, mode, false, iv, buf, bytes, buf, NULL);
	struct snap d = diff(a, snap());
	free(buf);
	return d;
}

static struct snap sha_once(size_t bytes)
{
	uint32_t h[8] = { 0 };
	uint8_t *buf = calloc(1, bytes);
	struct snap a = snap();
	fhsm_fabric_sha256_blocks(h, buf, bytes / 64, NULL);
	struct snap d = diff(a, snap());
	free(buf);
	return d;
}

/* A mixed batch submitted at once: AES and SHA-256 jobs plus RSA-1024 signs. */
struct batch_result {
	double seconds;
	struct snap d;
};

static struct batch_result mixed_batch(fhsm_rsa_key *rsa)
{
	enum { NAES = 48, NSHA = 24, NRSA = 4 };
	static struct {
		struct fhsm_job job;
		uint8_t payload[32 + 16 + 1024];
		uint8_t out[1024];
	} aes[NAES], sha[NSHA];
	struct fhsm_job *jobs[NAES + NSHA];
	for (int i = 0; i < NAES; i++) {
		memset(&aes[i].job, 0, sizeof aes[i].job);
		aes[i].job.op = FHSM_OP_AES;
		aes[i].job.arg = 2 << FHSM_AES_ARG_KLEN_SHIFT | FHSM_AES_MODE_CTR << FHSM_AES_ARG_MODE_SHIFT;
		aes[i].job.payload = aes[i].payload;
		aes[i].job.len = 32 + 16 + 1024;
		aes[i].job.out = aes[i].out;
		aes[i].job.out_len = 1024;
		jobs[i] = &aes[i].job;
	}
	for (int i = 0; i < NSHA; i++) {
		memset(&sha[i].job, 0, sizeof sha[i].job);
		sha[i].job.op = FHSM_OP_SHA256;
		sha[i].job.payload = sha[i].payload;
		sha[i].job.len = 32 + 1024;
		sha[i].job.out = sha[i].out;
		sha[i].job.out_len = 32;
		jobs[NAES + i] = &sha[i].job;
	}
	struct batch_result r;
	double t0 = now();
	struct snap a = snap();
	fhsm_jobs_run(jobs, NAES + NSHA);
	struct fhsm_rsa_params p = { .pad = FHSM_RSA_PKCS1, .hash = FHSM_HASH_SHA256 };
	uint8_t digest[32] = { 0 }, sig[512];
	for (int i = 0; i < NRSA; i++) {
		size_t sl = sizeof sig;
		fhsm_rsa_sign(rsa, &p, digest, sizeof digest, sig, &sl);
	}
	r.d = diff(a, snap());
	r.seconds = now() - t0;
	return r;
}

int fabric_bench(double fmax_mhz)
{
	if (attach(0, true))
		return 1;
	struct fhsm_fabric_stats st;
	fhsm_fabric_read_stats(&st);
	printf("Simulated fabric: %u AES, %u SHA-256, %u modexp engines (W = %u); projections at %.1f MHz\n",
	       st.engines[FHSM_ENG_AES], st.engines[FHSM_ENG_SHA256], st.engines[FHSM_ENG_MODEXP], st.modexp_w,
	       fmax_mhz);
	printf("Engine cycles: the engines' own counts; fabric cycles: the simulator's clock for the request,\n"
	       "one job at a time, bytes moving through the 8-bit port included. Link bytes: frames both ways.\n"
	       "MB/s: engine-bound, and a job stream over a 3 Mbaud UART / a 40 MB/s FIFO (the slower of\n"
	       "engine and link; the link's two directions run at once).\n\n");
	printf("%-28s %5s %12s %12s %9s %11s %11s %11s\n", "request", "jobs", "engine cyc", "fabric cyc",
	       "link B", "MB/s fabric", "MB/s UART", "MB/s FIFO");
	static const size_t aes_sizes[] = { 16, 256, 1024, 4096, 65536 };
	for (size_t i = 0; i < sizeof aes_sizes / sizeof *aes_sizes; i++)
		for (size_t kl = 16; kl <= 32; kl += 16) {
			char name[64];
			snprintf(name, sizeof name, "AES-%zu-CBC %zu B", kl * 8, aes_sizes[i]);
			row(name, aes_sizes[i], aes_once(FHSM_AES_MODE_CBC, aes_sizes[i], kl), fmax_mhz);
		}
	static const size_t sha_sizes[] = { 64, 1024, 4096, 65536, 1048576 };
	for (size_t i = 0; i < sizeof sha_sizes / sizeof *sha_sizes; i++) {
		char name[64];
		snprintf(name, sizeof name, "SHA-256 %zu B (blocks)", sha_sizes[i]);
		row(name, sha_sizes[i], sha_once(sha_sizes[i]), fmax_mhz);
	}
	fhsm_rsa_key *rsa2048, *rsa1024;
	if (fhsm_rsa_generate(2048, NULL, 0, &rsa2048) != FHSM_OK || fhsm_rsa_generate(1024, NULL, 0, &rsa1024) != FHSM_OK)
		return 1;
	struct fhsm_rsa_params p = { .pad = FHSM_RSA_PKCS1, .hash = FHSM_HASH_SHA256 };
	uint8_t digest[32] = { 0 }, sig[256];
	size_t sl = sizeof sig;
	struct snap a = snap();
	fhsm_rsa_sign(rsa2048, &p, digest, sizeof digest, sig, &sl);
	rsa_row("RSA-2048 CRT sign", rsa2048, 256, diff(a, snap()), fmax_mhz);

	printf("\nScheduler, one run: a batch of 48 AES-256-CTR 1 KiB jobs and 24 SHA-256 1 KiB jobs\n"
	       "submitted at once, then 4 RSA-1024 CRT signatures. Fabric cycles are the fabric's busy time;\n"
	       "wall jobs/s is this machine running the simulator (noisy, for the ratio only).\n");
	printf("%-34s %10s %8s %12s %12s\n", "configuration", "frames", "writes", "fabric cyc", "wall jobs/s");
	struct batch_result res[3];
	struct snap big[3]; /* one 64 KiB AES-256-CTR request: its 64 jobs spread over the engines */
	const char *names[3] = { "2 engines per kind, batching on", "2 engines per kind, batching off",
				 "1 engine per kind, batching on" };
	for (int c = 0; c < 3; c++) {
		fhsm_fabric_detach();
		if (attach(c == 2 ? 1 : 0, c != 1))
			return 1;
		res[c] = mixed_batch(rsa1024);
		big[c] = aes_once(FHSM_AES_MODE_CTR, 65536, 32);
		printf("%-34s %10llu %8llu %12llu %12.0f\n", names[c], (unsigned long long)res[c].d.frames,
		       (unsigned long long)res[c].d.writes, (unsigned long long)res[c].d.fabric_cycles,
		       res[c].d.jobs / res[c].seconds);
	}
	printf("Batching: %.1f frames per write (on) vs %.1f (off); on a USB link each write costs a\n"
	       "transfer (>= 125 us on high speed), so at 125 us per write the batch needs %.1f ms vs %.1f ms.\n",
	       (double)res[0].d.frames / res[0].d.writes, (double)res[1].d.frames / res[1].d.writes,
	       res[0].d.writes * 0.125, res[1].d.writes * 0.125);
	printf("Two engines per kind: %.2fx fewer fabric cycles for the batch than one.\n",
	       (double)res[2].d.fabric_cycles / res[0].d.fabric_cycles);
	printf("One AES-256-CTR 64 KiB request (%llu jobs): %llu fabric cycles on two engines, %llu on one (%.2fx).\n",
	       (unsigned long long)big[0].jobs, (unsigned long long)big[0].fabric_cycles,
	       (unsigned long long)big[2].fabric_cycles, (double)big[2].fabric_cycles / big[0].fabric_cycles);
	fhsm_rsa_free(rsa2048);
	fhsm_rsa_free(rsa1024);
	fhsm_fabric_detach();
	return 0;
}
