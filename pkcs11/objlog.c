/* The token objects on disk: <tokdir>/objects.log, an append-only log.
 *
 *   header   "FHSMOBJ1" | token epoch (8)
 *   record   magic u32 | length u32 | kind u8 | flags u8 | 0 u16 | uid u64 | payload | crc32 u32
 *   PUT      payload: the object's attributes, u32 count then (type u64, length u32, value);
 *            with F_SEALED, then iv (12) | tag (16) | length u32 | AES-256-GCM ciphertext of
 *            the attributes that must not be stored in clear, keyed by the token master key
 *            (AAD: "fhsm object v1", token serial, epoch, uid, the clear part).
 *   DEL      no payload: the object is gone.
 *
 * Why a log: creating an object is one append and one fdatasync, with no rename and no
 * directory sync; another process learns of changes with one stat() and reads only the
 * new bytes. A record is whole or it is not there: a torn tail (a writer killed
 * mid-append, a crash before the data reached the disk) fails its length or CRC check,
 * readers stop before it, and the next writer cuts it off. Damage in the middle (a
 * valid record follows it) is reported and skipped, never cut off. When dead versions make up
 * most of the file, a writer rewrites it (temp file, fsync, rename). All of this under
 * the token's flock; fields are in this machine's byte order (the CK_ULONG values are). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "objset.h"

#define LOG_MAGIC "FHSMOBJ1"
#define HEADER_LEN (8 + P11_EPOCH_LEN)
#define REC_MAGIC 0x4A424F46u /* "FOBJ" */
#define REC_HEAD 20
#define REC_MIN (REC_HEAD + 4)
#define REC_MAX (64u << 20)
#define KIND_PUT 1
#define KIND_DEL 2
#define F_SEALED 1u
#define F_PRIVATE 2u
#define COMPACT_MIN (1u << 20)
#define LOG_PATH_MAX (PATH_MAX + 64 + 32)

static const char SEAL_AAD[] = "fhsm object v1";

struct enc {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void put(struct enc *e, const void *v, size_t n)
{
	if (e->failed)
		return;
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		while (cap < e->len + n)
			cap *= 2;
		uint8_t *p = realloc(e->p, cap);
		if (!p) {
			e->failed = true;
			return;
		}
		e->p = p;
		e->cap = cap;
	}
	if (n)
		memcpy(e->p + e->len, v, n);
	e->len += n;
}

static void put_u32(struct enc *e, uint32_t v)
{
	put(e, &v, 4);
}

static void enc_free(struct enc *e)
{
	if (e->p)
		fhsm_wipe(e->p, e->cap);
	free(e->p);
	memset(e, 0, sizeof(*e));
}

/* Attributes that go in clear (want_secret = false) or sealed (true). */
static void put_attrs(struct enc *e, const struct p11_attrs *a, bool priv, bool want_secret)
{
	uint32_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += (priv || p11_attrs_is_protected(a, a->a[i].type)) == want_secret;
	put_u32(e, n);
	for (size_t i = 0; i < a->n; i++) {
		if ((priv || p11_attrs_is_protected(a, a->a[i].type)) != want_secret)
			continue;
		uint64_t t = a->a[i].type;
		put(e, &t, 8);
		put_u32(e, (uint32_t)a->a[i].len);
		put(e, a->a[i].val, a->a[i].len);
	}
}

static void seal_aad(uint8_t *aad, const struct p11_objctx *ctx, uint64_t uid)
{
	memcpy(aad, SEAL_AAD, sizeof(SEAL_AAD));
	memcpy(aad + sizeof(SEAL_AAD), ctx->serial, P11_SERIAL_LEN);
	memcpy(aad + sizeof(SEAL_AAD) + P11_SERIAL_LEN, ctx->epoch, P11_EPOCH_LEN);
	memcpy(aad + sizeof(SEAL_AAD) + P11_SERIAL_LEN + P11_EPOCH_LEN, &uid, 8);
}
#define AAD_LEN (sizeof(SEAL_AAD) + P11_SERIAL_LEN + P11_EPOCH_LEN + 8)

static bool needs_seal(const struct p11_attrs *a, bool priv)
{
	if (priv)
		return true;
	for (size_t i = 0; i < a->n; i++)
		if (p11_attrs_is_protected(a, a->a[i].type))
			return true;
	return false;
}

