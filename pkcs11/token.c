/* PINs, the master key and the failure counters of one token.
 *
 * The token master key (random, 256 bits) is stored only wrapped: AES-256-GCM under
 * PBKDF2-HMAC-SHA256(PIN, salt, iterations), once for the SO and once for the user.
 * A PIN is right exactly when its wrap opens (GCM's tag check is constant-time), so
 * no PIN or PIN hash is stored. The AAD binds a wrap to its token and role.
 *
 * Every function here takes the token's file lock, re-reads token.meta, decides,
 * and writes it back: failure counters stay exact when processes race. */
#include <string.h>
#include <time.h>
#include "p11.h"

static const char AAD_PREFIX[] = "fhsm token master key v1";

static void wrap_aad(uint8_t aad[sizeof(AAD_PREFIX) + P11_SERIAL_LEN + 1], const char *serial,
		     enum p11_role role)
{
	memcpy(aad, AAD_PREFIX, sizeof(AAD_PREFIX));
	memcpy(aad + sizeof(AAD_PREFIX), serial, P11_SERIAL_LEN);
	aad[sizeof(AAD_PREFIX) + P11_SERIAL_LEN] = (uint8_t)role;
}
#define AAD_LEN (sizeof(AAD_PREFIX) + P11_SERIAL_LEN + 1)

static CK_RV wrap_mk(const uint8_t *pin, size_t pin_len, const uint8_t mk[P11_MK_LEN],
		     const char *serial, enum p11_role role, struct p11_wrap *w)
{
	uint8_t kek[32], aad[AAD_LEN];
	w->iterations = (uint32_t)p11.cfg.kdf_iterations;
	fhsm_err err = fhsm_random(w->salt, sizeof(w->salt));
	if (err == FHSM_OK)
		err = fhsm_random(w->iv, sizeof(w->iv));
	if (err == FHSM_OK)
		err = fhsm_pbkdf2_sha256(pin, pin_len, w->salt, sizeof(w->salt), w->iterations, kek,
					 sizeof(kek));
	wrap_aad(aad, serial, role);
	if (err == FHSM_OK)
		err = fhsm_aes_gcm_seal(kek, sizeof(kek), w->iv, aad, AAD_LEN, mk, P11_MK_LEN, w->ct,
					w->tag);
	fhsm_wipe(kek, sizeof(kek));
	return p11_rv_from_fhsm(err);
}

/* CKR_OK with mk filled, CKR_PIN_INCORRECT, or a failure. */
static CK_RV unwrap_mk(const uint8_t *pin, size_t pin_len, const struct p11_wrap *w,
		       const char *serial, enum p11_role role, uint8_t mk[P11_MK_LEN])
{
	uint8_t kek[32], aad[AAD_LEN];
	if (w->iterations == 0)
		return CKR_TOKEN_NOT_RECOGNIZED;
	fhsm_err err = fhsm_pbkdf2_sha256(pin, pin_len, w->salt, sizeof(w->salt), w->iterations,
					  kek, sizeof(kek));
	wrap_aad(aad, serial, role);
	if (err == FHSM_OK)
		err = fhsm_aes_gcm_open(kek, sizeof(kek), w->iv, aad, AAD_LEN, w->ct, P11_MK_LEN, mk,
					w->tag);
	fhsm_wipe(kek, sizeof(kek));
	return err == FHSM_ERR_AUTH ? CKR_PIN_INCORRECT : p11_rv_from_fhsm(err);
}

static bool pin_len_ok(size_t len)
{
	return len >= p11.cfg.pin_min_len && len <= p11.cfg.pin_max_len;
}

CK_FLAGS p11_token_pin_flags(const struct p11_token_meta *m, unsigned long limit)
{
	CK_FLAGS f = 0;
	if (m->user_fails > 0)
		f |= CKF_USER_PIN_COUNT_LOW;
	if (m->user_fails + 1 == limit)
		f |= CKF_USER_PIN_FINAL_TRY;
	if (m->user_fails >= limit)
		f |= CKF_USER_PIN_LOCKED;
	if (m->so_fails > 0)
		f |= CKF_SO_PIN_COUNT_LOW;
	if (m->so_fails + 1 == limit)
		f |= CKF_SO_PIN_FINAL_TRY;
	if (m->so_fails >= limit)
		f |= CKF_SO_PIN_LOCKED;
	return f;
}

