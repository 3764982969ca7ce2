/* Object management: C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize,
 * C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit, C_FindObjects,
 * C_FindObjectsFinal. The rules live in attr.c, the storage in objset.c and objlog.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "objset.h"
#include "fhsm/cipher.h"
#include "pk.h"

/* One object call: what it may do, captured under p11.lock, then p11.obj_lock held. */
struct call {
	struct p11_session *s;
	struct p11_slot *slot;
	bool rw, user, so;
	uint8_t mk[P11_MK_LEN];
	struct p11_objctx ctx;
};

/* hot: the lookup of key `key` for a cryptographic operation. It skips re-reading
 * token.meta (one system call): the object log's own stat still shows keys that other
 * processes destroyed, and a token re-initialized elsewhere removes that log. When the
 * key is a session object it skips that stat too, since only token objects change under
 * another process; that stat was a third of an HMAC over 64 bytes.
 * session_only: a call that creates a session object and reads no token object (a
 * generated or derived session key) skips both system calls: two stat()s were a fifth
 * of an ECDH derive once the point multiplication took 60 us. */
static CK_RV begin_ex(struct p11_session *s, struct call *c, bool hot, CK_OBJECT_HANDLE key, bool session_only)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->slot = s->slot;
	P11_LOCK();
	if (!hot && !session_only)
		p11_slot_refresh(c->slot);
	CK_RV rv = c->slot->state == P11_SLOT_TOKEN ? CKR_OK
		 : c->slot->state == P11_SLOT_GONE  ? CKR_DEVICE_REMOVED
						    : CKR_TOKEN_NOT_RECOGNIZED;
	c->rw = s->flags & CKF_RW_SESSION;
	c->user = c->slot->login == CKU_USER;
	c->so = c->slot->login == CKU_SO;
	if (c->user || c->so) {
		memcpy(c->mk, c->slot->mk, P11_MK_LEN);
		c->ctx.mk = c->mk;
	}
	memcpy(c->ctx.epoch, c->slot->meta.epoch, P11_EPOCH_LEN);
	memcpy(c->ctx.serial, c->slot->meta.serial, sizeof(c->ctx.serial));
	p11_mutex_lock(p11.obj_lock);
	P11_UNLOCK();
	const struct p11_object *o = hot ? p11_object_by_handle(key) : NULL;
	bool session_key = o && !o->token && o->slot == c->slot;
	if (rv == CKR_OK && !session_key && !session_only)
		rv = p11_objlog_sync(c->slot, &c->ctx);
	if (rv != CKR_OK) {
		p11_mutex_unlock(p11.obj_lock);
		fhsm_wipe(c->mk, sizeof(c->mk));
	}
	return rv;
}

static CK_RV begin(struct p11_session *s, struct call *c)
{
	return begin_ex(s, c, false, CK_INVALID_HANDLE, false);
}

static void end(struct call *c)
{
	p11_mutex_unlock(p11.obj_lock);
	fhsm_wipe(c->mk, sizeof(c->mk));
}

static bool visible(const struct call *c, const struct p11_object *o)
{
	return o && o->ready && o->slot == c->slot && (!o->priv || c->user);
}

static CK_RV lookup(const struct call *c, CK_OBJECT_HANDLE h, struct p11_object **out)
{
	struct p11_object *o = p11_object_by_handle(h);
	if (!visible(c, o))
		return CKR_OBJECT_HANDLE_INVALID;
	*out = o;
	return CKR_OK;
}

/* May this call store an object with these attributes? */
static CK_RV may_store(const struct call *c, const struct p11_attrs *a)
{
	if (p11_attrs_bool(a, CKA_TOKEN, false) && !c->rw)
		return CKR_SESSION_READ_ONLY;
	if (p11_attrs_bool(a, CKA_PRIVATE, false) && !c->user)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

static CK_RV may_change(const struct call *c, const struct p11_object *o)
{
	return o->token && !c->rw ? CKR_SESSION_READ_ONLY : CKR_OK;
}

static CK_RV with_unique_id(struct p11_attrs **a, uint64_t uid)
{
	char id[24];
	struct p11_attr items[64];
	if ((*a)->n >= 64)
		return CKR_GENERAL_ERROR;
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)uid);
	for (size_t i = 0; i < (*a)->n; i++) {
		items[i] = (*a)->a[i];
		if (items[i].type == CKA_UNIQUE_ID) {
			items[i].val = (uint8_t *)id;
			items[i].len = strlen(id);
		}
	}
	struct p11_attrs *n = p11_attrs_new(items, (*a)->n);
	if (!n)
		return CKR_HOST_MEMORY;
	p11_attrs_free(*a);
	*a = n;
	return CKR_OK;
}

