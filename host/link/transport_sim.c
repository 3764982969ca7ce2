/* The sim transport: the Verilator model of the fabric (sim/fhsm_sim.h) on its
 * own device thread, clocked only while there are bytes to give it or work in
 * it. It can inject faults into the link (fhsm_link_faults) for the tests. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fhsm_sim.h"
#include "fhsm/frame.h"
#include "transport.h"

#define SLICE_CYCLES 20000 /* cycles per model call: the thread checks for new input between */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct delayed {
	uint64_t due_ms;
	struct delayed *next;
	size_t len;
	uint8_t bytes[];
};

struct sim_transport {
	fhsm_transport base;
	fhsm_sim *sim;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t to_dev, to_host;
	struct buf in, out; /* bytes for the fabric / from the fabric */
	struct delayed *delayed;
	struct fhsm_link_faults faults;
	unsigned rng;
	uint64_t frames, gone_ms;
	bool stop, gone, idle, reset;
	struct fhsm_link_stats stats;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool buf_append(struct buf *b, const uint8_t *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np)
			return false;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return true;
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* rand_r-style generator, deterministic per seed. */
static unsigned roll(struct sim_transport *s)
{
	s->rng = s->rng * 1103515245u + 12345u;
	return (s->rng >> 16) % 100u;
}

static void *device_thread(void *arg)
{
	struct sim_transport *s = arg;
	uint8_t out[4096];
	pthread_mutex_lock(&s->mu);
	for (;;) {
		uint64_t now = now_ms();
		for (struct delayed **d = &s->delayed; *d;) {
			if ((*d)->due_ms <= now) {
				struct delayed *x = *d;
				*d = x->next;
				buf_append(&s->in, x->bytes, x->len);
				free(x);
			} else {
				d = &(*d)->next;
			}
		}
		if (s->stop)
			break;
		if (s->reset) { /* a fresh fabric, as after a power cycle */
			pthread_mutex_unlock(&s->mu);
			fhsm_sim *fresh = fhsm_sim_new(NULL);
			pthread_mutex_lock(&s->mu);
			if (fresh) {
				fhsm_sim_free(s->sim);
				s->sim = fresh;
				s->in.len = s->out.len = 0;
				s->idle = true;
				s->gone = false;
			}
			s->reset = false;
			pthread_cond_broadcast(&s->to_host);
			continue;
		}
		if (s->in.len == 0 && s->idle) {
			if (s->delayed) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&s->to_dev, &s->mu, &ts);
			} else {
				pthread_cond_wait(&s->to_dev, &s->mu);
			}
			continue;
		}
		/* Clock the model outside the lock on a private copy of the input. */
		size_t in_len = s->in.len < 4096 ? s->in.len : 4096;
		uint8_t in[4096];
		memcpy(in, s->in.p, in_len);
		pthread_mutex_unlock(&s->mu);
		size_t used = 0, got = 0;
		fhsm_sim_run(s->sim, in, in_len, &used, out, sizeof out, &got, SLICE_CYCLES);
		bool idle = fhsm_sim_idle(s->sim);
		pthread_mutex_lock(&s->mu);
		buf_consume(&s->in, used);
		s->idle = idle;
		s->stats.cycles = fhsm_sim_cycles(s->sim);
		s->stats.peak_busy = fhsm_sim_peak_busy(s->sim);
		if (got) {
			if (s->faults.rsp_corrupt_pct && roll(s) < s->faults.rsp_corrupt_pct)
				out[roll(s) % got] ^= 0x10;
			if (!s->gone)
				buf_append(&s->out, out, got);
			pthread_cond_broadcast(&s->to_host);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* One request frame, after the faults have had their say. Lock held. */
static void send_frame(struct sim_transport *s, const uint8_t *f, size_t len)
{
	struct fhsm_link_faults *fl = &s->faults;
	s->frames++;
	if (fl->vanish_after && s->frames > fl->vanish_after) {
		if (!s->gone)
			s->gone_ms = now_ms();
		s->gone = true;
		pthread_cond_broadcast(&s->to_host);
		return;
	}
	if (fl->drop_pct && roll(s) < fl->drop_pct)
		return;
	unsigned copies = fl->dup_pct && roll(s) < fl->dup_pct ? 2 : 1;
	for (unsigned c = 0; c < copies; c++) {
		struct delayed *d = malloc(sizeof *d + len);
		if (!d)
			return;
		memcpy(d->bytes, f, len);
		d->len = len;
		if (fl->corrupt_pct && roll(s) < fl->corrupt_pct)
			d->bytes[roll(s) % len] ^= 0x01;
		if (fl->delay_pct && roll(s) < fl->delay_pct) {
			d->due_ms = now_ms() + fl->delay_ms;
			d->next = s->delayed;
			s->delayed = d;
		} else {
			buf_append(&s->in, d->bytes, len);
			free(d);
		}
	}
}

static fhsm_err sim_send(fhsm_transport *t, const uint8_t *frames, size_t len)
{
	struct sim_transport *s = (struct sim_transport *)t;
	pthread_mutex_lock(&s->mu);
	if (s->gone) {
		pthread_mutex_unlock(&s->mu);
		return FHSM_ERR_DEVICE;
	}
	/* Split at frame boundaries (the driver sends whole frames) so faults hit frames. */
	size_t off = 0;
	while (off + FHSM_REQ_HDR_BYTES <= len) {
		size_t plen = (size_t)frames[off + 4] << 8 | frames[off + 5];
		size_t flen = fhsm_frame_request_size(plen);
		if (off + flen > len)
			break;
		send_frame(s, frames + off, flen);
		off += flen;
	}
	if (off < len) /* not frames: pass through unchanged */
		buf_append(&s->in, frames + off, len - off);
	pthread_cond_signal(&s->to_dev);
	bool gone = s->gone;
	pthread_mutex_unlock(&s->mu);
	return gone ? FHSM_ERR_DEVICE : FHSM_OK;
}

static long sim_recv(fhsm_transport *t, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct sim_transport *s = (struct sim_transport *)t;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (s->out.len == 0 && !s->gone) {
		if (pthread_cond_timedwait(&s->to_host, &s->mu, &ts) != 0)
			break;
	}
	long n;
	if (s->gone) {
		n = -1;
	} else {
		n = (long)(s->out.len < cap ? s->out.len : cap);
		memcpy(buf, s->out.p, (size_t)n);
		buf_consume(&s->out, (size_t)n);
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* The vanished fabric comes back return_after_ms after it went (once). */
static fhsm_err sim_reopen(fhsm_transport *t)
{
	struct sim_transport *s = (struct sim_transport *)t;
	fhsm_err err = FHSM_ERR_DEVICE;
	pthread_mutex_lock(&s->mu);
	if (s->gone && s->faults.return_after_ms && now_ms() >= s->gone_ms + s->faults.return_after_ms) {
		s->faults.vanish_after = 0;
		while (s->delayed) {
			struct delayed *d = s->delayed;
			s->delayed = d->next;
			free(d);
		}
		s->reset = true;
		pthread_cond_signal(&s->to_dev);
		while (s->reset)
			pthread_cond_wait(&s->to_host, &s->mu);
		err = s->gone ? FHSM_ERR_DEVICE : FHSM_OK;
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

static void sim_stats(fhsm_transport *t, struct fhsm_link_stats *out)
{
	struct sim_transport *s = (struct sim_transport *)t;
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

static void sim_close(fhsm_transport *t)
{
	struct sim_transport *s = (struct sim_transport *)t;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->to_dev);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	while (s->delayed) {
		struct delayed *d = s->delayed;
		s->delayed = d->next;
		free(d);
	}
	fhsm_sim_free(s->sim);
	free(s->in.p);
	free(s->out.p);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->to_dev);
	pthread_cond_destroy(&s->to_host);
	free(s);
}

static const struct fhsm_transport_ops sim_ops = {
	.name = "sim", .send = sim_send, .recv = sim_recv, .stats = sim_stats, .reopen = sim_reopen,
	.close = sim_close,
};

fhsm_err fhsm_transport_sim_open(const struct fhsm_fabric_config *cfg, fhsm_transport **out)
{
	struct sim_transport *s = calloc(1, sizeof *s);
	if (!s)
		return FHSM_ERR_NOMEM;
	s->base.ops = &sim_ops;
	s->faults = cfg->faults;
	s->rng = cfg->faults.seed ? cfg->faults.seed : 1;
	s->idle = true;
	s->sim = fhsm_sim_new(cfg->trace);
	if (!s->sim) {
		free(s);
		return FHSM_ERR_DEVICE;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->to_dev, NULL);
	pthread_cond_init(&s->to_host, NULL);
	if (pthread_create(&s->thread, NULL, device_thread, s) != 0) {
		fhsm_sim_free(s->sim);
		free(s);
		return FHSM_ERR_DEVICE;
	}
	*out = &s->base;
	return FHSM_OK;
}