/* The record for a PUT of attributes a, or a DEL when a is NULL. */
static CK_RV encode(const struct p11_slot *slot, const struct p11_objctx *ctx, uint64_t uid, const struct p11_attrs *a,
		    struct enc *rec)
{
	bool priv = a && p11_attrs_bool(a, CKA_PRIVATE, false);
	bool sealed = a && needs_seal(a, priv);
	CK_RV rv = CKR_OK;
	if (sealed && !ctx->mk)
		return CKR_USER_NOT_LOGGED_IN; /* protected values are only ever written sealed */
	uint8_t head[REC_HEAD] = {0};
	uint32_t magic = REC_MAGIC;
	memcpy(head, &magic, 4);
	head[8] = a ? KIND_PUT : KIND_DEL;
	head[9] = (uint8_t)((sealed ? F_SEALED : 0) | (priv ? F_PRIVATE : 0));
	memcpy(head + 12, &uid, 8);
	put(rec, head, sizeof(head));
	if (a) {
		size_t clear_start = rec->len;
		put_attrs(rec, a, priv, false);
		if (sealed) {
			struct enc secret = {0};
			uint8_t iv[FHSM_GCM_IV_SIZE], tag[FHSM_GCM_TAG_SIZE], aad[AAD_LEN];
			put_attrs(&secret, a, priv, true);
			uint8_t *ct = malloc(secret.len ? secret.len : 1);
			seal_aad(aad, ctx, uid);
			fhsm_err err = secret.failed || !ct ? FHSM_ERR_NOMEM : fhsm_random(iv, sizeof(iv));
			/* The clear part is authenticated too: flipping CKA_SENSITIVE in the file is caught. */
			struct enc full_aad = {0};
			put(&full_aad, aad, sizeof(aad));
			put(&full_aad, rec->p + clear_start, rec->len - clear_start);
			if (err == FHSM_OK)
				err = full_aad.failed ? FHSM_ERR_NOMEM
						      : fhsm_aes_gcm_seal(ctx->mk, P11_MK_LEN, iv, full_aad.p, full_aad.len,
									  secret.p, secret.len, ct, tag);
			if (err == FHSM_OK) {
				put(rec, iv, sizeof(iv));
				put(rec, tag, sizeof(tag));
				put_u32(rec, (uint32_t)secret.len);
				put(rec, ct, secret.len);
			}
			rv = p11_rv_from_fhsm(err);
			enc_free(&secret);
			enc_free(&full_aad);
			free(ct);
		}
	}
	uint32_t len = (uint32_t)rec->len + 4;
	if (rec->failed || rec->len + 4 > REC_MAX)
		return rv == CKR_OK ? CKR_HOST_MEMORY : rv;
	memcpy(rec->p + 4, &len, 4);
	put_u32(rec, fhsm_crc32(rec->p, rec->len));
	return rec->failed ? CKR_HOST_MEMORY : rv;
}

/* ---- decoding ---- */
struct dec {
	const uint8_t *p, *end;
	bool bad;
};

static bool take(struct dec *d, void *out, size_t n)
{
	if (d->bad || (size_t)(d->end - d->p) < n) {
		d->bad = true;
		return false;
	}
	memcpy(out, d->p, n);
	d->p += n;
	return true;
}

/* Appends the (type, len, value) triples of an attribute list to items. */
static bool get_attrs(struct dec *d, struct p11_attr *items, size_t *n, size_t max)
{
	uint32_t count;
	if (!take(d, &count, 4) || count > max - *n)
		return d->bad = true, false;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t t;
		uint32_t l;
		if (!take(d, &t, 8) || !take(d, &l, 4) || (size_t)(d->end - d->p) < l)
			return d->bad = true, false;
		items[*n].type = t;
		items[*n].len = l;
		items[*n].val = (uint8_t *)d->p;
		d->p += l;
		(*n)++;
	}
	return true;
}

#define MAX_ATTRS 96

/* A PUT record's attributes. Sealed parts open with mk; without it a private object
 * stays unreadable (*out = NULL) and a public one shows its protected attributes
 * empty (their values are never revealed anyway). */
