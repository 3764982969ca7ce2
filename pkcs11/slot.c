/* Slots and tokens: C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, C_InitToken,
 * C_InitPIN, C_SetPIN, C_WaitForSlotEvent, and the slot table behind them.
 *
 * Slot IDs: a token keeps, for its whole life, the ID of the slot it was initialized
 * in; the ID is part of its directory name (<tokendir>/<id>-<serial>). The one empty
 * slot, which holds an uninitialized token, has the ID one above the highest ID in
 * use (0 when there is no token). Initializing the token in the empty slot therefore
 * changes no ID: the slot keeps its ID, and a new empty slot appears after it.
 * Every process sees the same IDs, since they come from the directory names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include "p11.h"

/* Slots whose token was deleted by another process; kept until C_Finalize because
 * sessions may still point at them. */
static struct p11_slot **gone;
static size_t ngone;

static struct p11_slot *slot_new(CK_SLOT_ID id)
{
	struct p11_slot *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (p11_mutex_new(&s->op_lock) != CKR_OK) {
		free(s);
		return NULL;
	}
	s->objs = p11_objset_new();
	if (!s->objs) {
		p11_mutex_free(s->op_lock);
		free(s);
		return NULL;
	}
	s->id = id;
	s->state = P11_SLOT_EMPTY;
	s->login = P11_NOBODY;
	return s;
}

static void slot_free(struct p11_slot *s)
{
	if (!s)
		return;
	p11_mutex_free(s->op_lock);
	p11_objset_free(s->objs);
	fhsm_wipe(s, sizeof(*s));
	free(s);
}

void p11_slot_logout(struct p11_slot *slot)
{
	bool was = slot->login != P11_NOBODY;
	slot->login = P11_NOBODY;
	if (was)
		p11_objects_logged_out(slot);
	fhsm_wipe(slot->mk, sizeof(slot->mk));
	memset(slot->login_epoch, 0, sizeof(slot->login_epoch));
}

static void slot_load(struct p11_slot *s)
{
	char why[PATH_MAX + 64];
	struct p11_token_meta m;
	struct p11_stamp st;
	CK_RV rv = p11_store_read_meta(s->path, &m, &st, why, sizeof(why));
	if (rv == CKR_OK) {
		if (s->login != P11_NOBODY && memcmp(m.epoch, s->login_epoch, P11_EPOCH_LEN) != 0)
			p11_slot_logout(s); /* re-initialized by another process */
		s->meta = m;
		s->stamp = st;
		s->state = P11_SLOT_TOKEN;
	} else if (rv == CKR_TOKEN_NOT_RECOGNIZED) {
		if (s->state != P11_SLOT_BAD)
			p11_log(P11_LOG_ERROR, "slot %lu: token unusable: %s", s->id, why);
		p11_slot_logout(s);
		memset(&s->stamp, 0, sizeof(s->stamp));
		p11_store_stat(s->path, &s->stamp);
		s->state = P11_SLOT_BAD;
	} else if (s->state == P11_SLOT_EMPTY) {
		s->state = P11_SLOT_BAD; /* vanished while loading: the next rescan buries it */
	}
	fhsm_wipe(&m, sizeof(m));
}

/* Points s at the token directory name and loads it. */
static void slot_attach(struct p11_slot *s, const char *name)
{
	if (name != s->name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->path, sizeof(s->path), "%s/%s", p11.cfg.tokendir, s->name);
	s->state = P11_SLOT_EMPTY; /* not BAD yet: a bad file gets its log line */
	slot_load(s);
}

static int table_insert(struct p11_slot *s)
{
	struct p11_slot **n = realloc(p11.slots, (p11.nslots + 1) * sizeof(*n));
	if (!n)
		return -1;
	p11.slots = n;
	size_t i = p11.nslots;
	while (i > 0 && p11.slots[i - 1]->id > s->id) {
		p11.slots[i] = p11.slots[i - 1];
		i--;
	}
	p11.slots[i] = s;
	p11.nslots++;
	return 0;
}

static void table_remove(size_t i)
{
	memmove(&p11.slots[i], &p11.slots[i + 1], (p11.nslots - i - 1) * sizeof(*p11.slots));
	p11.nslots--;
}

