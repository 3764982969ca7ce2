/* Internals of the PKCS#11 module, shared by the files of pkcs11/.
 *
 * Locking, outermost first:
 *   p11_life      (pthread rwlock) readers: every entry point; writer: C_Initialize/C_Finalize
 *   slot->op_lock serializes PIN and token changes of one slot (PBKDF2 runs under it)
 *   sess->lock    serializes calls on one session (its operations' state)
 *   p11.lock      the slot table, the session table, login state, session counts;
 *                 held only for bookkeeping, never around cryptography
 *   p11.obj_lock  the objects (objset.c, objlog.c); may be taken while p11.lock is held
 * op_lock and sess->lock are never taken while p11.lock is held, nor p11.lock while
 * p11.obj_lock is. Cross-process
 * safety comes from file locks in store.c. */
#ifndef FHSM_P11_H
#define FHSM_P11_H

#define CRYPTOKI_COMPAT 1
#include "pkcs11_v30.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "fhsm/crypto.h"
#include "fhsm/pk.h"
#include "fhsm/fabric.h"

#define P11_EXPORT __attribute__((visibility("default")))

#define P11_MANUFACTURER "fhsm project"
#define P11_LIBRARY_DESCRIPTION "fhsm PKCS#11 module"
#define P11_MODEL "fhsm soft"
#define P11_VERSION_MAJOR 0
#define P11_VERSION_MINOR 1

/* ---- configuration (config.c) ---- */
enum p11_backend { P11_BACKEND_AUTO, P11_BACKEND_SOFT, P11_BACKEND_SIM, P11_BACKEND_USB };

struct p11_config {
	char path[PATH_MAX];     /* the file read, "" when none exists */
	char tokendir[PATH_MAX];
	char device_trace[PATH_MAX]; /* device.trace: VCD of the simulated fabric, "" for none */
	char usb_serial[128];        /* device.usb.serial, "" for any board */
	bool timeout_set;            /* device.timeout_ms given (else the transport's default) */
	enum p11_backend backend;
	struct fhsm_fabric_config fabric; /* device.* keys */
	int log_level;
	unsigned long pin_min_len, pin_max_len;
	unsigned long pin_retry_limit;
	unsigned long kdf_iterations;
};

/* Defaults, then the file FHSM_CONF | $XDG_CONFIG_HOME/fhsm/fhsm.conf | /etc/fhsm/fhsm.conf.
 * On failure writes "file:line: reason" into err and returns -1. */
int p11_config_load(struct p11_config *cfg, char *err, size_t err_len);
/* Parses one file over cfg (for tests and fhsm-util). */
int p11_config_parse_file(struct p11_config *cfg, const char *path, char *err, size_t err_len);
void p11_config_defaults(struct p11_config *cfg);

/* ---- logging (log.c): stderr, never a PIN or key ---- */
enum { P11_LOG_ERROR, P11_LOG_WARNING, P11_LOG_INFO, P11_LOG_DEBUG };
extern int p11_log_level;
void p11_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- mutexes (lock.c): the application's callbacks or pthreads ---- */
CK_RV p11_locks_setup(const CK_C_INITIALIZE_ARGS *args);
CK_RV p11_mutex_new(void **m);
void p11_mutex_free(void *m);
void p11_mutex_lock(void *m);
void p11_mutex_unlock(void *m);

/* ---- token store on disk (store.c) ---- */
#define P11_SERIAL_LEN 16
#define P11_MK_LEN 32
#define P11_EPOCH_LEN 8

/* The master key wrapped under a PIN-derived key. */
struct p11_wrap {
	uint8_t salt[16];
	uint32_t iterations;
	uint8_t iv[FHSM_GCM_IV_SIZE];
	uint8_t ct[P11_MK_LEN];
	uint8_t tag[FHSM_GCM_TAG_SIZE];
};

struct p11_token_meta {
	uint8_t label[32];
	char serial[P11_SERIAL_LEN + 1];
	uint8_t epoch[P11_EPOCH_LEN]; /* new at every (re)initialization */
	uint64_t generation;          /* +1 at every write */
	uint32_t so_fails, user_fails;
	bool user_pin_set;
	struct p11_wrap so, user;
};

/* Identity of a file version: a rename gives a new inode, so a change shows. */
struct p11_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	long mtime_sec, mtime_nsec;
};