static CK_RV decode_put(const struct p11_slot *slot, const struct p11_objctx *ctx, const uint8_t *rec, uint32_t len,
			struct p11_attrs **out)
{
	struct p11_attr items[MAX_ATTRS];
	size_t n = 0;
	uint64_t uid;
	memcpy(&uid, rec + 12, 8);
	uint8_t flags = rec[9];
	struct dec d = {rec + REC_HEAD, rec + len - 4, false};
	const uint8_t *clear_start = d.p;
	*out = NULL;
	if (!get_attrs(&d, items, &n, MAX_ATTRS))
		return CKR_DEVICE_ERROR;
	size_t clear_len = (size_t)(d.p - clear_start);
	uint8_t *pt = NULL;
	uint32_t ctlen = 0;
	CK_RV rv = CKR_OK;
	if (flags & F_SEALED) {
		uint8_t iv[FHSM_GCM_IV_SIZE], tag[FHSM_GCM_TAG_SIZE], aad[AAD_LEN];
		if (!take(&d, iv, sizeof(iv)) || !take(&d, tag, sizeof(tag)) || !take(&d, &ctlen, 4) ||
		    (size_t)(d.end - d.p) != ctlen)
			return CKR_DEVICE_ERROR;
		if (!ctx->mk) {
			if (flags & F_PRIVATE)
				return CKR_OK;
			/* Not openable now: protected attributes are present but empty. */
		} else {
			pt = malloc(ctlen ? ctlen : 1);
			uint8_t *full = malloc(AAD_LEN + clear_len);
			if (!pt || !full) {
				free(pt);
				free(full);
				return CKR_HOST_MEMORY;
			}
			seal_aad(aad, ctx, uid);
			memcpy(full, aad, AAD_LEN);
			memcpy(full + AAD_LEN, clear_start, clear_len);
			fhsm_err err = fhsm_aes_gcm_open(ctx->mk, P11_MK_LEN, iv, full, AAD_LEN + clear_len, d.p, ctlen, pt, tag);
			free(full);
			if (err != FHSM_OK) {
				p11_log(P11_LOG_ERROR, "%s: object %016llx fails its authentication check (tampered or "
					"corrupt); ignored", slot->path, (unsigned long long)uid);
				free(pt);
				return CKR_ENCRYPTED_DATA_INVALID;
			}
			struct dec s = {pt, pt + ctlen, false};
			if (!get_attrs(&s, items, &n, MAX_ATTRS) || s.p != s.end)
				rv = CKR_DEVICE_ERROR;
		}
	} else if (d.p != d.end) {
		return CKR_DEVICE_ERROR;
	}
	if (rv == CKR_OK && !(flags & F_PRIVATE) && (flags & F_SEALED) && !ctx->mk) {
		/* Public object, sealed values unknown: list the protected types with empty values. */
		CK_OBJECT_CLASS cls = CK_UNAVAILABLE_INFORMATION;
		CK_ULONG sub = 0;
		for (size_t i = 0; i < n; i++) {
			if (items[i].type == CKA_CLASS && items[i].len == sizeof(CK_ULONG))
				memcpy(&cls, items[i].val, sizeof(cls));
			if (items[i].type == p11_attr_subtype_attr(cls) && items[i].len == sizeof(CK_ULONG))
				memcpy(&sub, items[i].val, sizeof(sub));
		}
		const struct p11_attr_rule *rules[MAX_ATTRS];
		size_t nr = p11_attr_rules(cls, sub, rules, MAX_ATTRS);
		for (size_t r = 0; r < nr && n < MAX_ATTRS; r++) {
			bool have = false;
			for (size_t i = 0; i < n && !have; i++)
				have = items[i].type == rules[r]->type;
			if (!have && (rules[r]->rules & R_SECRET))
				items[n++] = (struct p11_attr){rules[r]->type, 0, NULL};
		}
	}
	if (rv == CKR_OK) {
		*out = p11_attrs_new(items, n);
		if (!*out)
			rv = CKR_HOST_MEMORY;
	}
	if (pt) {
		fhsm_wipe(pt, ctlen);
		free(pt);
	}
	return rv;
}

/* Length of the whole, valid record at p (at most avail bytes), or 0. */
static uint32_t record_at(const uint8_t *p, size_t avail)
{
	uint32_t magic, len, crc;
	if (avail < REC_MIN)
		return 0;
	memcpy(&magic, p, 4);
	memcpy(&len, p + 4, 4);
	if (magic != REC_MAGIC || len < REC_MIN || len > avail || len > REC_MAX)
		return 0;
	memcpy(&crc, p + len - 4, 4);
	if (crc != fhsm_crc32(p, len - 4) || (p[8] != KIND_PUT && p[8] != KIND_DEL))
		return 0;
	return len;
}