/* Checks pin against role's wrap in m (already read under the lock), counting the
 * outcome; writes m back when a counter changed. */
static CK_RV check_pin(const char *tokpath, struct p11_token_meta *m, enum p11_role role,
		       const uint8_t *pin, size_t pin_len, uint8_t mk[P11_MK_LEN])
{
	uint32_t *fails = role == P11_ROLE_SO ? &m->so_fails : &m->user_fails;
	const struct p11_wrap *w = role == P11_ROLE_SO ? &m->so : &m->user;
	if (role == P11_ROLE_USER && !m->user_pin_set)
		return CKR_USER_PIN_NOT_INITIALIZED;
	if (*fails >= p11.cfg.pin_retry_limit)
		return CKR_PIN_LOCKED;
	/* A PIN outside the policy cannot be right, but it still costs a try: the
	 * counter must not reveal the policy to a guesser any more than C_GetTokenInfo does. */
	CK_RV rv = pin_len_ok(pin_len) ? unwrap_mk(pin, pin_len, w, m->serial, role, mk)
				       : CKR_PIN_INCORRECT;
	if (rv == CKR_OK && *fails != 0) {
		*fails = 0;
		rv = p11_store_write_meta(tokpath, m);
	} else if (rv == CKR_PIN_INCORRECT) {
		(*fails)++;
		CK_RV wrv = p11_store_write_meta(tokpath, m);
		if (wrv != CKR_OK)
			rv = wrv;
		p11_log(P11_LOG_INFO, "%s: wrong %s PIN (%u of %lu tries used)", tokpath,
			role == P11_ROLE_SO ? "SO" : "user", *fails, p11.cfg.pin_retry_limit);
	}
	if (rv != CKR_OK)
		fhsm_wipe(mk, P11_MK_LEN);
	return rv;
}

static CK_RV lock_and_read(const struct p11_slot *slot, int *lk, struct p11_token_meta *m)
{
	char why[PATH_MAX + 64];
	*lk = p11_store_lock(slot->path);
	if (*lk < 0)
		return CKR_TOKEN_NOT_PRESENT;
	CK_RV rv = p11_store_read_meta(slot->path, m, NULL, why, sizeof(why));
	if (rv == CKR_TOKEN_NOT_RECOGNIZED)
		p11_log(P11_LOG_ERROR, "token unusable: %s", why);
	if (rv != CKR_OK) {
		p11_store_unlock(*lk);
		*lk = -1;
	}
	return rv;
}

CK_RV p11_token_login(struct p11_slot *slot, enum p11_role role, const uint8_t *pin,
		      size_t pin_len, uint8_t mk[P11_MK_LEN], struct p11_token_meta *meta)
{
	int lk;
	CK_RV rv = lock_and_read(slot, &lk, meta);
	if (rv != CKR_OK)
		return rv;
	rv = check_pin(slot->path, meta, role, pin, pin_len, mk);
	p11_store_unlock(lk);
	return rv;
}