static void bury(struct p11_slot *s)
{
	struct p11_slot **n = realloc(gone, (ngone + 1) * sizeof(*n));
	s->state = P11_SLOT_GONE;
	p11_slot_logout(s);
	if (!n) {
		/* Cannot track it: leak rather than free under a session's feet. */
		return;
	}
	gone = n;
	gone[ngone++] = s;
}

/* Under p11.lock: makes the table match the token directories. */
static void slots_rescan(void)
{
	struct p11_store_entry *e;
	size_t n;
	if (p11_store_scan(p11.cfg.tokendir, &e, &n)) {
		p11_log(P11_LOG_WARNING, "%s: cannot list tokens", p11.cfg.tokendir);
		return;
	}
	/* Tokens that vanished, and the empty slot (rebuilt below). */
	for (size_t i = p11.nslots; i-- > 0;) {
		struct p11_slot *s = p11.slots[i];
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			found = strcmp(e[j].name, s->name) == 0;
		if (s->state == P11_SLOT_EMPTY) {
			table_remove(i);
			slot_free(s);
		} else if (!found) {
			table_remove(i);
			bury(s);
		}
	}
	CK_SLOT_ID next = 0;
	for (size_t j = 0; j < n; j++) {
		bool known = false;
		for (size_t i = 0; i < p11.nslots && !known; i++)
			known = strcmp(p11.slots[i]->name, e[j].name) == 0;
		if (e[j].id >= next)
			next = e[j].id + 1;
		if (known)
			continue;
		bool dup = false;
		for (size_t i = 0; i < p11.nslots && !dup; i++)
			dup = p11.slots[i]->id == e[j].id;
		if (dup) {
			p11_log(P11_LOG_WARNING, "%s/%s: slot ID %lu used twice; ignored",
				p11.cfg.tokendir, e[j].name, e[j].id);
			continue;
		}
		struct p11_slot *s = slot_new(e[j].id);
		if (!s)
			break;
		slot_attach(s, e[j].name);
		if (table_insert(s))
			slot_free(s);
	}
	free(e);
	struct p11_slot *empty = slot_new(next);
	if (empty && table_insert(empty))
		slot_free(empty);
}

void p11_slot_refresh(struct p11_slot *s)
{
	struct p11_stamp st;
	if (s->state == P11_SLOT_EMPTY || s->state == P11_SLOT_GONE)
		return;
	if (p11_store_stat(s->path, &st) != 0) {
		slots_rescan(); /* deleted, or being replaced: the directory decides */
		return;
	}
	if (!p11_stamp_equal(&st, &s->stamp))
		slot_load(s);
}

struct p11_slot *p11_slot_find(CK_SLOT_ID id)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p11.nslots; i++)
			if (p11.slots[i]->id == id) {
				p11_slot_refresh(p11.slots[i]);
				if (p11.slots[i]->state != P11_SLOT_GONE)
					return p11.slots[i];
			}
		if (pass == 0)
			slots_rescan();
	}
	return NULL;
}

void p11_slots_free(void)
{
	for (size_t i = 0; i < p11.nslots; i++)
		slot_free(p11.slots[i]);
	for (size_t i = 0; i < ngone; i++)
		slot_free(gone[i]);
	free(p11.slots);
	free(gone);
	p11.slots = NULL;
	p11.nslots = 0;
	gone = NULL;
	ngone = 0;
}

CK_RV p11_slots_init(void)
{
	slots_rescan();
	return p11.nslots ? CKR_OK : CKR_HOST_MEMORY;
}

/* ---- entry points ---- */

P11_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	P11_LOCK();
	slots_rescan();
	for (size_t i = 0; i < p11.nslots; i++)
		p11_slot_refresh(p11.slots[i]);
	/* Every listed slot holds a token (the empty slot an uninitialized one), so
	 * tokenPresent filters nothing out. */
	(void)tokenPresent;
	rv = p11_out_len(pSlotList, pulCount, p11.nslots);
	if (rv == CKR_OK)
		for (size_t i = 0; i < p11.nslots; i++)
			pSlotList[i] = p11.slots[i]->id;
	P11_UNLOCK();
	if (rv == P11_RV_LENGTH_ONLY)
		rv = CKR_OK;
out:
	p11_leave();
	return rv;
}

static void version(CK_VERSION *v)
{
	v->major = P11_VERSION_MAJOR;
	v->minor = P11_VERSION_MINOR;
}