/* ---- applying records ---- */
static void log_path(const struct p11_slot *slot, char *out, size_t n, bool tmp)
{
	snprintf(out, n, "%s/%s" P11_OBJECTS_FILE "%s", slot->path, tmp ? "." : "", tmp ? ".tmp" : "");
}

static void keep_record(struct p11_object *o, const uint8_t *rec, uint32_t len)
{
	free(o->sealed);
	o->sealed = NULL;
	o->sealed_len = 0;
	if (!(rec[9] & F_SEALED))
		return; /* nothing to reopen later: the attributes are the record */
	o->sealed = malloc(len);
	if (o->sealed) {
		memcpy(o->sealed, rec, len);
		o->sealed_len = len;
	}
}

static void apply(struct p11_slot *slot, const struct p11_objctx *ctx, const uint8_t *rec, uint32_t len, unsigned gen)
{
	struct p11_objset *set = slot->objs;
	struct p11_objlog_view *v = p11_objset_view(set);
	uint64_t uid;
	memcpy(&uid, rec + 12, 8);
	struct p11_object *o = p11_objset_by_uid(set, uid);
	v->total += len;
	if (o)
		v->live -= o->rec_len;
	if (rec[8] == KIND_DEL) {
		if (o)
			p11_objset_remove(set, o);
		return;
	}
	struct p11_attrs *a = NULL;
	if (decode_put(slot, ctx, rec, len, &a) != CKR_OK) {
		if (o)
			p11_objset_remove(set, o); /* no longer trustworthy */
		return;
	}
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o) {
			p11_attrs_free(a);
			return;
		}
		o->slot = slot;
		o->uid = uid;
		o->token = true;
		o->priv = rec[9] & F_PRIVATE;
		o->attrs = a;
		o->ready = a != NULL;
		if (a)
			o->cls = p11_attrs_ulong(a, CKA_CLASS, 0);
		if (p11_objset_add(set, o) != CKR_OK) {
			p11_object_free(o);
			return;
		}
	} else {
		o->priv = rec[9] & F_PRIVATE;
		p11_objset_update(set, o, a);
	}
	keep_record(o, rec, len);
	o->rec_len = len;
	o->seen = gen;
	v->live += len;
}

static void drop_all(struct p11_slot *slot)
{
	struct p11_objset *set = slot->objs;
	while (p11_objset_first(set, true))
		p11_objset_remove(set, p11_objset_first(set, true));
	memset(p11_objset_view(set), 0, sizeof(struct p11_objlog_view));
}

static int read_range(int fd, off_t from, size_t len, uint8_t **out)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 0;
	if (!buf)
		return -1;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, from + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != len) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static unsigned sync_gen;

/* Reads what is new in the log (or all of it when it was replaced). fd: open on it. */
static CK_RV sync_fd(struct p11_slot *slot, const struct p11_objctx *ctx, int fd, const struct stat *st)
{
	struct p11_objlog_view *v = p11_objset_view(slot->objs);
	bool full = st->st_ino != v->ino || st->st_dev != v->dev || st->st_size < v->end || v->end == 0;
	if (!full && st->st_size == v->end)
		return CKR_OK;
	off_t from = full ? 0 : v->end;
	uint8_t *buf;
	if (st->st_size - from > ((off_t)1 << 40) || read_range(fd, from, (size_t)(st->st_size - from), &buf))
		return CKR_DEVICE_ERROR;
	size_t len = (size_t)(st->st_size - from), off = 0;
	unsigned gen = ++sync_gen;
	if (full) {
		if (len < HEADER_LEN || memcmp(buf, LOG_MAGIC, 8) != 0 ||
		    memcmp(buf + 8, ctx->epoch, P11_EPOCH_LEN) != 0) {
			free(buf);
			drop_all(slot);
			if (st->st_size > 0)
				p11_log(P11_LOG_ERROR, "%s/" P11_OBJECTS_FILE ": not this token's object log; ignored",
					slot->path);
			return st->st_size > 0 ? CKR_DEVICE_ERROR : CKR_OK;
		}
		memset(v, 0, sizeof(*v));
		memcpy(v->epoch, buf + 8, P11_EPOCH_LEN);
		for (struct p11_object *o = p11_objset_first(slot->objs, true); o; o = o->next)
			o->rec_len = 0; /* recounted below */
		off = HEADER_LEN;
	}
	while (off < len) {
		uint32_t rl = record_at(buf + off, len - off);
		if (rl) {
			apply(slot, ctx, buf + off, rl, gen);
			off += rl;
			continue;
		}
		/* Bad bytes. If a valid record follows they are damage in the middle of the log:
		 * report and skip them, and never let a writer cut what follows. Otherwise they
		 * are a torn tail: stop here, and the next writer cuts them off. */
		size_t next = off + 1;
		while (next + REC_MIN <= len && !record_at(buf + next, len - next))
			next++;
		if (next + REC_MIN > len)
			break;
		p11_log(P11_LOG_ERROR, "%s/" P11_OBJECTS_FILE ": %zu damaged bytes at offset %lld skipped",
			slot->path, next - off, (long long)(from + (off_t)off));
		v->total += next - off;
		off = next;
	}

	if (full) {
		/* Objects the replaced log no longer has are gone. */
		for (struct p11_object *o = p11_objset_first(slot->objs, true), *next; o; o = next) {
			next = o->next;
			if (o->seen != gen)
				p11_objset_remove(slot->objs, o);
		}
	}
	v->dev = st->st_dev;
	v->ino = st->st_ino;
	v->end = from + (off_t)off;
	free(buf);
	return CKR_OK;
}

