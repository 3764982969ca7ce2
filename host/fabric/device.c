/* The host driver: one attached device, its job scheduler and its health.
 *
 * Jobs wait in a queue per engine kind; a kind never has more jobs on the
 * fabric than it has engines (the fabric back-pressures its whole byte port
 * when a kind is full, which would stall the other kinds behind it). Frames of
 * several ready jobs go out in one transport write (batching). A reader thread
 * matches responses to jobs by tag, resends on error statuses and timeouts,
 * and marks the device down after cfg.retries failed resends, handing every
 * job it holds to the soft provider: each job completes exactly once (a late
 * answer for a retired tag is counted as stale and dropped). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fhsm/crypto.h"
#include "fhsm/frame.h"
#include "../link/transport.h"
#include "fabric_internal.h"

#define NTAGS 256
#define POLL_MS 10

static struct {
	pthread_mutex_t mu;
	/* link: the transport moves bytes (INFO and KAT jobs may run);
	 * up: the link is up and the device passed INFO and its KATs (user jobs run). */
	bool attached, link, up, stop;
	pthread_t health;
	bool has_health;
	struct fhsm_fabric_config cfg;
	fhsm_transport *t;
	pthread_t reader;
	struct fhsm_fabric_stats st;
	struct fhsm_job *tags[NTAGS];
	unsigned next_tag;
	struct fhsm_job *head[FHSM_ENG_KINDS], *tail[FHSM_ENG_KINDS];
	unsigned inflight[FHSM_ENG_KINDS];
	bool kind_ok[FHSM_ENG_KINDS];
	fhsm_rx rx;
} dev = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const char *const fallback_texts[] = {
#define FHSM_FB_TEXT(name, text) text,
	FHSM_FALLBACK_LIST(FHSM_FB_TEXT)
#undef FHSM_FB_TEXT
};

const char *fhsm_fallback_text(enum fhsm_fallback_reason r)
{
	return (unsigned)r < FHSM_FB_COUNT ? fallback_texts[r] : "unknown";
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum fhsm_engine_kind fhsm_job_kind(uint8_t op)
{
	switch (op) {
	case FHSM_OP_AES: return FHSM_ENG_AES;
	case FHSM_OP_SHA256: return FHSM_ENG_SHA256;
	case FHSM_OP_MODEXP: return FHSM_ENG_MODEXP;
	default: return FHSM_ENG_NONE;
	}
}

void fhsm_fabric_config_default(struct fhsm_fabric_config *cfg, enum fhsm_transport_kind t)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->transport = t;
	cfg->retries = 2;
	/* The simulator runs at a few MHz and shares the CPU with the tests: be patient. */
	cfg->timeout_ms = t == FHSM_TRANSPORT_SIM ? 3000 : 500;
	cfg->cycles_per_ms = t == FHSM_TRANSPORT_SIM ? 200 : 0;
	/* Below these sizes the frame overhead and a thread round trip cost more
	 * than the software takes (measured with fhsm-bench --fabric). */
	cfg->min_bytes[FHSM_ENG_AES] = 256;
	cfg->min_bytes[FHSM_ENG_SHA256] = 256;
	cfg->min_bytes[FHSM_ENG_MODEXP] = 0;
}

unsigned fabric_modexp_w(void)
{
	return dev.st.modexp_w ? dev.st.modexp_w : 32;
}

unsigned fabric_modexp_bits(void)
{
	return dev.st.modexp_bits;
}

/* ---- completion ---- */

static void finish(struct fhsm_job *job)
{
	if (job->done)
		job->done(job, job->done_arg);
}

static void soft_finish(struct fhsm_job *job, enum fhsm_fallback_reason why, bool count_reason)
{
	enum fhsm_engine_kind kind = fhsm_job_kind(job->op);
	fabric_soft_run(job, fabric_modexp_w());
	pthread_mutex_lock(&dev.mu);
	dev.st.soft_jobs[kind]++;
	if (count_reason)
		dev.st.fallback[why]++;
	pthread_mutex_unlock(&dev.mu);
	finish(job);
}