/* Stores a new object built from a (taken) and returns its handle. */
static CK_RV store_new(struct call *c, struct p11_attrs *a, CK_OBJECT_HANDLE_PTR ph)
{
	uint64_t uid;
	CK_RV rv = may_store(c, a);
	if (rv == CKR_OK)
		rv = p11_rv_from_fhsm(fhsm_random(&uid, sizeof(uid)));
	if (rv == CKR_OK)
		rv = with_unique_id(&a, uid);
	if (rv != CKR_OK) {
		p11_attrs_free(a);
		return rv;
	}
	if (p11_attrs_bool(a, CKA_TOKEN, false)) {
		rv = p11_objlog_put(c->slot, &c->ctx, uid, a);
		p11_attrs_free(a);
		struct p11_object *o = rv == CKR_OK ? p11_objset_by_uid(c->slot->objs, uid) : NULL;
		if (rv == CKR_OK && !visible(c, o))
			rv = CKR_GENERAL_ERROR;
		if (rv == CKR_OK)
			*ph = o->handle;
		return rv;
	}
	struct p11_object *o = calloc(1, sizeof(*o));
	if (!o) {
		p11_attrs_free(a);
		return CKR_HOST_MEMORY;
	}
	o->slot = c->slot;
	o->session = c->s;
	o->uid = uid;
	o->attrs = a;
	o->ready = true;
	o->cls = p11_attrs_ulong(a, CKA_CLASS, 0);
	o->priv = p11_attrs_bool(a, CKA_PRIVATE, false);
	rv = p11_objset_add(c->slot->objs, o);
	if (rv != CKR_OK) {
		p11_object_free(o);
	} else {
		c->s->nobjs++;
		*ph = o->handle;
	}
	return rv;
}

P11_EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
				CK_OBJECT_HANDLE_PTR phObject)
{
	struct p11_session *s;
	struct call c;
	struct p11_attrs *a;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!phObject || (!pTemplate && ulCount)) {
		rv = CKR_ARGUMENTS_BAD;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = p11_attrs_build(P11_OP_CREATE, pTemplate, ulCount, NULL, c.so, &a);
		if (rv == CKR_OK)
			rv = store_new(&c, a, phObject);
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
			      CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject)
{
	struct p11_session *s;
	struct p11_object *o;
	struct call c;
	struct p11_attrs *a;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!phNewObject || (!pTemplate && ulCount)) {
		rv = CKR_ARGUMENTS_BAD;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = lookup(&c, hObject, &o);
		if (rv == CKR_OK && !p11_attrs_bool(o->attrs, CKA_COPYABLE, true))
			rv = CKR_ACTION_PROHIBITED;
		if (rv == CKR_OK && o->sealed && !c.ctx.mk)
			rv = CKR_USER_NOT_LOGGED_IN; /* its protected values are still sealed */
		if (rv == CKR_OK)
			rv = p11_attrs_build(P11_OP_COPY, pTemplate, ulCount, o->attrs, c.so, &a);
		if (rv == CKR_OK)
			rv = store_new(&c, a, phNewObject);
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	struct p11_session *s;
	struct p11_object *o;
	struct call c;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if ((rv = begin(s, &c)) == CKR_OK) {
		rv = lookup(&c, hObject, &o);
		if (rv == CKR_OK && !p11_attrs_bool(o->attrs, CKA_DESTROYABLE, true))
			rv = CKR_ACTION_PROHIBITED;
		if (rv == CKR_OK)
			rv = may_change(&c, o);
		if (rv == CKR_OK) {
			if (o->token) {
				rv = p11_objlog_del(c.slot, &c.ctx, o);
			} else {
				o->session->nobjs--;
				p11_objset_remove(c.slot->objs, o);
			}
		}
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
	struct p11_session *s;
	struct p11_object *o;
	struct call c;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pulSize) {
		rv = CKR_ARGUMENTS_BAD;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = lookup(&c, hObject, &o);
		if (rv == CKR_OK)
			*pulSize = p11_attrs_size(o->attrs);
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
				     CK_ULONG ulCount)
{
	struct p11_session *s;
	struct p11_object *o;
	struct call c;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = lookup(&c, hObject, &o);
		if (rv == CKR_OK)
			rv = p11_attrs_get(o->attrs, pTemplate, ulCount);
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
				     CK_ULONG ulCount)
{
	struct p11_session *s;
	struct p11_object *o;
	struct call c;
	struct p11_attrs *a;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = lookup(&c, hObject, &o);
		if (rv == CKR_OK && !p11_attrs_bool(o->attrs, CKA_MODIFIABLE, true))
			rv = CKR_ACTION_PROHIBITED;
		if (rv == CKR_OK)
			rv = may_change(&c, o);
		if (rv == CKR_OK && o->sealed && !c.ctx.mk)
			rv = CKR_USER_NOT_LOGGED_IN;
		if (rv == CKR_OK)
			rv = p11_attrs_modify(o->attrs, pTemplate, ulCount, c.so, &a);
		if (rv == CKR_OK && o->token) {
			rv = p11_objlog_put(c.slot, &c.ctx, o->uid, a);
			p11_attrs_free(a);
		} else if (rv == CKR_OK) {
			rv = p11_objset_update(c.slot->objs, o, a);
		}
		end(&c);
	}
	p11_leave_session(s);
	return rv;
}