CK_RV p11_objlog_sync(struct p11_slot *slot, const struct p11_objctx *ctx)
{
	char path[LOG_PATH_MAX];
	struct stat st;
	struct p11_objlog_view *v = p11_objset_view(slot->objs);
	log_path(slot, path, sizeof(path), false);
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return CKR_DEVICE_ERROR;
		if (v->ino || p11_objset_first(slot->objs, true))
			drop_all(slot); /* the token was re-initialized */
		return CKR_OK;
	}
	if (st.st_ino == v->ino && st.st_dev == v->dev && st.st_size == v->end)
		return CKR_OK; /* the common case: one stat() */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? CKR_OK : CKR_DEVICE_ERROR;
	CK_RV rv = fstat(fd, &st) == 0 ? sync_fd(slot, ctx, fd, &st) : CKR_DEVICE_ERROR;
	close(fd);
	return rv;
}

/* ---- writing ---- */
static int write_at(int fd, const uint8_t *p, size_t len, off_t at)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

static int fsync_parent(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Rewrites the log with only the latest version of each object. */
static void compact(struct p11_slot *slot, const struct p11_objctx *ctx)
{
	char tmp[LOG_PATH_MAX], path[LOG_PATH_MAX];
	struct p11_objlog_view *v = p11_objset_view(slot->objs);
	struct enc out = {0};
	put(&out, LOG_MAGIC, 8);
	put(&out, ctx->epoch, P11_EPOCH_LEN);
	for (struct p11_object *o = p11_objset_first(slot->objs, true); o; o = o->next) {
		if (o->sealed) {
			put(&out, o->sealed, o->sealed_len); /* as written: no key needed */
		} else {
			struct enc rec = {0};
			CK_RV rv = encode(slot, ctx, o->uid, o->attrs, &rec);
			if (rv == CKR_OK)
				put(&out, rec.p, rec.len);
			else
				out.failed = true;
			enc_free(&rec);
		}
	}
	log_path(slot, tmp, sizeof(tmp), true);
	log_path(slot, path, sizeof(path), false);
	int fd = out.failed ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write_at(fd, out.p, out.len, 0) == 0 && fsync(fd) == 0 && rename(tmp, path) == 0) {
		struct stat st;
		fsync_parent(slot->path);
		if (fstat(fd, &st) == 0) {
			v->dev = st.st_dev;
			v->ino = st.st_ino;
			v->end = st.st_size;
			v->total = v->live = (uint64_t)st.st_size - HEADER_LEN;
		}
		p11_log(P11_LOG_INFO, "%s: object log compacted to %zu bytes", slot->path, out.len);
	} else {
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
	enc_free(&out);
}

/* Under the token's flock: catch up, cut a torn tail, append, fdatasync, apply. */
static CK_RV append(struct p11_slot *slot, const struct p11_objctx *ctx, const struct enc *rec)
{
	char path[LOG_PATH_MAX], why[PATH_MAX + 64];
	struct p11_token_meta m;
	struct stat st;
	struct p11_objlog_view *v = p11_objset_view(slot->objs);
	int lk = p11_store_lock(slot->path);
	if (lk < 0)
		return CKR_DEVICE_REMOVED;
	CK_RV rv = p11_store_read_meta(slot->path, &m, NULL, why, sizeof(why));
	if (rv == CKR_OK && memcmp(m.epoch, ctx->epoch, P11_EPOCH_LEN) != 0)
		rv = CKR_DEVICE_REMOVED; /* re-initialized by another process */
	fhsm_wipe(&m, sizeof(m));
	if (rv != CKR_OK) {
		p11_store_unlock(lk);
		return rv == CKR_TOKEN_NOT_PRESENT ? CKR_DEVICE_REMOVED : rv;
	}
	log_path(slot, path, sizeof(path), false);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	bool created = st.st_size == 0;
	if (created) {
		uint8_t head[HEADER_LEN];
		memcpy(head, LOG_MAGIC, 8);
		memcpy(head + 8, ctx->epoch, P11_EPOCH_LEN);
		if (write_at(fd, head, sizeof(head), 0) || fstat(fd, &st)) {
			rv = CKR_DEVICE_ERROR;
			goto out;
		}
	}
	if ((rv = sync_fd(slot, ctx, fd, &st)) != CKR_OK)
		goto out;
	if (st.st_size > v->end) {
		/* Under the lock nobody is appending: these bytes are a write that never finished. */
		p11_log(P11_LOG_WARNING, "%s: cutting %lld bytes of an unfinished record", path,
			(long long)(st.st_size - v->end));
		if (ftruncate(fd, v->end) != 0) {
			rv = CKR_DEVICE_ERROR;
			goto out;
		}
	}
	if (write_at(fd, rec->p, rec->len, v->end) || fdatasync(fd) || (created && fsync_parent(slot->path))) {
		p11_log(P11_LOG_ERROR, "%s: cannot write: %s", path, strerror(errno));
		if (ftruncate(fd, v->end) == 0)
			fdatasync(fd);
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	apply(slot, ctx, rec->p, (uint32_t)rec->len, sync_gen);
	v->end += (off_t)rec->len;
	if (v->total > COMPACT_MIN && v->total > 2 * v->live)
		compact(slot, ctx);
out:
	if (fd >= 0)
		close(fd);
	p11_store_unlock(lk);
	return rv;
}

CK_RV p11_objlog_put(struct p11_slot *slot, const struct p11_objctx *ctx, uint64_t uid, const struct p11_attrs *a)
{
	struct enc rec = {0};
	CK_RV rv = encode(slot, ctx, uid, a, &rec);
	if (rv == CKR_OK)
		rv = append(slot, ctx, &rec);
	enc_free(&rec);
	return rv;
}

CK_RV p11_objlog_del(struct p11_slot *slot, const struct p11_objctx *ctx, struct p11_object *o)
{
	struct enc rec = {0};
	CK_RV rv = encode(slot, ctx, o->uid, NULL, &rec);
	if (rv == CKR_OK)
		rv = append(slot, ctx, &rec); /* frees o */
	enc_free(&rec);
	return rv;
}

void p11_objlog_unseal(struct p11_slot *slot, const struct p11_objctx *ctx)
{
	for (struct p11_object *o = p11_objset_first(slot->objs, true); o; o = o->next) {
		struct p11_attrs *a;
		if (o->sealed && decode_put(slot, ctx, o->sealed, (uint32_t)o->sealed_len, &a) == CKR_OK && a)
			p11_objset_update(slot->objs, o, a);
	}
}

void p11_objlog_forget_private(struct p11_slot *slot, const struct p11_objctx *ctx)
{
	struct p11_objctx locked = *ctx;
	locked.mk = NULL;
	for (struct p11_object *o = p11_objset_first(slot->objs, true); o; o = o->next) {
		struct p11_attrs *a = NULL;
		if (o->sealed && decode_put(slot, &locked, o->sealed, (uint32_t)o->sealed_len, &a) == CKR_OK)
			p11_objset_update(slot->objs, o, a);
	}
	/* Private session objects die at logout (PKCS#11 §5.6). */
	for (struct p11_object *o = p11_objset_first(slot->objs, false), *next; o; o = next) {
		next = o->next;
		if (o->priv) {
			o->session->nobjs--;
			p11_objset_remove(slot->objs, o);
		}
	}
}
