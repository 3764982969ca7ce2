/* Sessions and login: C_OpenSession, C_CloseSession, C_CloseAllSessions,
 * C_GetSessionInfo, C_Login, C_LoginUser, C_Logout, C_SessionCancel.
 *
 * Login state belongs to the token within this process (PKCS#11 §5.6): all
 * sessions of an application on a token share it, and it ends with the last session. */
#include <stdlib.h>
#include <string.h>
#include "p11.h"

#define BUCKETS 1024u

static struct p11_session **bucket(CK_SESSION_HANDLE h)
{
	return &p11.buckets[h % BUCKETS];
}

CK_RV p11_sessions_init(void)
{
	p11.buckets = calloc(BUCKETS, sizeof(*p11.buckets));
	p11.sessions = NULL;
	p11.next_handle = 1;
	return p11.buckets ? CKR_OK : CKR_HOST_MEMORY;
}

static void session_free(struct p11_session *s)
{
	if (s->nobjs)
		p11_objects_session_closed(s); /* one made while another thread closed it */
	p11_digest_end(&s->digest);
	p11_find_end(&s->find);
	p11_op_end(&s->enc);
	p11_op_end(&s->dec);
	p11_op_end(&s->sign);
	p11_op_end(&s->verify);
	p11_mutex_free(s->lock);
	fhsm_wipe(s, sizeof(*s));
	free(s);
}

/* Under p11.lock: takes s out of the tables and drops the tables' reference;
 * freed now or by its last holder. */
static void session_unlink(struct p11_session *s)
{
	struct p11_session **pp = bucket(s->handle);
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->prev)
		s->prev->next = s->next;
	else
		p11.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	__atomic_store_n(&s->closed, true, __ATOMIC_RELEASE);
	struct p11_slot *slot = s->slot;
	if (s->nobjs)
		p11_objects_session_closed(s);
	slot->sessions--;
	if (s->flags & CKF_RW_SESSION)
		slot->rw_sessions--;
	if (slot->sessions == 0)
		p11_slot_logout(slot);
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		session_free(s);
}

void p11_sessions_free(void)
{
	while (p11.sessions) {
		struct p11_session *s = p11.sessions;
		s->refs = 1; /* C_Finalize: no call holds a session any more */
		session_unlink(s);
	}
	free(p11.buckets);
	p11.buckets = NULL;
}

CK_RV p11_session_get(CK_SESSION_HANDLE h, struct p11_session **out)
{
	P11_LOCK();
	struct p11_session *s = *bucket(h);
	while (s && s->handle != h)
		s = s->hnext;
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED); /* the table's keeps it above 0 */
	P11_UNLOCK();
	if (!s)
		return CKR_SESSION_HANDLE_INVALID;
	p11_mutex_lock(s->lock);
	if (__atomic_load_n(&s->closed, __ATOMIC_ACQUIRE)) {
		p11_session_put(s);
		return CKR_SESSION_HANDLE_INVALID;
	}
	*out = s;
	return CKR_OK;
}

void p11_session_put(struct p11_session *s)
{
	p11_mutex_unlock(s->lock);
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		session_free(s);
}

CK_RV p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **out)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	rv = p11_session_get(h, out);
	if (rv != CKR_OK)
		p11_leave();
	return rv;
}

void p11_leave_session(struct p11_session *s)
{
	p11_session_put(s);
	p11_leave();
}

CK_STATE p11_session_state(const struct p11_session *s)
{
	bool rw = s->flags & CKF_RW_SESSION;
	switch (s->slot->login) {
	case CKU_SO:
		return CKS_RW_SO_FUNCTIONS;
	case CKU_USER:
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	default:
		return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	}
}

P11_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
			       CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!phSession) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	struct p11_session *s = calloc(1, sizeof(*s));
	if (!s || p11_mutex_new(&s->lock) != CKR_OK) {
		free(s);
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	P11_LOCK();
	/* No refresh from disk here: opening a session is a hot path, and a token that
	 * changed meanwhile is noticed by the first call that uses it. */
	struct p11_slot *slot = NULL;
	for (size_t i = 0; i < p11.nslots && !slot; i++)
		if (p11.slots[i]->id == slotID)
			slot = p11.slots[i];
	if (!slot || slot->state != P11_SLOT_TOKEN)
		slot = p11_slot_find(slotID); /* with a refresh: maybe repaired, maybe new */
	if (!slot)
		rv = CKR_SLOT_ID_INVALID;
	else if (slot->state != P11_SLOT_TOKEN)
		rv = CKR_TOKEN_NOT_RECOGNIZED; /* uninitialized or corrupt */
	else if (!(flags & CKF_RW_SESSION) && slot->login == CKU_SO)
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv == CKR_OK) {
		s->handle = p11.next_handle++;
		s->refs = 1; /* the table's */
		s->slot = slot;
		s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
		s->hnext = *bucket(s->handle);
		*bucket(s->handle) = s;
		s->next = p11.sessions;
		if (s->next)
			s->next->prev = s;
		p11.sessions = s;
		slot->sessions++;
		if (flags & CKF_RW_SESSION)
			slot->rw_sessions++;
		*phSession = s->handle;
	}
	P11_UNLOCK();
	if (rv != CKR_OK) {
		p11_mutex_free(s->lock);
		free(s);
	}