struct p11_store_entry {
	CK_SLOT_ID id;
	char name[64]; /* "<slot id>-<serial>" */
};

#define P11_META_FILE "token.meta"
#define P11_OBJECTS_FILE "objects.log"

/* Lists the token directories, sorted by slot ID. A missing tokendir is empty. */
int p11_store_scan(const char *tokendir, struct p11_store_entry **list, size_t *n);
/* CKR_OK; CKR_TOKEN_NOT_PRESENT when gone; CKR_TOKEN_NOT_RECOGNIZED when corrupt (why says how). */
CK_RV p11_store_read_meta(const char *tokpath, struct p11_token_meta *m, struct p11_stamp *st,
			  char *why, size_t why_len);
int p11_store_stat(const char *tokpath, struct p11_stamp *st);
bool p11_stamp_equal(const struct p11_stamp *a, const struct p11_stamp *b);
CK_RV p11_store_write_meta(const char *tokpath, struct p11_token_meta *m);
/* Creates tokendir/<id>-<serial> atomically; CKR_SLOT_ID_INVALID if the ID is taken meanwhile. */
CK_RV p11_store_create(const char *tokendir, CK_SLOT_ID id, struct p11_token_meta *m,
		       char *name_out, size_t name_len);
CK_RV p11_store_delete(const char *tokendir, const char *name);
CK_RV p11_store_clear_objects(const char *tokpath);
/* flock()ed lock files; -1 on failure. */
int p11_store_lock(const char *dirpath);
void p11_store_unlock(int fd);
int p11_mkdirs(const char *path, mode_t mode);

/* ---- token PIN logic (token.c): every call re-reads the file under its lock ---- */
enum p11_role { P11_ROLE_SO, P11_ROLE_USER };
struct p11_slot;
CK_RV p11_token_login(struct p11_slot *slot, enum p11_role role, const uint8_t *pin,
		      size_t pin_len, uint8_t mk[P11_MK_LEN], struct p11_token_meta *meta);
CK_RV p11_token_init(struct p11_slot *slot, const uint8_t *so_pin, size_t so_pin_len,
		     const uint8_t label[32]);
CK_RV p11_token_init_pin(struct p11_slot *slot, const uint8_t mk[P11_MK_LEN],
			 const uint8_t epoch[P11_EPOCH_LEN], const uint8_t *pin, size_t pin_len);
CK_RV p11_token_set_pin(struct p11_slot *slot, enum p11_role role, const uint8_t *old_pin,
			size_t old_len, const uint8_t *new_pin, size_t new_len);
CK_FLAGS p11_token_pin_flags(const struct p11_token_meta *m, unsigned long limit);

/* ---- slots (slot.c) ---- */
enum p11_slot_state {
	P11_SLOT_EMPTY,   /* the free slot: an uninitialized token */
	P11_SLOT_TOKEN,   /* an initialized token */
	P11_SLOT_BAD,     /* a token whose files are corrupt: listed, not usable */
	P11_SLOT_GONE,    /* deleted by another process; kept while sessions refer to it */
};
#define P11_NOBODY ((CK_USER_TYPE)-1)

struct p11_slot {
	CK_SLOT_ID id;
	enum p11_slot_state state;
	char name[64];
	char path[PATH_MAX + 64]; /* tokendir + "/" + name */
	struct p11_token_meta meta;
	struct p11_stamp stamp;
	void *op_lock;
	/* Login state of this process (under p11.lock). */
	CK_USER_TYPE login;
	uint8_t mk[P11_MK_LEN];
	uint8_t login_epoch[P11_EPOCH_LEN];
	unsigned long sessions, rw_sessions;
	struct p11_objset *objs; /* under p11.obj_lock */
};

/* Under p11.lock: reloads the token file if another process changed it. */
void p11_slot_refresh(struct p11_slot *slot);
/* Under p11.lock: the slot with that ID (rescanning once if unknown), or NULL. */
struct p11_slot *p11_slot_find(CK_SLOT_ID id);
void p11_slot_logout(struct p11_slot *slot);
void p11_slots_free(void);

/* ---- sessions (session.c) ---- */
struct p11_digest_op {
	bool active, updated;
	fhsm_hash_alg alg;
	fhsm_hash_ctx *ctx;
};
enum p11_curve { P11_P256, P11_P384, P11_P521, P11_ED25519, P11_X25519 };