P11_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	char desc[64];
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	P11_LOCK();
	struct p11_slot *s = p11_slot_find(slotID);
	if (!s) {
		rv = CKR_SLOT_ID_INVALID;
	} else {
		snprintf(desc, sizeof(desc), "fhsm slot %lu", slotID);
		p11_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription), desc);
		p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), P11_MANUFACTURER);
		pInfo->flags = CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE;
		version(&pInfo->hardwareVersion);
		version(&pInfo->firmwareVersion);
	}
	P11_UNLOCK();
out:
	p11_leave();
	return rv;
}

/* Free space of the file system that holds (or will hold) the token directory. */
static void memory_figures(CK_TOKEN_INFO *ti)
{
	char path[PATH_MAX];
	struct statvfs vfs;
	snprintf(path, sizeof(path), "%s", p11.cfg.tokendir);
	for (;;) {
		if (statvfs(path, &vfs) == 0) {
			ti->ulTotalPublicMemory = ti->ulTotalPrivateMemory = vfs.f_blocks * vfs.f_frsize;
			ti->ulFreePublicMemory = ti->ulFreePrivateMemory = vfs.f_bavail * vfs.f_frsize;
			return;
		}
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
	}
	ti->ulTotalPublicMemory = ti->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	ti->ulFreePublicMemory = ti->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
}

P11_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	char utc[17];
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	P11_LOCK();
	struct p11_slot *s = p11_slot_find(slotID);
	if (!s) {
		rv = CKR_SLOT_ID_INVALID;
	} else if (s->state == P11_SLOT_BAD) {
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	} else {
		memset(pInfo, 0, sizeof(*pInfo));
		p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), P11_MANUFACTURER);
		p11_pad(pInfo->model, sizeof(pInfo->model), P11_MODEL);
		pInfo->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_RESTORE_KEY_NOT_NEEDED | CKF_CLOCK_ON_TOKEN;
		if (s->state == P11_SLOT_TOKEN) {
			memcpy(pInfo->label, s->meta.label, sizeof(pInfo->label));
			p11_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), s->meta.serial);
			pInfo->flags |= CKF_TOKEN_INITIALIZED |
					p11_token_pin_flags(&s->meta, p11.cfg.pin_retry_limit);
			if (s->meta.user_pin_set)
				pInfo->flags |= CKF_USER_PIN_INITIALIZED;
		} else {
			p11_pad(pInfo->label, sizeof(pInfo->label), "");
			p11_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), "");
		}
		pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
		pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
		pInfo->ulSessionCount = s->sessions;
		pInfo->ulRwSessionCount = s->rw_sessions;
		pInfo->ulMaxPinLen = p11.cfg.pin_max_len;
		pInfo->ulMinPinLen = p11.cfg.pin_min_len;
		memory_figures(pInfo);
		version(&pInfo->hardwareVersion);
		version(&pInfo->firmwareVersion);
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(utc, sizeof(utc), "%Y%m%d%H%M%S00", &tm);
		memcpy(pInfo->utcTime, utc, sizeof(pInfo->utcTime));
	}
	P11_UNLOCK();
out:
	p11_leave();
	return rv;
}

static bool slot_exists(CK_SLOT_ID id)
{
	P11_LOCK();
	bool found = p11_slot_find(id) != NULL;
	P11_UNLOCK();
	return found;
}