/* ---- for the mechanisms ---- */
static bool mech_allowed(const struct p11_attrs *a, CK_MECHANISM_TYPE mech)
{
	const struct p11_attr *x = p11_attrs_find(a, CKA_ALLOWED_MECHANISMS);
	if (!x || x->len == 0 || mech == P11_ANY)
		return true;
	for (size_t i = 0; i + sizeof(CK_MECHANISM_TYPE) <= x->len; i += sizeof(CK_MECHANISM_TYPE)) {

		CK_MECHANISM_TYPE t;
		memcpy(&t, x->val + i, sizeof(t));
		if (t == mech)
			return true;
	}
	return false;
}

void p11_keyref_put(struct p11_keyref *r)
{
	if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		r->free(r->key);
		free(r);
	}
}

static void rsa_free(void *k)
{
	fhsm_rsa_free(k);
}

static void hmac_free(void *k)
{
	fhsm_mac_key_free(k);
}

/* Under obj_lock: o's key prepared for `use` (P11_PREP_RSA, P11_PREP_HMAC + hash),
 * made now if it has none or one for another use (the hash of an HMAC key may
 * change from one operation to the next: the last one is kept). */
static CK_RV cached_prep(struct p11_object *o, int use, struct p11_keyref **ref)
{
	if (!o->prep || o->prep->use != use) {
		void *k;
		void (*release)(void *) = use == P11_PREP_RSA ? rsa_free : hmac_free;
		CK_RV rv;
		if (use == P11_PREP_RSA) {
			rv = p11_rsa_key(o->attrs, o->cls == CKO_PRIVATE_KEY, (fhsm_rsa_key **)&k);
		} else {
			const struct p11_attr *v = p11_attrs_find(o->attrs, CKA_VALUE);
			rv = v ? p11_rv_from_fhsm(fhsm_mac_key_new(FHSM_MAC_HMAC, use - P11_PREP_HMAC, v->val, v->len,
								   (fhsm_mac_key **)&k))
			       : CKR_KEY_SIZE_RANGE;
		}
		if (rv != CKR_OK)
			return rv;
		struct p11_keyref *r = calloc(1, sizeof(*r));
		if (!r) {
			release(k);
			return CKR_HOST_MEMORY;
		}
		*r = (struct p11_keyref){k, release, 1, use};
		p11_keyref_put(o->prep); /* operations holding the old one keep it */
		o->prep = r;
	}
	__atomic_add_fetch(&o->prep->refs, 1, __ATOMIC_ACQ_REL);
	*ref = o->prep;
	return CKR_OK;
}

/* What key_for hands back. */
enum key_want {
	KEY_ATTRS,   /* a copy of every attribute */
	KEY_VALUE,   /* a copy of CKA_VALUE and CKA_KEY_TYPE, what a secret-key mechanism reads */
	KEY_RSA,     /* every attribute, and an RSA key's cached parsed form */
	KEY_HMAC,    /* no copy: the cached HMAC states of a key that fits the mechanism */
};
static CK_RV key_for(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, const struct p11_mech *m,
		     CK_MECHANISM_TYPE mech, enum key_want want, struct p11_attrs **out, struct p11_keyref **ref);