/* Parameters of a public-key mechanism, checked at *Init. */
struct p11_pk_params {
	struct fhsm_rsa_params rsa;
	size_t digest_len; /* CKM_RSA_PKCS_PSS: the digest length the caller must give */
	fhsm_gost_paramset gost; /* GOST R 34.10-2001: the key's parameter set */
};

/* A key's prepared form, shared by its object's cache and the operations using it:
 * a parsed RSA key (fhsm_rsa_key) or an HMAC key's hash states (fhsm_mac_key).
 * Preparing once per key, not once per operation, is what keeps RSA at full speed
 * (SoftHSM rebuilds its key every time and loses half) and saves a short HMAC two
 * of its five compressions. Immutable; refcounted. */
enum { P11_PREP_RSA, P11_PREP_HMAC /* + the fhsm_hash_alg */ };
struct p11_keyref {
	void *key;
	void (*free)(void *key);
	int refs;
	int use; /* P11_PREP_RSA, or P11_PREP_HMAC + hash: what key is */
};
void p11_keyref_put(struct p11_keyref *r);

/* One cryptographic operation in a session (encrypt, decrypt, sign or verify). */
struct p11_mech;
struct p11_attrs;
struct p11_op {
	bool active, updated;
	const struct p11_mech *m;
	struct p11_attrs *key; /* a private copy of the key's attributes, wiped at the end */
	void *ctx;             /* the host context: fhsm_cipher_ctx, fhsm_aead_ctx, fhsm_mac_ctx */
	uint8_t buf[16];       /* a partial block */
	size_t buflen;
	uint8_t *acc;          /* accumulated input (AEAD decryption, single-shot mechanisms) */
	size_t acclen, acccap;
	size_t out_len;        /* MAC or tag length */
	CK_ULONG data_len;     /* CCM: the announced length */
	void *pk;              /* the parsed key (fhsm_rsa_key), borrowed from pkref */
	struct p11_keyref *pkref;
	enum p11_curve curve;
	struct p11_pk_params params;
};

struct p11_find_op {
	bool active;
	CK_OBJECT_HANDLE *handles; /* the matches, collected at C_FindObjectsInit */
	size_t n, cap, pos;
};

struct p11_session {
	CK_SESSION_HANDLE handle;
	struct p11_slot *slot;
	CK_FLAGS flags;
	void *lock;
	/* One reference for the session table while the session is in it, one per
	 * caller holding it (p11_session_get); whoever drops the last frees it.
	 * Atomic: taken under p11.lock (found in the table, so never from zero),
	 * dropped without it. closed: set under p11.lock, read by holders. */
	unsigned refs;
	bool closed;
	struct p11_session *next, *prev, *hnext;
	struct p11_digest_op digest;
	struct p11_find_op find;
	struct p11_op enc, dec, sign, verify;
	unsigned long nobjs; /* session objects it owns (under p11.obj_lock) */
};

/* Looks a session up, takes a reference and its lock. */
CK_RV p11_session_get(CK_SESSION_HANDLE h, struct p11_session **out);
void p11_session_put(struct p11_session *s);
/* The common entry: p11_enter() + p11_session_get(); nothing is held on failure. */
CK_RV p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **out);
/* p11_session_put() + p11_leave(). */
void p11_leave_session(struct p11_session *s);
CK_STATE p11_session_state(const struct p11_session *s);
void p11_sessions_free(void);
void p11_digest_end(struct p11_digest_op *op);
void p11_op_end(struct p11_op *op);
/* The start of every call after *Init (C_Encrypt, C_SignUpdate, ...): the session,
 * entered, and its operation of that kind, which must be running. On an error the
 * session is already left. */
enum p11_op_kind { P11_OP_ENCRYPT, P11_OP_DECRYPT, P11_OP_SIGN, P11_OP_VERIFY };
CK_RV p11_op_enter(CK_SESSION_HANDLE h, enum p11_op_kind kind, struct p11_session **s, struct p11_op **op);
/* The checks every *Init makes before the key: arguments, an operation already
 * running, a mechanism that can do `need`. */