P11_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
				    CK_ULONG_PTR pulCount)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!slot_exists(slotID)) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	size_t n = p11_mech_count();
	rv = p11_out_len(pMechanismList, pulCount, n);
	if (rv == CKR_OK)
		for (size_t i = 0; i < n; i++)
			pMechanismList[i] = p11_mech_at(i)->type;
	if (rv == P11_RV_LENGTH_ONLY)
		rv = CKR_OK;
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
				    CK_MECHANISM_INFO_PTR pInfo)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	const struct p11_mech *m = p11_mech_find(type);
	if (!slot_exists(slotID)) {
		rv = CKR_SLOT_ID_INVALID;
	} else if (!m) {
		rv = CKR_MECHANISM_INVALID;
	} else {
		pInfo->ulMinKeySize = m->min_key;
		pInfo->ulMaxKeySize = m->max_key;
		pInfo->flags = m->flags;
	}
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
			     CK_UTF8CHAR_PTR pLabel)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	/* No protected authentication path: the PIN must be given. */
	if (!pPin || !pLabel) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	P11_LOCK();
	struct p11_slot *s = p11_slot_find(slotID);
	if (!s)
		rv = CKR_SLOT_ID_INVALID;
	else if (s->state == P11_SLOT_BAD)
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	else if (s->sessions > 0)
		rv = CKR_SESSION_EXISTS;
	if (rv != CKR_OK) {
		P11_UNLOCK();
		goto out;
	}

	if (s->state == P11_SLOT_EMPTY) {
		/* A new token. The table lock stays held: a rescan would otherwise rebuild
		 * the empty slot under our feet. Initialization is rare; the wait is fine. */
		rv = p11_token_init(s, pPin, ulPinLen, pLabel);
		if (rv == CKR_OK) {
			/* The empty slot becomes the token's slot; rescanning adds the next empty one. */
			slot_attach(s, s->name);
		} else if (rv == CKR_SLOT_ID_INVALID) {
			p11_log(P11_LOG_WARNING,
				"slot %lu: another process initialized a token here first", slotID);
			rv = CKR_FUNCTION_FAILED;
		}
		slots_rescan();
		P11_UNLOCK();
	} else {
		/* Re-initialization: the slot stays in the table, so only its op_lock is needed. */
		P11_UNLOCK();
		p11_mutex_lock(s->op_lock);
		rv = p11_token_init(s, pPin, ulPinLen, pLabel);
		p11_mutex_unlock(s->op_lock);
		P11_LOCK();
		p11_slot_logout(s);
		p11_slot_refresh(s);
		P11_UNLOCK();
	}
	if (rv == CKR_OK)
		p11_log(P11_LOG_INFO, "slot %lu: token initialized", slotID);
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	struct p11_session *sess;
	uint8_t mk[P11_MK_LEN], epoch[P11_EPOCH_LEN];
	CK_RV rv = p11_enter_session(hSession, &sess);
	if (rv != CKR_OK)
		return rv;
	if (!pPin) {
		rv = CKR_ARGUMENTS_BAD;
		goto put;
	}
	P11_LOCK();
	if (p11_session_state(sess) != CKS_RW_SO_FUNCTIONS)
		rv = CKR_USER_NOT_LOGGED_IN;
	memcpy(mk, sess->slot->mk, sizeof(mk));
	memcpy(epoch, sess->slot->login_epoch, sizeof(epoch));
	P11_UNLOCK();
	if (rv == CKR_OK) {
		p11_mutex_lock(sess->slot->op_lock);
		rv = p11_token_init_pin(sess->slot, mk, epoch, pPin, ulPinLen);
		p11_mutex_unlock(sess->slot->op_lock);
		P11_LOCK();
		p11_slot_refresh(sess->slot);
		P11_UNLOCK();
	}
	fhsm_wipe(mk, sizeof(mk));
put:
	p11_leave_session(sess);
	return rv;
}

P11_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
			  CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	struct p11_session *sess;
	CK_RV rv = p11_enter_session(hSession, &sess);
	if (rv != CKR_OK)
		return rv;
	if (!pOldPin || !pNewPin) {
		rv = CKR_ARGUMENTS_BAD;
		goto put;
	}
	P11_LOCK();
	CK_STATE state = p11_session_state(sess);
	P11_UNLOCK();
	/* RW public or RW user session: the user's PIN; RW SO session: the SO's. */
	if (!(sess->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto put;
	}
	p11_mutex_lock(sess->slot->op_lock);
	rv = p11_token_set_pin(sess->slot, state == CKS_RW_SO_FUNCTIONS ? P11_ROLE_SO : P11_ROLE_USER,
			       pOldPin, ulOldLen, pNewPin, ulNewLen);
	p11_mutex_unlock(sess->slot->op_lock);
	P11_LOCK();
	p11_slot_refresh(sess->slot);
	P11_UNLOCK();
put:
	p11_leave_session(sess);
	return rv;
}

P11_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pSlot || pReserved)
		rv = CKR_ARGUMENTS_BAD;
	else if (flags & CKF_DONT_BLOCK)
		rv = CKR_NO_EVENT;
	else
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	p11_leave();
	return rv;
}