CK_RV p11_key_for_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech,
		     struct p11_attrs **out)
{
	return key_for(s, h, usage, NULL, mech, KEY_ATTRS, out, NULL);
}

CK_RV p11_key_value_for_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage,
			   CK_MECHANISM_TYPE mech, struct p11_attrs **out)
{
	return key_for(s, h, usage, NULL, mech, KEY_VALUE, out, NULL);
}

CK_RV p11_key_for_hmac_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage,
			  const struct p11_mech *m, struct p11_keyref **ref)
{
	return key_for(s, h, usage, m, m->type, KEY_HMAC, NULL, ref);
}

CK_RV p11_key_for_pk_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech,
			struct p11_attrs **out, struct p11_keyref **ref)
{
	return key_for(s, h, usage, NULL, mech, KEY_RSA, out, ref);
}

/* The key for an operation, after the checks every *Init makes (visible, a key,
 * usage allowed, unsealed, mechanism allowed), as `want` says. Copying only
 * what is read, or nothing, matters for short MACs: copying all attributes
 * was a measurable share of one. */
static CK_RV key_for(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, const struct p11_mech *m,
		     CK_MECHANISM_TYPE mech, enum key_want want, struct p11_attrs **out, struct p11_keyref **ref)
{
	struct call c;
	CK_RV rv = begin_ex(s, &c, true, h, false);
	if (rv != CKR_OK)
		return rv;
	struct p11_object *o = p11_object_by_handle(h);
	if (!visible(&c, o) || (o->cls != CKO_SECRET_KEY && o->cls != CKO_PRIVATE_KEY && o->cls != CKO_PUBLIC_KEY))
		rv = CKR_KEY_HANDLE_INVALID;
	else if (usage != P11_ANY && !p11_attrs_bool(o->attrs, usage, false))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	else if (o->sealed && !c.ctx.mk)
		rv = CKR_USER_NOT_LOGGED_IN; /* its values are still sealed */
	else if (!mech_allowed(o->attrs, mech))
		rv = CKR_MECHANISM_INVALID;
	else if (want == KEY_HMAC) {
		if ((rv = p11_key_fits(o->attrs, m, NULL)) == CKR_OK)
			rv = cached_prep(o, P11_PREP_HMAC + m->hash, ref);
	} else if (want == KEY_VALUE) {
		struct p11_attr pick[2]; /* in type order, as attribute sets are kept */
		size_t n = 0;
		const struct p11_attr *v = p11_attrs_find(o->attrs, CKA_VALUE), *t = p11_attrs_find(o->attrs, CKA_KEY_TYPE);
		if (v)
			pick[n++] = *v;
		if (t)
			pick[n++] = *t;
		if (!(*out = p11_attrs_new(pick, n)))
			rv = CKR_HOST_MEMORY;
	} else if (!(*out = p11_attrs_new(o->attrs->a, o->attrs->n)))
		rv = CKR_HOST_MEMORY;
	else if (want == KEY_RSA && p11_attrs_ulong(o->attrs, CKA_KEY_TYPE, 0) == CKK_RSA)
		rv = cached_prep(o, P11_PREP_RSA, ref);
	end(&c);
	return rv;
}

CK_RV p11_object_create(struct p11_session *s, struct p11_attrs *a, CK_OBJECT_HANDLE_PTR ph)
{
	struct call c;
	CK_RV rv = begin_ex(s, &c, false, CK_INVALID_HANDLE, !p11_attrs_bool(a, CKA_TOKEN, false));
	if (rv != CKR_OK) {
		p11_attrs_free(a);
		return rv;
	}
	rv = store_new(&c, a, ph);
	end(&c);
	return rv;
}

void p11_object_destroy(struct p11_session *s, CK_OBJECT_HANDLE h)
{
	struct call c;
	struct p11_object *o;
	if (begin(s, &c) != CKR_OK)
		return;
	if (lookup(&c, h, &o) == CKR_OK) {
		if (o->token) {
			p11_objlog_del(c.slot, &c.ctx, o);
		} else {
			o->session->nobjs--;
			p11_objset_remove(c.slot->objs, o);
		}
	}
	end(&c);
}

