/* The token store on disk.
 *
 *   <tokendir>/.lock                  serializes creating and deleting tokens
 *   <tokendir>/<slot id>-<serial>/    one directory per token
 *       token.meta                    label, serial, PIN records, failure counters
 *       .lock                         serializes changes to this token
 *       objects.log                   token objects: an append-only log (objlog.c)
 *
 * Every file is replaced atomically (write a temp file, fsync, rename, fsync the
 * directory), so a killed process leaves the old or the new version, never a mix.
 * token.meta carries a SHA-256 over its contents: a torn or corrupted file is
 * reported, never loaded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "p11.h"

#define META_MAGIC "FHSMTOK1"
#define META_VERSION 1u
#define META_MAX_SIZE 65536u
#define WRAP_SIZE (16 + 4 + FHSM_GCM_IV_SIZE + P11_MK_LEN + FHSM_GCM_TAG_SIZE)

enum meta_tag {
	TAG_LABEL = 1,
	TAG_SERIAL = 2,
	TAG_EPOCH = 3,
	TAG_GENERATION = 4,
	TAG_SO_FAILS = 5,
	TAG_USER_FAILS = 6,
	TAG_FLAGS = 7,
	TAG_SO_WRAP = 8,
	TAG_USER_WRAP = 9,
};
#define FLAG_USER_PIN_SET 1u

/* ---- little-endian encoding ---- */
static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct buf {
	uint8_t data[1024];
	size_t len;
};

static void rec(struct buf *b, uint16_t tag, const void *v, uint16_t len)
{
	put_u16(b->data + b->len, tag);
	put_u16(b->data + b->len + 2, len);
	memcpy(b->data + b->len + 4, v, len);
	b->len += 4u + len;
}

static void wrap_encode(uint8_t out[WRAP_SIZE], const struct p11_wrap *w)
{
	uint8_t *p = out;
	memcpy(p, w->salt, 16), p += 16;
	put_u32(p, w->iterations), p += 4;
	memcpy(p, w->iv, FHSM_GCM_IV_SIZE), p += FHSM_GCM_IV_SIZE;
	memcpy(p, w->ct, P11_MK_LEN), p += P11_MK_LEN;
	memcpy(p, w->tag, FHSM_GCM_TAG_SIZE);
}

static void wrap_decode(struct p11_wrap *w, const uint8_t *p)
{
	memcpy(w->salt, p, 16), p += 16;
	w->iterations = get_u32(p), p += 4;
	memcpy(w->iv, p, FHSM_GCM_IV_SIZE), p += FHSM_GCM_IV_SIZE;
	memcpy(w->ct, p, P11_MK_LEN), p += P11_MK_LEN;
	memcpy(w->tag, p, FHSM_GCM_TAG_SIZE);
}

static void meta_encode(const struct p11_token_meta *m, struct buf *b)
{
	uint8_t tmp[WRAP_SIZE];
	memcpy(b->data, META_MAGIC, 8);
	put_u32(b->data + 8, META_VERSION);
	b->len = 16; /* body length goes at 12 once known */
	rec(b, TAG_LABEL, m->label, 32);
	rec(b, TAG_SERIAL, m->serial, P11_SERIAL_LEN);
	rec(b, TAG_EPOCH, m->epoch, P11_EPOCH_LEN);
	put_u64(tmp, m->generation);
	rec(b, TAG_GENERATION, tmp, 8);
	put_u32(tmp, m->so_fails);
	rec(b, TAG_SO_FAILS, tmp, 4);
	put_u32(tmp, m->user_fails);
	rec(b, TAG_USER_FAILS, tmp, 4);
	put_u32(tmp, m->user_pin_set ? FLAG_USER_PIN_SET : 0);
	rec(b, TAG_FLAGS, tmp, 4);
	wrap_encode(tmp, &m->so);
	rec(b, TAG_SO_WRAP, tmp, WRAP_SIZE);
	if (m->user_pin_set) {
		wrap_encode(tmp, &m->user);
		rec(b, TAG_USER_WRAP, tmp, WRAP_SIZE);
	}
	put_u32(b->data + 12, (uint32_t)(b->len - 16));
	fhsm_hash(FHSM_HASH_SHA256, b->data, b->len, b->data + b->len);
	b->len += 32;
}