CK_RV p11_op_check(const struct p11_op *op, const CK_MECHANISM *pm, CK_FLAGS need, const struct p11_mech **m);
/* The end of every *Init: the operation starts on CKR_OK, is cleaned up otherwise. */
CK_RV p11_op_settle(struct p11_op *op, CK_RV rv);
void p11_find_end(struct p11_find_op *f);

/* ---- objects (object.c): hooks for session and login changes, under p11.lock ---- */
void p11_objects_session_closed(struct p11_session *s);
void p11_objects_logged_in(struct p11_slot *slot);
void p11_objects_logged_out(struct p11_slot *slot);
struct p11_objset *p11_objset_new(void);
void p11_objset_free(struct p11_objset *set);
void p11_objset_wipe(struct p11_objset *set);
void p11_handles_reset(void);

/* ---- mechanisms (mech.c): one table ---- */
enum p11_mech_class {
	MC_DIGEST,  /* hash: fhsm_hash_alg */
	MC_BLOCK,   /* block cipher mode: cipher, mode, pad */
	MC_AEAD,    /* AES-GCM / AES-CCM */
	MC_HMAC,    /* hash, general */
	MC_CMAC,    /* cipher, general */
	MC_KEYGEN,  /* secret key generation: key_type */
	MC_KEYPAIR, /* key-pair generation: key_type */
	MC_RSA,     /* mode: fhsm_rsa_pad; hash: hash-and-sign, -1 for raw input */
	MC_ECDSA,   /* hash: hash-and-sign, -1 for a given digest */
	MC_EDDSA,
	MC_WRAP,    /* key wrapping only (wrap.c): mode says which */
	MC_DERIVE,  /* key derivation (derive.c) */
	MC_DSA,     /* hash: hash-and-sign, -1 for a given digest */
	MC_PARAMGEN, /* domain-parameter generation: key_type */
	MC_GOST,    /* GOST R 34.10-2001: hash: hash-and-sign, -1 for a given hash */
};


struct p11_mech {
	CK_MECHANISM_TYPE type;
	CK_ULONG min_key, max_key;
	CK_FLAGS flags;
	int hash;              /* fhsm_hash_alg, -1 when none */
	enum p11_mech_class cls;
	CK_KEY_TYPE key_type;  /* the key it takes or makes */
	int cipher;            /* fhsm_block_cipher */
	int mode;              /* fhsm_cipher_mode; MC_AEAD: 0 GCM, 1 CCM; MC_RSA: fhsm_rsa_pad */
	bool pad, general;     /* CBC-PAD; MAC _GENERAL (length parameter) */
};
const struct p11_mech *p11_mech_find(CK_MECHANISM_TYPE type);
bool p11_mech_takes(const struct p11_mech *m, CK_KEY_TYPE kt);
size_t p11_mech_count(void);
const struct p11_mech *p11_mech_at(size_t i);

/* ---- the module (general.c) ---- */
struct p11_module {
	bool initialized;
	pid_t pid;
	struct p11_config cfg;
	void *lock;
	void *obj_lock; /* every object set and the handle table; taken inside p11.lock */
	struct p11_slot **slots;
	size_t nslots;
	struct p11_session *sessions;    /* all open sessions */
	struct p11_session **buckets;    /* by handle */
	CK_SESSION_HANDLE next_handle;
};
extern struct p11_module p11;

/* Every entry point but C_Initialize/C_Finalize/C_Get*List/C_GetInterface:
 * p11_enter() -> work -> p11_leave(). */
CK_RV p11_enter(void);
void p11_leave(void);
#define P11_LOCK() p11_mutex_lock(p11.lock)
#define P11_UNLOCK() p11_mutex_unlock(p11.lock)

/* ---- helpers (util.c) ---- */
/* Returned by p11_out_len when the caller only asked for the length. Never leaves the module. */
#define P11_RV_LENGTH_ONLY (CKR_VENDOR_DEFINED | 0x1UL)
/* The output-buffer convention: NULL -> length only; too small -> CKR_BUFFER_TOO_SMALL; both set *len. */
CK_RV p11_out_len(const void *out, CK_ULONG_PTR len, CK_ULONG need);
/* Copies a string into a fixed field, padded with spaces, no NUL. */
void p11_pad(void *dst, size_t size, const char *src);
CK_RV p11_rv_from_fhsm(fhsm_err err);

#endif