/* ---- sending ---- */

static uint64_t deadline_for(const struct fhsm_job *job)
{
	unsigned cpm = dev.cfg.cycles_per_ms ? dev.cfg.cycles_per_ms
					     : (dev.st.clock_khz ? dev.st.clock_khz : 1000);
	return now_ms() + dev.cfg.timeout_ms + fabric_expected_cycles(job) / cpm;
}

static int take_tag(struct fhsm_job *job)
{
	for (unsigned i = 0; i < NTAGS; i++) {
		unsigned tag = (dev.next_tag + i) % NTAGS;
		if (!dev.tags[tag]) {
			dev.tags[tag] = job;
			dev.next_tag = (tag + 1) % NTAGS;
			return (int)tag;
		}
	}
	return -1;
}

/* Encodes a job as a frame into out (lock held). Returns its size, 0 if no tag. */
static size_t encode(struct fhsm_job *job, uint8_t *out, size_t cap)
{
	int tag = take_tag(job);
	if (tag < 0)
		return 0;
	job->tag = tag;
	job->deadline_ms = deadline_for(job);
	size_t n = fhsm_frame_request(out, cap, (uint8_t)tag, job->op, job->arg, job->payload, job->len);
	if (!n)
		dev.tags[tag] = NULL;
	return n;
}

static bool send_bytes(const uint8_t *p, size_t len)
{
	dev.st.writes++;
	dev.st.bytes_sent += len;
	return dev.t->ops->send(dev.t, p, len) == FHSM_OK;
}

static void mark_down_locked(void);

/* Moves queued jobs onto free engines; frames go out together unless batching is off. */
static void pump_locked(void)
{
	static uint8_t batch[4 * (FHSM_MAX_PAYLOAD + 16)];
	size_t used = 0;
	if (!dev.link)
		return;
	for (int kind = 0; kind < FHSM_ENG_KINDS; kind++) {
		/* INFO (kind NONE) needs no engine: one at a time. */
		unsigned limit = kind == FHSM_ENG_NONE ? 1 : dev.st.engines[kind];
		if (dev.cfg.max_engines && limit > dev.cfg.max_engines)
			limit = dev.cfg.max_engines;
		while (dev.head[kind] && dev.inflight[kind] < limit) {
			struct fhsm_job *job = dev.head[kind];
			size_t need = fhsm_frame_request_size(job->len);
			if (used + need > sizeof batch || (used && dev.cfg.no_batching)) {
				if (!send_bytes(batch, used)) {
					mark_down_locked();
					return;
				}
				used = 0;
			}
			size_t n = encode(job, batch + used, sizeof batch - used);
			if (!n)
				break;
			dev.head[kind] = job->next;
			if (!dev.head[kind])
				dev.tail[kind] = NULL;
			job->next = NULL;
			dev.inflight[kind]++;
			dev.st.frames_sent++;
			used += n;
		}
	}
	if (used && !send_bytes(batch, used))
		mark_down_locked();
}

/* Resends a job under a fresh tag (the old one is retired: a late answer to it
 * is stale), or gives up on the device. Lock held; the job holds a tag. */
static void retry_locked(struct fhsm_job *job)
{
	dev.tags[job->tag] = NULL;
	dev.inflight[fhsm_job_kind(job->op)]--;
	if (++job->tries > dev.cfg.retries) {
		/* Put it back at the front: mark_down_locked hands it to the soft provider. */
		enum fhsm_engine_kind kind = fhsm_job_kind(job->op);
		job->next = dev.head[kind];
		dev.head[kind] = job;
		if (!dev.tail[kind])
			dev.tail[kind] = job;
		mark_down_locked();
		return;
	}
	dev.st.retries++;
	enum fhsm_engine_kind kind = fhsm_job_kind(job->op);
	job->next = dev.head[kind];
	dev.head[kind] = job;
	if (!dev.tail[kind])
		dev.tail[kind] = job;
}

