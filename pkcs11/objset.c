/* The objects of one token in memory: a list of token objects, a list of session
 * objects, an index for C_FindObjects, and the module-wide handle table.
 * Everything here runs under p11.obj_lock, which is taken after (inside) p11.lock
 * and never the other way round. */
#include <stdlib.h>
#include <string.h>
#include "objset.h"

/* ---- an index: (attribute type, value) -> the objects that have it ---- */
struct bucket {
	struct bucket *next;
	uint64_t hash;
	CK_ATTRIBUTE_TYPE type;
	CK_ULONG len;
	uint8_t *key;
	struct p11_object **objs;
	size_t n, cap;
};

struct index {
	struct bucket **b;
	size_t nb, entries;
};

static const CK_ATTRIBUTE_TYPE indexed[P11_NINDEX] = {CKA_LABEL, CKA_ID, CKA_CLASS, CKA_KEY_TYPE};
#define UID_TYPE ((CK_ATTRIBUTE_TYPE)-1) /* the uid map shares the index code */

struct p11_objset {
	struct index idx;
	struct index uids;
	struct p11_object *token_objs, *session_objs;
	size_t ntoken;
	struct p11_objlog_view view;
};

static uint64_t fnv1a(CK_ATTRIBUTE_TYPE type, const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL ^ type;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static struct bucket *index_lookup(const struct index *ix, CK_ATTRIBUTE_TYPE type, const void *key, size_t len)
{
	if (!ix->nb)
		return NULL;
	uint64_t h = fnv1a(type, key, len);
	for (struct bucket *b = ix->b[h % ix->nb]; b; b = b->next)
		if (b->hash == h && b->type == type && b->len == len && (!len || !memcmp(b->key, key, len)))
			return b;
	return NULL;
}

static int index_grow(struct index *ix)
{
	size_t nb = ix->nb ? ix->nb * 2 : 256;
	struct bucket **nbk = calloc(nb, sizeof(*nbk));
	if (!nbk)
		return -1;
	for (size_t i = 0; i < ix->nb; i++)
		for (struct bucket *b = ix->b[i], *next; b; b = next) {
			next = b->next;
			b->next = nbk[b->hash % nb];
			nbk[b->hash % nb] = b;
		}
	free(ix->b);
	ix->b = nbk;
	ix->nb = nb;
	return 0;
}

/* Adds o under (type, key); *pos receives its place in the bucket. */
static int index_add(struct index *ix, CK_ATTRIBUTE_TYPE type, const void *key, size_t len,
		     struct p11_object *o, size_t *pos)
{
	struct bucket *b = index_lookup(ix, type, key, len);
	if (!b) {
		if (ix->entries >= ix->nb && index_grow(ix))
			return -1;
		b = calloc(1, sizeof(*b));
		if (!b || !(b->key = malloc(len ? len : 1))) {
			free(b);
			return -1;
		}
		b->hash = fnv1a(type, key, len);
		b->type = type;
		b->len = len;
		if (len)
			memcpy(b->key, key, len);
		b->next = ix->b[b->hash % ix->nb];
		ix->b[b->hash % ix->nb] = b;
		ix->entries++;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 2;
		struct p11_object **n = realloc(b->objs, cap * sizeof(*n));
		if (!n)
			return -1;
		b->objs = n;
		b->cap = cap;
	}
	*pos = b->n;
	b->objs[b->n++] = o;
	return 0;
}

static void index_remove(struct index *ix, CK_ATTRIBUTE_TYPE type, const void *key, size_t len, size_t pos,
			 size_t which)
{
	struct bucket *b = index_lookup(ix, type, key, len);
	if (!b || pos >= b->n)
		return;
	b->objs[pos] = b->objs[--b->n]; /* swap-remove: O(1) */
	if (pos < b->n && which < P11_NINDEX)
		b->objs[pos]->idx_pos[which] = pos;
	if (b->n == 0) {
		struct bucket **pp = &ix->b[b->hash % ix->nb];
		while (*pp != b)
			pp = &(*pp)->next;
		*pp = b->next;
		free(b->objs);
		free(b->key);
		free(b);
		ix->entries--;
	}
}

static void index_free(struct index *ix)
{
	for (size_t i = 0; i < ix->nb; i++)
		for (struct bucket *b = ix->b[i], *next; b; b = next) {
			next = b->next;
			free(b->objs);
			free(b->key);
			free(b);
		}
	free(ix->b);
	memset(ix, 0, sizeof(*ix));
}

/* ---- handles: never reused within a process, so a stale handle is simply invalid ---- */
static struct p11_object **handles;
static size_t handles_cap;
static CK_OBJECT_HANDLE next_handle = 1;

static CK_RV handle_assign(struct p11_object *o)
{
	if (next_handle >= handles_cap) {
		size_t cap = handles_cap ? handles_cap * 2 : 1024;
		struct p11_object **n = realloc(handles, cap * sizeof(*n));
		if (!n)
			return CKR_HOST_MEMORY;
		memset(n + handles_cap, 0, (cap - handles_cap) * sizeof(*n));
		handles = n;
		handles_cap = cap;
	}
	o->handle = next_handle++;
	handles[o->handle] = o;
	return CKR_OK;
}

static void handle_release(struct p11_object *o)
{
	if (o->handle && o->handle < handles_cap)
		handles[o->handle] = NULL;
	o->handle = CK_INVALID_HANDLE;
}

struct p11_object *p11_object_by_handle(CK_OBJECT_HANDLE h)
{
	return h < handles_cap ? handles[h] : NULL;
}

void p11_handles_reset(void)
{
	free(handles);
	handles = NULL;
	handles_cap = 0;
	next_handle = 1;
}

/* ---- the set ---- */
struct p11_objset *p11_objset_new(void)
{
	return calloc(1, sizeof(struct p11_objset));
}

struct p11_objlog_view *p11_objset_view(struct p11_objset *set)
{
	return &set->view;
}

static void unindex(struct p11_objset *set, struct p11_object *o)
{
	if (!o->indexed)
		return;
	for (size_t k = 0; k < P11_NINDEX; k++) {
		const struct p11_attr *x = p11_attrs_find(o->attrs, indexed[k]);
		if (x)
			index_remove(&set->idx, indexed[k], x->val, x->len, o->idx_pos[k], k);
	}
	o->indexed = false;
}

/* A ready object gets a handle (unless it has one) and its index entries. */
static CK_RV make_visible(struct p11_objset *set, struct p11_object *o)
{
	if (!o->ready || o->indexed)
		return CKR_OK;
	CK_RV rv = o->handle ? CKR_OK : handle_assign(o);
	if (rv != CKR_OK)
		return rv;
	for (size_t k = 0; k < P11_NINDEX; k++) {
		const struct p11_attr *x = p11_attrs_find(o->attrs, indexed[k]);
		if (x && index_add(&set->idx, indexed[k], x->val, x->len, o, &o->idx_pos[k])) {
			/* Out of memory halfway: take back what was added. */
			for (size_t j = 0; j < k; j++) {
				const struct p11_attr *y = p11_attrs_find(o->attrs, indexed[j]);
				if (y)
					index_remove(&set->idx, indexed[j], y->val, y->len, o->idx_pos[j], j);
			}
			handle_release(o);
			return CKR_HOST_MEMORY;
		}
	}
	o->indexed = true;
	return CKR_OK;
}

static void list_link(struct p11_object **head, struct p11_object *o)
{
	o->prev = NULL;
	o->next = *head;
	if (*head)
		(*head)->prev = o;
	*head = o;
}

static void list_unlink(struct p11_object **head, struct p11_object *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		*head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	o->next = o->prev = NULL;
}

void p11_object_free(struct p11_object *o)
{
	if (!o)
		return;
	p11_keyref_put(o->prep);
	p11_attrs_free(o->attrs);
	free(o->sealed);
	free(o);
}

CK_RV p11_objset_add(struct p11_objset *set, struct p11_object *o)
{
	size_t pos;
	CK_RV rv = make_visible(set, o);
	if (rv != CKR_OK)
		return rv;
	if (o->token && index_add(&set->uids, UID_TYPE, &o->uid, sizeof(o->uid), o, &pos)) {
		unindex(set, o);
		handle_release(o);
		return CKR_HOST_MEMORY;
	}
	if (o->token) {
		list_link(&set->token_objs, o);
		set->ntoken++;
	} else {
		list_link(&set->session_objs, o);
	}
	return CKR_OK;
}

void p11_objset_remove(struct p11_objset *set, struct p11_object *o)
{
	unindex(set, o);
	handle_release(o);
	if (o->token) {
		index_remove(&set->uids, UID_TYPE, &o->uid, sizeof(o->uid), 0, P11_NINDEX);
		list_unlink(&set->token_objs, o);
		set->ntoken--;
	} else {
		list_unlink(&set->session_objs, o);
	}
	p11_object_free(o);
}

/* New attributes for o (NULL: not readable now); it keeps its handle while readable. */
CK_RV p11_objset_update(struct p11_objset *set, struct p11_object *o, struct p11_attrs *a)
{
	unindex(set, o);
	p11_keyref_put(o->prep); /* operations holding it keep their reference */
	o->prep = NULL;
	p11_attrs_free(o->attrs);
	o->attrs = a;
	o->ready = a != NULL;
	if (!a) {
		handle_release(o);
		return CKR_OK;
	}
	o->cls = p11_attrs_ulong(a, CKA_CLASS, 0);
	o->priv = p11_attrs_bool(a, CKA_PRIVATE, false);
	return make_visible(set, o);
}

struct p11_object *p11_objset_by_uid(struct p11_objset *set, uint64_t uid)
{
	struct bucket *b = index_lookup(&set->uids, UID_TYPE, &uid, sizeof(uid));
	return b && b->n ? b->objs[0] : NULL;
}

struct p11_object *p11_objset_first(struct p11_objset *set, bool token)
{
	return token ? set->token_objs : set->session_objs;
}

size_t p11_objset_count(const struct p11_objset *set)
{
	return set->ntoken;
}

/* The smallest candidate list the index offers for a template; NULL: no indexed attribute. */
struct p11_object *const *p11_objset_candidates(struct p11_objset *set, const CK_ATTRIBUTE *t, CK_ULONG n,
						size_t *count)
{
	bool any = false;
	struct p11_object *const *best = NULL;
	*count = 0;
	for (CK_ULONG i = 0; i < n; i++)
		for (size_t k = 0; k < P11_NINDEX; k++) {
			if (t[i].type != indexed[k])
				continue;
			struct bucket *b = index_lookup(&set->idx, t[i].type, t[i].pValue, t[i].ulValueLen);
			size_t c = b ? b->n : 0;
			if (!any || c < *count) {
				best = b ? b->objs : NULL;
				*count = c;
			}
			any = true;
		}
	if (!any) {
		*count = (size_t)-1;
		return NULL;
	}
	return best;
}

void p11_objset_free(struct p11_objset *set)
{
	if (!set)
		return;
	while (set->token_objs)
		p11_objset_remove(set, set->token_objs);
	while (set->session_objs)
		p11_objset_remove(set, set->session_objs);
	index_free(&set->idx);
	index_free(&set->uids);
	free(set);
}

void p11_objset_wipe(struct p11_objset *set)
{
	for (int token = 0; set && token < 2; token++)
		for (struct p11_object *o = token ? set->token_objs : set->session_objs; o; o = o->next)
			if (o->attrs)
				fhsm_wipe(o->attrs, p11_attrs_size(o->attrs));
}