/* Returns NULL when the file is sound, else what is wrong with it. */
static const char *meta_decode(struct p11_token_meta *m, const uint8_t *d, size_t len)
{
	uint8_t sum[32];
	if (len < 16 + 32 || memcmp(d, META_MAGIC, 8) != 0)
		return "not a token file (bad magic or too short)";
	if (get_u32(d + 8) != META_VERSION)
		return "unsupported token file version";
	uint32_t body = get_u32(d + 12);
	if ((size_t)body + 16 + 32 != len)
		return "truncated or extended (length mismatch)";
	fhsm_hash(FHSM_HASH_SHA256, d, 16 + body, sum);
	if (!fhsm_ct_equal(sum, d + 16 + body, 32))
		return "checksum mismatch (file corrupted)";

	memset(m, 0, sizeof(*m));
	unsigned seen = 0;
	const uint8_t *p = d + 16, *end = d + 16 + body;
	while (p < end) {
		if (end - p < 4)
			return "malformed record";
		uint16_t tag = get_u16(p), rlen = get_u16(p + 2);
		const uint8_t *v = p + 4;
		if (end - v < rlen)
			return "malformed record";
		p = v + rlen;
		size_t want = 0;
		switch (tag) {
		case TAG_LABEL: want = 32; break;
		case TAG_SERIAL: want = P11_SERIAL_LEN; break;
		case TAG_EPOCH: want = P11_EPOCH_LEN; break;
		case TAG_GENERATION: want = 8; break;
		case TAG_SO_FAILS: case TAG_USER_FAILS: case TAG_FLAGS: want = 4; break;
		case TAG_SO_WRAP: case TAG_USER_WRAP: want = WRAP_SIZE; break;
		default: continue; /* a newer writer's record: not ours to judge */
		}
		if (rlen != want)
			return "record of wrong size";
		seen |= 1u << tag;
		switch (tag) {
		case TAG_LABEL: memcpy(m->label, v, 32); break;
		case TAG_SERIAL: memcpy(m->serial, v, P11_SERIAL_LEN); break;
		case TAG_EPOCH: memcpy(m->epoch, v, P11_EPOCH_LEN); break;
		case TAG_GENERATION: m->generation = get_u64(v); break;
		case TAG_SO_FAILS: m->so_fails = get_u32(v); break;
		case TAG_USER_FAILS: m->user_fails = get_u32(v); break;
		case TAG_FLAGS: m->user_pin_set = get_u32(v) & FLAG_USER_PIN_SET; break;
		case TAG_SO_WRAP: wrap_decode(&m->so, v); break;
		case TAG_USER_WRAP: wrap_decode(&m->user, v); break;
		}
	}
	unsigned need = 1u << TAG_LABEL | 1u << TAG_SERIAL | 1u << TAG_EPOCH | 1u << TAG_GENERATION |
			1u << TAG_SO_FAILS | 1u << TAG_USER_FAILS | 1u << TAG_FLAGS | 1u << TAG_SO_WRAP;
	if (m->user_pin_set)
		need |= 1u << TAG_USER_WRAP;
	if ((seen & need) != need)
		return "required record missing";
	return NULL;
}

/* ---- files ---- */
static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* dir/name replaced by data: the old or the new version survives a crash. */
static int write_atomic(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || fsync(fd)) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, dst)) {
		unlink(tmp);
		return -1;
	}
	return fsync_dir(dir);
}

int p11_mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, mode) && errno != EEXIST ? -1 : 0;
}

int p11_store_lock(const char *dirpath)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/.lock", dirpath) >= (int)sizeof(path))
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void p11_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int p11_store_stat(const char *tokpath, struct p11_stamp *st)
{
	char path[PATH_MAX];
	struct stat sb;
	if (snprintf(path, sizeof(path), "%s/" P11_META_FILE, tokpath) >= (int)sizeof(path) ||
	    stat(path, &sb) != 0)
		return -1;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->size = sb.st_size;
	st->mtime_sec = sb.st_mtim.tv_sec;
	st->mtime_nsec = sb.st_mtim.tv_nsec;
	return 0;
}