/* Jobs orphaned by a device going down, finished by whoever noticed. */
static struct fhsm_job *orphans;

static void mark_down_locked(void)
{
	dev.link = false;
	dev.up = false;
	for (unsigned t = 0; t < NTAGS; t++) {
		struct fhsm_job *job = dev.tags[t];
		if (job) {
			dev.tags[t] = NULL;
			job->next = orphans;
			orphans = job;
		}
	}
	for (int kind = 0; kind < FHSM_ENG_KINDS; kind++) {
		while (dev.head[kind]) {
			struct fhsm_job *job = dev.head[kind];
			dev.head[kind] = job->next;
			job->next = orphans;
			orphans = job;
		}
		dev.tail[kind] = NULL;
		dev.inflight[kind] = 0;
	}
}

/* Finishes the orphans on the soft provider (lock not held). */
static void adopt_orphans(void)
{
	pthread_mutex_lock(&dev.mu);
	struct fhsm_job *list = orphans;
	orphans = NULL;
	pthread_mutex_unlock(&dev.mu);
	while (list) {
		struct fhsm_job *job = list;
		list = job->next;
		job->next = NULL;
		if (job->op == FHSM_OP_INFO) {
			job->err = FHSM_ERR_DEVICE;
			finish(job);
		} else {
			soft_finish(job, FHSM_FB_DEVICE_DOWN, true);
		}
	}
}

/* ---- submitting ---- */

/* Operand limits INFO reported, beyond the payload size. */
static bool fits_locked(const struct fhsm_job *job)
{
	if (job->op != FHSM_OP_MODEXP || job->len < 2 || !dev.st.modexp_w)
		return true;
	unsigned s = (unsigned)job->payload[0] << 8 | job->payload[1];
	return s <= dev.st.modexp_bits / dev.st.modexp_w + 1;
}

void fhsm_job_submit(struct fhsm_job *job)
{
	enum fhsm_engine_kind kind = fhsm_job_kind(job->op);
	job->next = NULL;
	job->tries = 0;
	job->tag = -1;
	job->err = FHSM_OK;
	job->cycles = 0;
	pthread_mutex_lock(&dev.mu);
	enum fhsm_fallback_reason why = FHSM_FB_COUNT;
	if (!dev.attached)
		why = FHSM_FB_NO_DEVICE;
	else if (job->probe ? !dev.link : !dev.up)
		why = FHSM_FB_DEVICE_DOWN;
	else if (kind != FHSM_ENG_NONE && !job->probe && !dev.kind_ok[kind])
		why = FHSM_FB_NO_ENGINE;
	else if (job->len > dev.st.max_payload || !fits_locked(job))
		why = FHSM_FB_TOO_LARGE;
	if (why != FHSM_FB_COUNT) {
		pthread_mutex_unlock(&dev.mu);
		if (job->op == FHSM_OP_INFO) {
			job->err = FHSM_ERR_DEVICE;
			finish(job);
		} else {
			soft_finish(job, why, true);
		}
		return;
	}
	if (dev.tail[kind])
		dev.tail[kind]->next = job;
	else
		dev.head[kind] = job;
	dev.tail[kind] = job;
	pump_locked();
	pthread_mutex_unlock(&dev.mu);
	adopt_orphans();
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t done; /* jobs finished */
};

static void wake(struct fhsm_job *job, void *arg)
{
	struct waiter *w = arg;
	(void)job;
	pthread_mutex_lock(&w->mu);
	w->done++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

fhsm_err fhsm_jobs_run(struct fhsm_job *const *jobs, size_t n)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	for (size_t i = 0; i < n; i++) {
		jobs[i]->done = wake;
		jobs[i]->done_arg = &w;
	}
	for (size_t i = 0; i < n; i++)
		fhsm_job_submit(jobs[i]);
	pthread_mutex_lock(&w.mu);
	while (w.done < n)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	fhsm_err err = FHSM_OK;
	for (size_t i = 0; i < n && err == FHSM_OK; i++)
		err = jobs[i]->err;
	return err;
}