static void serial_new(char out[P11_SERIAL_LEN + 1], const uint8_t raw[P11_SERIAL_LEN / 2])
{
	static const char hex[] = "0123456789ABCDEF";
	for (int i = 0; i < P11_SERIAL_LEN / 2; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[P11_SERIAL_LEN] = '\0';
}

/* A fresh master key and SO wrap in m: the token starts over. */
static CK_RV token_fresh(struct p11_token_meta *m, const uint8_t *so_pin, size_t so_pin_len,
			 const uint8_t label[32])
{
	uint8_t mk[P11_MK_LEN];
	memcpy(m->label, label, 32);
	m->so_fails = m->user_fails = 0;
	m->user_pin_set = false;
	memset(&m->user, 0, sizeof(m->user));
	fhsm_err err = fhsm_random(m->epoch, sizeof(m->epoch));
	if (err == FHSM_OK)
		err = fhsm_random(mk, sizeof(mk));
	CK_RV rv = p11_rv_from_fhsm(err);
	if (rv == CKR_OK)
		rv = wrap_mk(so_pin, so_pin_len, mk, m->serial, P11_ROLE_SO, &m->so);
	fhsm_wipe(mk, sizeof(mk));
	return rv;
}

CK_RV p11_token_init(struct p11_slot *slot, const uint8_t *so_pin, size_t so_pin_len,
		     const uint8_t label[32])
{
	struct p11_token_meta m;
	uint8_t mk[P11_MK_LEN];
	CK_RV rv;

	if (slot->state == P11_SLOT_EMPTY) {
		uint8_t raw[P11_SERIAL_LEN / 2];
		if (!pin_len_ok(so_pin_len))
			return CKR_PIN_LEN_RANGE;
		memset(&m, 0, sizeof(m));
		rv = p11_rv_from_fhsm(fhsm_random(raw, sizeof(raw)));
		if (rv != CKR_OK)
			return rv;
		serial_new(m.serial, raw);
		rv = token_fresh(&m, so_pin, so_pin_len, label);
		/* CKR_SLOT_ID_INVALID when another process took this slot ID first. */
		if (rv == CKR_OK)
			rv = p11_store_create(p11.cfg.tokendir, slot->id, &m, slot->name, sizeof(slot->name));
		fhsm_wipe(&m, sizeof(m));
		return rv;
	}

	/* Re-initialization: only with the SO PIN; then every object goes. */
	int lk;
	rv = lock_and_read(slot, &lk, &m);
	if (rv != CKR_OK)
		return rv;
	rv = check_pin(slot->path, &m, P11_ROLE_SO, so_pin, so_pin_len, mk);
	fhsm_wipe(mk, sizeof(mk));
	if (rv == CKR_OK)
		rv = p11_store_clear_objects(slot->path);
	if (rv == CKR_OK)
		rv = token_fresh(&m, so_pin, so_pin_len, label);
	if (rv == CKR_OK)
		rv = p11_store_write_meta(slot->path, &m);
	p11_store_unlock(lk);
	fhsm_wipe(&m, sizeof(m));
	return rv;
}

CK_RV p11_token_init_pin(struct p11_slot *slot, const uint8_t mk[P11_MK_LEN],
			 const uint8_t epoch[P11_EPOCH_LEN], const uint8_t *pin, size_t pin_len)
{
	struct p11_token_meta m;
	int lk;
	if (!pin_len_ok(pin_len))
		return CKR_PIN_LEN_RANGE;
	CK_RV rv = lock_and_read(slot, &lk, &m);
	if (rv != CKR_OK)
		return rv;
	if (memcmp(m.epoch, epoch, P11_EPOCH_LEN) != 0)
		rv = CKR_USER_NOT_LOGGED_IN; /* re-initialized elsewhere since the SO logged in */
	if (rv == CKR_OK)
		rv = wrap_mk(pin, pin_len, mk, m.serial, P11_ROLE_USER, &m.user);
	if (rv == CKR_OK) {
		m.user_pin_set = true;
		m.user_fails = 0; /* the SO's way to unlock a locked user PIN */
		rv = p11_store_write_meta(slot->path, &m);
	}
	p11_store_unlock(lk);
	fhsm_wipe(&m, sizeof(m));
	return rv;
}

CK_RV p11_token_set_pin(struct p11_slot *slot, enum p11_role role, const uint8_t *old_pin,
			size_t old_len, const uint8_t *new_pin, size_t new_len)
{
	struct p11_token_meta m;
	uint8_t mk[P11_MK_LEN];
	int lk;
	if (!pin_len_ok(new_len))
		return CKR_PIN_LEN_RANGE;
	CK_RV rv = lock_and_read(slot, &lk, &m);
	if (rv != CKR_OK)
		return rv;
	rv = check_pin(slot->path, &m, role, old_pin, old_len, mk);
	if (rv == CKR_OK)
		rv = wrap_mk(new_pin, new_len, mk, m.serial, role,
			     role == P11_ROLE_SO ? &m.so : &m.user);
	if (rv == CKR_OK)
		rv = p11_store_write_meta(slot->path, &m);
	p11_store_unlock(lk);
	fhsm_wipe(mk, sizeof(mk));
	fhsm_wipe(&m, sizeof(m));
	return rv;
}