out:
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	P11_LOCK();
	session_unlink(s);
	P11_UNLOCK();
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	P11_LOCK();
	bool any = false;
	for (struct p11_session *s = p11.sessions, *next; s; s = next) {
		next = s->next;
		if (s->slot->id == slotID) {
			any = true;
			session_unlink(s);
		}
	}
	if (!any && !p11_slot_find(slotID))
		rv = CKR_SLOT_ID_INVALID;
	P11_UNLOCK();
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pInfo) {
		rv = CKR_ARGUMENTS_BAD;
	} else {
		P11_LOCK();
		pInfo->slotID = s->slot->id;
		pInfo->state = p11_session_state(s);
		pInfo->flags = s->flags;
		pInfo->ulDeviceError = 0;
		P11_UNLOCK();
	}
	p11_leave_session(s);
	return rv;
}

/* Under p11.lock: may this session log userType in now? */
static CK_RV login_allowed(const struct p11_session *s, CK_USER_TYPE userType)
{
	const struct p11_slot *slot = s->slot;
	if (slot->state == P11_SLOT_GONE)
		return CKR_DEVICE_REMOVED;
	if (slot->state != P11_SLOT_TOKEN)
		return CKR_TOKEN_NOT_RECOGNIZED;
	if (slot->login == userType)
		return CKR_USER_ALREADY_LOGGED_IN;
	if (slot->login != P11_NOBODY)
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	if (userType == CKU_SO && slot->sessions > slot->rw_sessions)
		return CKR_SESSION_READ_ONLY_EXISTS;
	if (userType == CKU_USER && !slot->meta.user_pin_set)
		return CKR_USER_PIN_NOT_INITIALIZED;
	return CKR_OK;
}

static CK_RV login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
		   CK_ULONG ulPinLen)
{
	struct p11_session *s;
	struct p11_token_meta meta;
	uint8_t mk[P11_MK_LEN];
	CK_RV rv = p11_session_get(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (userType != CKU_SO && userType != CKU_USER && userType != CKU_CONTEXT_SPECIFIC) {
		rv = CKR_USER_TYPE_INVALID;
		goto put;
	}
	if (!pPin) {
		rv = CKR_ARGUMENTS_BAD; /* no protected authentication path */
		goto put;
	}
	if (userType == CKU_CONTEXT_SPECIFIC) {
		/* No key of this token needs CKA_ALWAYS_AUTHENTICATE yet, so no operation can ask. */
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto put;
	}
	struct p11_slot *slot = s->slot;
	P11_LOCK();
	p11_slot_refresh(slot);
	rv = login_allowed(s, userType);
	P11_UNLOCK();
	if (rv != CKR_OK)
		goto put;

	p11_mutex_lock(slot->op_lock);
	rv = p11_token_login(slot, userType == CKU_SO ? P11_ROLE_SO : P11_ROLE_USER, pPin, ulPinLen,
			     mk, &meta);
	P11_LOCK();
	if (rv == CKR_OK)
		rv = login_allowed(s, userType); /* a session may have opened meanwhile */
	if (rv == CKR_OK) {
		slot->login = userType;
		memcpy(slot->mk, mk, sizeof(mk));
		memcpy(slot->login_epoch, meta.epoch, sizeof(slot->login_epoch));
		p11_objects_logged_in(slot); /* opens the sealed objects */
	}
	p11_slot_refresh(slot);
	P11_UNLOCK();
	p11_mutex_unlock(slot->op_lock);
	fhsm_wipe(mk, sizeof(mk));
	fhsm_wipe(&meta, sizeof(meta));
put:
	p11_session_put(s);
	return rv;
}

P11_EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
			 CK_ULONG ulPinLen)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	rv = login(hSession, userType, pPin, ulPinLen);
	p11_leave();
	return rv;
}

/* fhsm tokens have one user per role, so the user name carries no information. */
P11_EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
			     CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	CK_RV rv = p11_enter();
	if (rv != CKR_OK)
		return rv;
	if (!pUsername && ulUsernameLen)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = login(hSession, userType, pPin, ulPinLen);
	p11_leave();
	return rv;
}

P11_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	P11_LOCK();
	if (s->slot->login == P11_NOBODY)
		rv = CKR_USER_NOT_LOGGED_IN;
	else
		p11_slot_logout(s->slot);
	P11_UNLOCK();
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (flags & CKF_DIGEST)
		p11_digest_end(&s->digest);
	if (flags & CKF_FIND_OBJECTS)
		p11_find_end(&s->find);
	if (flags & CKF_ENCRYPT)
		p11_op_end(&s->enc);
	if (flags & CKF_DECRYPT)
		p11_op_end(&s->dec);
	if (flags & CKF_SIGN)
		p11_op_end(&s->sign);
	if (flags & CKF_VERIFY)
		p11_op_end(&s->verify);
	p11_leave_session(s);
	return rv;
}