fhsm_err fhsm_job_run(struct fhsm_job *job)
{
	return fhsm_jobs_run(&job, 1);
}

/* ---- the reader thread ---- */

/* One response frame (lock held). Returns the job it completed, if any. */
static struct fhsm_job *on_response(const fhsm_response *r)
{
	struct fhsm_job *job = dev.tags[r->tag];
	if (!job) {
		dev.st.stale_responses++;
		return NULL;
	}
	if (r->status != FHSM_ST_OK || r->len != job->out_len) {
		dev.st.error_status++;
		retry_locked(job);
		return NULL;
	}
	dev.tags[r->tag] = NULL;
	dev.inflight[fhsm_job_kind(job->op)]--;
	if (job->out_len)
		memcpy(job->out, r->payload, job->out_len);
	job->engine = r->engine;
	job->cycles = r->cycles;
	job->err = FHSM_OK;
	unsigned k = r->engine >> 4, idx = r->engine & 0xF;
	if (k < FHSM_ENG_KINDS && idx < FHSM_MAX_ENGINES) {
		dev.st.jobs[k][idx]++;
		dev.st.cycles[k][idx] += r->cycles;
	}
	return job;
}

static void check_deadlines_locked(void)
{
	uint64_t now = now_ms();
	for (unsigned t = 0; t < NTAGS && dev.link; t++) {
		struct fhsm_job *job = dev.tags[t];
		if (job && job->deadline_ms < now) {
			dev.st.timeouts++;
			retry_locked(job);
		}
	}
}