bool p11_session_is_so(struct p11_session *s)
{
	P11_LOCK();
	bool so = s->slot->login == CKU_SO;
	P11_UNLOCK();
	return so;
}

/* ---- search ---- */
void p11_find_end(struct p11_find_op *f)
{
	free(f->handles);
	memset(f, 0, sizeof(*f));
}

static CK_RV find_add(struct p11_find_op *f, CK_OBJECT_HANDLE h)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		CK_OBJECT_HANDLE *n = realloc(f->handles, cap * sizeof(*n));
		if (!n)
			return CKR_HOST_MEMORY;
		f->handles = n;
		f->cap = cap;
	}
	f->handles[f->n++] = h;
	return CKR_OK;
}

static CK_RV collect(struct call *c, struct p11_find_op *f, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	size_t count;
	CK_RV rv = CKR_OK;
	struct p11_object *const *cand = p11_objset_candidates(c->slot->objs, t, n, &count);
	if (count != (size_t)-1) {
		for (size_t i = 0; i < count && rv == CKR_OK; i++)
			if (visible(c, cand[i]) && p11_attrs_match(cand[i]->attrs, t, n))
				rv = find_add(f, cand[i]->handle);
		return rv;
	}
	for (int token = 1; token >= 0; token--)
		for (struct p11_object *o = p11_objset_first(c->slot->objs, token); o && rv == CKR_OK; o = o->next)
			if (visible(c, o) && p11_attrs_match(o->attrs, t, n))
				rv = find_add(f, o->handle);
	return rv;
}

P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	struct p11_session *s;
	struct call c;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!pTemplate && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
	} else if (s->find.active) {
		rv = CKR_OPERATION_ACTIVE;
	} else if ((rv = begin(s, &c)) == CKR_OK) {
		rv = collect(&c, &s->find, pTemplate, ulCount);
		end(&c);
		if (rv == CKR_OK)
			s->find.active = true;
		else
			p11_find_end(&s->find);
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
			       CK_ULONG_PTR pulObjectCount)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	struct p11_find_op *f = &s->find;
	if (!pulObjectCount || (!phObject && ulMaxObjectCount)) {
		rv = CKR_ARGUMENTS_BAD;
	} else if (!f->active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		CK_ULONG k = 0;
		while (k < ulMaxObjectCount && f->pos < f->n)
			phObject[k++] = f->handles[f->pos++];
		*pulObjectCount = k;
	}
	p11_leave_session(s);
	return rv;
}

P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	struct p11_session *s;
	CK_RV rv = p11_enter_session(hSession, &s);
	if (rv != CKR_OK)
		return rv;
	if (!s->find.active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	p11_find_end(&s->find);
	p11_leave_session(s);
	return rv;
}

/* ---- life cycle hooks for sessions and login (called under p11.lock) ---- */
static void ctx_of(const struct p11_slot *slot, struct p11_objctx *ctx, const uint8_t *mk)
{
	ctx->mk = mk;
	memcpy(ctx->epoch, slot->meta.epoch, P11_EPOCH_LEN);
	memcpy(ctx->serial, slot->meta.serial, sizeof(ctx->serial));
}

void p11_objects_session_closed(struct p11_session *s)
{
	p11_mutex_lock(p11.obj_lock);
	for (struct p11_object *o = p11_objset_first(s->slot->objs, false), *next; o; o = next) {
		next = o->next;
		if (o->session == s)
			p11_objset_remove(s->slot->objs, o);
	}
	s->nobjs = 0;
	p11_mutex_unlock(p11.obj_lock);
}

void p11_objects_logged_in(struct p11_slot *slot)
{
	struct p11_objctx ctx;
	ctx_of(slot, &ctx, slot->mk);
	p11_mutex_lock(p11.obj_lock);
	if (p11_objlog_sync(slot, &ctx) == CKR_OK)
		p11_objlog_unseal(slot, &ctx);
	p11_mutex_unlock(p11.obj_lock);
}

void p11_objects_logged_out(struct p11_slot *slot)
{
	struct p11_objctx ctx;
	ctx_of(slot, &ctx, NULL);
	p11_mutex_lock(p11.obj_lock);
	p11_objlog_forget_private(slot, &ctx);
	p11_mutex_unlock(p11.obj_lock);
}