bool p11_stamp_equal(const struct p11_stamp *a, const struct p11_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

CK_RV p11_store_read_meta(const char *tokpath, struct p11_token_meta *m, struct p11_stamp *st,
			  char *why, size_t why_len)
{
	char path[PATH_MAX];
	uint8_t data[META_MAX_SIZE];
	struct stat sb;
	snprintf(why, why_len, "ok");
	if (snprintf(path, sizeof(path), "%s/" P11_META_FILE, tokpath) >= (int)sizeof(path))
		return CKR_GENERAL_ERROR;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return errno == ENOENT && access(tokpath, F_OK) != 0 ? CKR_TOKEN_NOT_PRESENT
								     : CKR_TOKEN_NOT_RECOGNIZED;
	}
	size_t len = 0;
	ssize_t n = 0;
	if (fstat(fd, &sb) == 0) {
		while (len < sizeof(data) && (n = read(fd, data + len, sizeof(data) - len)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			len += (size_t)n;
		}
	} else {
		n = -1;
	}
	close(fd);
	if (n < 0) {
		snprintf(why, why_len, "%s: read failed", path);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	const char *bad = len == sizeof(data) ? "too large" : meta_decode(m, data, len);
	if (bad) {
		snprintf(why, why_len, "%s: %s", path, bad);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (st) {
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
		st->size = sb.st_size;
		st->mtime_sec = sb.st_mtim.tv_sec;
		st->mtime_nsec = sb.st_mtim.tv_nsec;
	}
	return CKR_OK;
}

CK_RV p11_store_write_meta(const char *tokpath, struct p11_token_meta *m)
{
	struct buf b;
	m->generation++;
	meta_encode(m, &b);
	int rc = write_atomic(tokpath, P11_META_FILE, b.data, b.len);
	fhsm_wipe(&b, sizeof(b));
	if (rc) {
		p11_log(P11_LOG_ERROR, "%s: cannot write " P11_META_FILE ": %s", tokpath, strerror(errno));
		return CKR_DEVICE_ERROR;
	}
	return CKR_OK;
}

/* "<decimal slot id>-<16 hex digits>" */
static bool parse_name(const char *name, CK_SLOT_ID *id)
{
	char *end;
	if (name[0] < '0' || name[0] > '9')
		return false;
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (errno || *end != '-' || strlen(end + 1) != P11_SERIAL_LEN)
		return false;
	for (const char *s = end + 1; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
			return false;
	*id = v;
	return true;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct p11_store_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int p11_store_scan(const char *tokendir, struct p11_store_entry **list, size_t *n)
{
	*list = NULL;
	*n = 0;
	DIR *d = opendir(tokendir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		CK_SLOT_ID id;
		if (!parse_name(e->d_name, &id) || strlen(e->d_name) >= sizeof((*list)->name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			struct p11_store_entry *nl = realloc(*list, cap * sizeof(**list));
			if (!nl) {
				closedir(d);
				free(*list);
				*list = NULL;
				*n = 0;
				return -1;
			}
			*list = nl;
		}
		(*list)[*n].id = id;
		snprintf((*list)[*n].name, sizeof((*list)[*n].name), "%s", e->d_name);
		(*n)++;
	}
	closedir(d);
	qsort(*list, *n, sizeof(**list), entry_cmp);
	return 0;
}

static bool id_taken(const char *tokendir, CK_SLOT_ID id)
{
	struct p11_store_entry *l;
	size_t n;
	bool taken = false;
	if (p11_store_scan(tokendir, &l, &n))
		return true;
	for (size_t i = 0; i < n; i++)
		taken |= l[i].id == id;
	free(l);
	return taken;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int rm_tree(const char *path)
{
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

CK_RV p11_store_create(const char *tokendir, CK_SLOT_ID id, struct p11_token_meta *m,
		       char *name_out, size_t name_len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	struct buf b;
	CK_RV rv = CKR_DEVICE_ERROR;
	if (p11_mkdirs(tokendir, 0700)) {
		p11_log(P11_LOG_ERROR, "%s: cannot create token directory: %s", tokendir, strerror(errno));
		return CKR_DEVICE_ERROR;
	}
	int lk = p11_store_lock(tokendir);
	if (lk < 0)
		return CKR_DEVICE_ERROR;
	if (id_taken(tokendir, id)) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	snprintf(name_out, name_len, "%lu-%s", id, m->serial);
	if (snprintf(tmp, sizeof(tmp), "%s/.new-XXXXXX", tokendir) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", tokendir, name_out) >= (int)sizeof(dst) ||
	    !mkdtemp(tmp))
		goto out;
	m->generation = 1;
	meta_encode(m, &b);
	if (write_atomic(tmp, P11_META_FILE, b.data, b.len) || rename(tmp, dst)) {
		p11_log(P11_LOG_ERROR, "%s: cannot create token: %s", dst, strerror(errno));
		rm_tree(tmp);
	} else {
		if (fsync_dir(tokendir))
			p11_log(P11_LOG_WARNING, "%s: fsync failed: %s", tokendir, strerror(errno));
		rv = CKR_OK;
	}
	fhsm_wipe(&b, sizeof(b));
out:
	p11_store_unlock(lk);
	return rv;
}

CK_RV p11_store_clear_objects(const char *tokpath)
{
	char path[PATH_MAX + 32];
	int rc = 0;
	static const char *const names[] = {P11_OBJECTS_FILE, "." P11_OBJECTS_FILE ".tmp"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tokpath, names[i]);
		if (unlink(path) && errno != ENOENT)
			rc = -1;
	}
	return rc || fsync_dir(tokpath) ? CKR_DEVICE_ERROR : CKR_OK;
}

/* Renamed away first, so other processes see the token vanish at once and whole. */
CK_RV p11_store_delete(const char *tokendir, const char *name)
{
	char src[PATH_MAX], trash[PATH_MAX];
	CK_SLOT_ID id;
	if (!parse_name(name, &id) ||
	    snprintf(src, sizeof(src), "%s/%s", tokendir, name) >= (int)sizeof(src) ||
	    snprintf(trash, sizeof(trash), "%s/.trash-%s-%ld", tokendir, name, (long)getpid()) >=
		    (int)sizeof(trash))
		return CKR_ARGUMENTS_BAD;
	int lk = p11_store_lock(tokendir);
	if (lk < 0)
		return CKR_DEVICE_ERROR;
	CK_RV rv = CKR_OK;
	int tlk = p11_store_lock(src);
	if (rename(src, trash) != 0)
		rv = errno == ENOENT ? CKR_TOKEN_NOT_PRESENT : CKR_DEVICE_ERROR;
	else
		fsync_dir(tokendir);
	p11_store_unlock(tlk);
	p11_store_unlock(lk);
	if (rv == CKR_OK && rm_tree(trash))
		p11_log(P11_LOG_WARNING, "%s: could not remove all files", trash);
	return rv;
}