static void *reader(void *arg)
{
	(void)arg;
	static uint8_t buf[8192];
	for (;;) {
		pthread_mutex_lock(&dev.mu);
		bool stop = dev.stop;
		pthread_mutex_unlock(&dev.mu);
		if (stop)
			break;
		long n = dev.t->ops->recv(dev.t, buf, sizeof buf, POLL_MS);
		pthread_mutex_lock(&dev.mu);
		if (n < 0) {
			if (dev.link)
				mark_down_locked();
			pthread_mutex_unlock(&dev.mu);
			adopt_orphans();
			struct timespec ts = { 0, POLL_MS * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		dev.st.bytes_received += (uint64_t)n;
		size_t off = 0;
		while (off < (size_t)n) {
			size_t used;
			fhsm_response r;
			int got = fhsm_rx_feed(&dev.rx, buf + off, (size_t)n - off, &used, &r);
			off += used;
			if (got != FHSM_RX_FRAME)
				break;
			struct fhsm_job *job = on_response(&r);
			if (job) {
				pthread_mutex_unlock(&dev.mu);
				finish(job);
				pthread_mutex_lock(&dev.mu);
			}
		}
		dev.st.bad_frames = dev.rx.bad_frames;
		if (dev.link)
			check_deadlines_locked();
		pump_locked();
		pthread_mutex_unlock(&dev.mu);
		adopt_orphans();
	}
	return NULL;
}

/* ---- attach, identity, known-answer tests ---- */

static unsigned be(const uint8_t *p, unsigned n)
{
	unsigned v = 0;
	while (n--)
		v = v << 8 | *p++;
	return v;
}

static fhsm_err query_info(void)
{
	uint8_t info[FHSM_INFO_BYTES];
	struct fhsm_job job = { .op = FHSM_OP_INFO, .out = info, .out_len = sizeof info, .probe = true };
	fhsm_err err = fhsm_job_run(&job);
	if (err != FHSM_OK)
		return err;
	if (memcmp(info + FHSM_INFO_OFF_MAGIC, "FHSM", 4) != 0 ||
	    info[FHSM_INFO_OFF_VERSION] != FHSM_PROTO_VERSION)
		return FHSM_ERR_DEVICE;
	pthread_mutex_lock(&dev.mu);
	struct fhsm_fabric_stats *s = &dev.st;
	s->version = info[FHSM_INFO_OFF_VERSION];
	s->clock_khz = be(info + FHSM_INFO_OFF_CLOCK_KHZ, 4);
	s->max_payload = be(info + FHSM_INFO_OFF_MAX_PAYLOAD, 2);
	if (s->max_payload > FHSM_MAX_PAYLOAD)
		s->max_payload = FHSM_MAX_PAYLOAD;
	s->engines[FHSM_ENG_AES] = info[FHSM_INFO_OFF_N_AES];
	s->engines[FHSM_ENG_SHA256] = info[FHSM_INFO_OFF_N_SHA256];
	s->engines[FHSM_ENG_MODEXP] = info[FHSM_INFO_OFF_N_MODEXP];
	for (int k = 1; k < FHSM_ENG_KINDS; k++)
		if (s->engines[k] > FHSM_MAX_ENGINES)
			s->engines[k] = FHSM_MAX_ENGINES;
	s->modexp_bits = be(info + FHSM_INFO_OFF_MODEXP_BITS, 2);
	s->modexp_w = info[FHSM_INFO_OFF_MODEXP_W];
	s->aes_max_blocks = info[FHSM_INFO_OFF_AES_MAX_BLOCKS];
	s->sha256_max_blocks = info[FHSM_INFO_OFF_SHA256_MAX_BLOCKS];
	bool sane = s->modexp_w == 16 || s->modexp_w == 32;
	pthread_mutex_unlock(&dev.mu);
	return sane ? FHSM_OK : FHSM_ERR_DEVICE;
}

/* Runs one KAT job per engine of each kind, all at once, so that every engine
 * (the fabric gives each job a free one) answers one. A kind passes when every
 * answer came from the fabric and matched. */
static void run_kats(void)
{
	for (int kind = 1; kind < FHSM_ENG_KINDS; kind++) {
		pthread_mutex_lock(&dev.mu);
		unsigned n = dev.st.engines[kind];
		pthread_mutex_unlock(&dev.mu);
		if (!n)
			continue; /* kat stays -1: not run */
		struct fabric_kat kats[FHSM_MAX_ENGINES];
		struct fhsm_job *jobs[FHSM_MAX_ENGINES];
		bool pass = true;
		for (unsigned i = 0; i < n; i++) {
			pass &= fabric_kat_prepare(kind, fabric_modexp_w(), &kats[i]);
			kats[i].job.probe = true;
			jobs[i] = &kats[i].job;
		}
		if (pass)
			fhsm_jobs_run(jobs, n);
		for (unsigned i = 0; i < n && pass; i++) {
			struct fhsm_job *j = jobs[i];
			if (j->err != FHSM_OK || (j->engine & 0xF) == FHSM_ENGINE_SOFT ||
			    (j->engine >> 4) != kind || memcmp(j->out, kats[i].want, j->out_len) != 0)
				pass = false;
		}
		pthread_mutex_lock(&dev.mu);
		dev.st.kat_jobs[kind] += n;
		dev.st.kat[kind] = pass;
		dev.kind_ok[kind] = pass;
		pthread_mutex_unlock(&dev.mu);
	}
}

/* INFO then the KATs; up when both went through on a live link. */
static void bring_up(void)
{
	if (query_info() == FHSM_OK) {
		run_kats();
		pthread_mutex_lock(&dev.mu);
		dev.up = dev.link;
		pthread_mutex_unlock(&dev.mu);
	} else {
		pthread_mutex_lock(&dev.mu);
		if (dev.link)
			mark_down_locked();
		pthread_mutex_unlock(&dev.mu);
	}
	adopt_orphans();
}

/* For transports that can reconnect (a board unplugged and plugged back):
 * looks for the device again every probe_ms while the link is down; a device
 * that answers passes INFO and its KATs before it serves again. */
static void *health(void *arg)
{
	(void)arg;
	unsigned period = dev.cfg.probe_ms ? dev.cfg.probe_ms : 1000;
	uint64_t next = now_ms() + period;
	for (;;) {
		struct timespec ts = { 0, 20 * 1000000L }; /* short naps: detach must not wait long */
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&dev.mu);
		bool stop = dev.stop, link = dev.link;
		pthread_mutex_unlock(&dev.mu);
		if (stop)
			break;
		if (now_ms() < next)
			continue;
		next = now_ms() + period;
		if (link || dev.t->ops->reopen(dev.t) != FHSM_OK)
			continue;
		pthread_mutex_lock(&dev.mu);
		fhsm_rx_init(&dev.rx);
		dev.link = true;
		pthread_mutex_unlock(&dev.mu);
		bring_up();
		pthread_mutex_lock(&dev.mu);
		if (dev.up)
			dev.st.reconnects++;
		pthread_mutex_unlock(&dev.mu);
	}
	return NULL;
}

fhsm_err fhsm_fabric_attach(const struct fhsm_fabric_config *cfg)
{
	if (!cfg)
		return FHSM_ERR_ARGS;
	pthread_mutex_lock(&dev.mu);
	if (dev.attached) {
		pthread_mutex_unlock(&dev.mu);
		return FHSM_ERR_ARGS;
	}
	pthread_mutex_unlock(&dev.mu);
	fhsm_transport *t = NULL;
	fhsm_err err;
	switch (cfg->transport) {
	case FHSM_TRANSPORT_SIM:
#ifdef FHSM_HAVE_SIM
		err = fhsm_transport_sim_open(cfg, &t);
#else
		err = FHSM_ERR_UNSUPPORTED;
#endif
		break;
	case FHSM_TRANSPORT_NULL:
		err = fhsm_transport_null_open(&t);
		break;
	case FHSM_TRANSPORT_USB:
#ifdef FHSM_HAVE_USB
		err = fhsm_transport_usb_open(cfg, &t);
#else
		err = FHSM_ERR_UNSUPPORTED;
#endif
		break;
	default:
		err = FHSM_ERR_ARGS;
	}
	if (err != FHSM_OK)
		return err;
	pthread_mutex_lock(&dev.mu);
	memset(&dev.st, 0, sizeof dev.st);
	memset(dev.tags, 0, sizeof dev.tags);
	memset(dev.head, 0, sizeof dev.head);
	memset(dev.tail, 0, sizeof dev.tail);
	memset(dev.inflight, 0, sizeof dev.inflight);
	memset(dev.kind_ok, 0, sizeof dev.kind_ok);
	fhsm_rx_init(&dev.rx);
	dev.cfg = *cfg;
	dev.cfg.trace = NULL;	   /* the caller's strings: the transport has used them */
	dev.cfg.usb_serial = NULL;
	dev.t = t;
	dev.st.transport = t->ops->name;
	dev.st.max_payload = FHSM_REQ_HDR_BYTES; /* until INFO says */
	for (int k = 0; k < FHSM_ENG_KINDS; k++)
		dev.st.kat[k] = -1;
	dev.attached = true;
	dev.link = true;
	dev.up = false;
	dev.stop = false;
	dev.has_health = false;
	if (pthread_create(&dev.reader, NULL, reader, NULL) != 0) {
		dev.attached = false;
		pthread_mutex_unlock(&dev.mu);
		t->ops->close(t);
		return FHSM_ERR_DEVICE;
	}
	if (t->ops->reopen && pthread_create(&dev.health, NULL, health, NULL) == 0)
		dev.has_health = true;
	pthread_mutex_unlock(&dev.mu);
	/* A device that does not answer stays attached but down: the counters say
	 * why, jobs go soft, and a reconnecting transport keeps looking. */
	bring_up();
	return FHSM_OK;
}

fhsm_err fhsm_fabric_self_test(void)
{
	pthread_mutex_lock(&dev.mu);
	bool ok = dev.attached && dev.link;
	pthread_mutex_unlock(&dev.mu);
	if (!ok)
		return FHSM_ERR_DEVICE;
	run_kats();
	pthread_mutex_lock(&dev.mu);
	fhsm_err err = dev.link ? FHSM_OK : FHSM_ERR_DEVICE;
	for (int k = 1; k < FHSM_ENG_KINDS; k++)
		if (dev.st.engines[k] && dev.st.kat[k] != 1)
			err = FHSM_ERR_DEVICE;
	pthread_mutex_unlock(&dev.mu);
	return err;
}

void fhsm_fabric_detach(void)
{
	pthread_mutex_lock(&dev.mu);
	if (!dev.attached) {
		pthread_mutex_unlock(&dev.mu);
		return;
	}
	/* Let in-flight work finish, briefly; whatever is left goes soft. */
	uint64_t until = now_ms() + dev.cfg.timeout_ms;
	for (;;) {
		bool busy = false;
		for (int k = 0; k < FHSM_ENG_KINDS; k++)
			busy |= dev.inflight[k] || dev.head[k];
		if (!busy || !dev.link || now_ms() > until)
			break;
		pthread_mutex_unlock(&dev.mu);
		struct timespec ts = { 0, 2000000L };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&dev.mu);
	}
	mark_down_locked();
	dev.stop = true;
	bool has_health = dev.has_health;
	pthread_mutex_unlock(&dev.mu);
	adopt_orphans();
	pthread_join(dev.reader, NULL);
	if (has_health)
		pthread_join(dev.health, NULL);
	pthread_mutex_lock(&dev.mu);
	dev.t->ops->close(dev.t);
	dev.t = NULL;
	dev.attached = false;
	pthread_mutex_unlock(&dev.mu);
}

void fhsm_fabric_forget(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	dev.mu = fresh;
	dev.attached = false;
	dev.link = false;
	dev.up = false;
	dev.has_health = false;
	dev.t = NULL; /* the parent's transport is abandoned, like its keys */
	orphans = NULL;
}

bool fhsm_fabric_attached(void)
{
	/* Read on every cipher and hash context: no lock for a flag. */
	return __atomic_load_n(&dev.attached, __ATOMIC_ACQUIRE);
}

void fhsm_fabric_read_stats(struct fhsm_fabric_stats *out)
{
	pthread_mutex_lock(&dev.mu);
	*out = dev.st;
	out->attached = dev.attached;
	out->up = dev.attached && dev.up;
	if (dev.attached && dev.t->ops->stats)
		dev.t->ops->stats(dev.t, &out->link);
	out->note[0] = '\0';
	if (dev.attached && dev.t->ops->note)
		dev.t->ops->note(dev.t, out->note, sizeof out->note);
	pthread_mutex_unlock(&dev.mu);
}

#ifndef FHSM_HAVE_USB
bool fhsm_fabric_usb_present(const struct fhsm_fabric_config *cfg, char *why, size_t why_len)
{
	(void)cfg;
	snprintf(why, why_len, "this build has no usb transport (libftdi1 missing at build time)");
	return false;
}
#endif

/* The typed helpers' "too small" check, counted like every other reason. */
bool fabric_worth_it(enum fhsm_engine_kind kind, size_t bytes)
{
	pthread_mutex_lock(&dev.mu);
	bool ok = dev.attached && dev.up && dev.kind_ok[kind];
	bool small = ok && bytes < dev.cfg.min_bytes[kind];
	if (small)
		dev.st.fallback[FHSM_FB_TOO_SMALL]++;
	pthread_mutex_unlock(&dev.mu);
	return ok && !small;
}

void fabric_count_fallback(enum fhsm_fallback_reason why)
{
	pthread_mutex_lock(&dev.mu);
	dev.st.fallback[why]++;
	pthread_mutex_unlock(&dev.mu);
}
