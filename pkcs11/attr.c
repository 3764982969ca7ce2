/* Attribute sets: building one from a template under the rules of attr_rules.c,
 * changing one, reading one out (C_GetAttributeValue), matching one (C_FindObjects). */
#include <stdlib.h>
#include <string.h>
#include "object.h"

#define MAX_RULES 64

/* ---- the immutable attribute block ---- */
static int cmp_attr(const void *x, const void *y)
{
	const struct p11_attr *a = x, *b = y;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* By type. The sets met per operation are small and almost in order (a stored
 * object's copy is in order; a new key is a template followed by a few defaults),
 * where insertion sort costs a few compares per attribute and glibc's qsort ~200
 * instructions per attribute (a quarter of C_DeriveKey's time outside ECDH
 * itself, callgrind). A template yields at most MAX_RULES attributes; a longer
 * set (a record read from disk) goes to qsort, so the worst case stays n log n. */
static void sort_attrs(struct p11_attr *v, size_t n)
{
	if (n > MAX_RULES) {
		qsort(v, n, sizeof(v[0]), cmp_attr);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct p11_attr x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1].type > x.type; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

struct p11_attrs *p11_attrs_new(const struct p11_attr *items, size_t n)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += items[i].len;
	struct p11_attrs *a = malloc(sizeof(*a) + n * sizeof(a->a[0]) + bytes);
	if (!a)
		return NULL;
	a->n = n;
	uint8_t *p = (uint8_t *)&a->a[n];
	for (size_t i = 0; i < n; i++) {
		a->a[i].type = items[i].type;
		a->a[i].len = items[i].len;
		a->a[i].val = p;
		if (items[i].len)
			memcpy(p, items[i].val, items[i].len);
		p += items[i].len;
	}
	sort_attrs(a->a, n);
	return a;
}

struct p11_attrs *p11_attrs_with(struct p11_attrs *a, const struct p11_attr *items, size_t n)
{
	if (!a)
		return NULL;
	struct p11_attr *all = malloc((a->n + n) * sizeof(*all));
	struct p11_attrs *out = NULL;
	if (all) {
		size_t k = 0;
		for (size_t i = 0; i < a->n; i++) {
			bool replaced = false;
			for (size_t j = 0; j < n && !replaced; j++)
				replaced = items[j].type == a->a[i].type;
			if (!replaced)
				all[k++] = a->a[i];
		}
		for (size_t j = 0; j < n; j++)
			all[k++] = items[j];
		out = p11_attrs_new(all, k);
		free(all);
	}
	p11_attrs_free(a);
	return out;
}

size_t p11_attrs_size(const struct p11_attrs *a)
{
	size_t s = sizeof(*a) + a->n * sizeof(a->a[0]);
	for (size_t i = 0; i < a->n; i++)
		s += a->a[i].len;
	return s;
}

void p11_attrs_free(struct p11_attrs *a)
{
	if (!a)
		return;
	fhsm_wipe(a, p11_attrs_size(a)); /* key material lives here */
	free(a);
}

const struct p11_attr *p11_attrs_find(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type)
{
	struct p11_attr key = {type, 0, NULL};
	return a ? bsearch(&key, a->a, a->n, sizeof(a->a[0]), cmp_attr) : NULL;
}

bool p11_attrs_bool(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type, bool dflt)
{
	const struct p11_attr *x = p11_attrs_find(a, type);
	return x && x->len == sizeof(CK_BBOOL) ? x->val[0] != 0 : dflt;
}

CK_ULONG p11_attrs_ulong(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG dflt)
{
	const struct p11_attr *x = p11_attrs_find(a, type);
	CK_ULONG v;
	if (!x || x->len != sizeof(v))
		return dflt;
	memcpy(&v, x->val, sizeof(v));
	return v;
}

static CK_ULONG subtype_of(const struct p11_attrs *a, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE_TYPE t = p11_attr_subtype_attr(cls);
	return t == CKA_CLASS ? 0 : p11_attrs_ulong(a, t, CK_UNAVAILABLE_INFORMATION);
}

bool p11_attrs_is_protected(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type)
{
	CK_OBJECT_CLASS cls = p11_attrs_ulong(a, CKA_CLASS, CK_UNAVAILABLE_INFORMATION);
	const struct p11_attr_rule *r = p11_attr_rule(cls, subtype_of(a, cls), type);
	return r && (r->rules & R_SECRET) &&
	       (p11_attrs_bool(a, CKA_SENSITIVE, true) || !p11_attrs_bool(a, CKA_EXTRACTABLE, false));
}

/* ---- values ---- */

/* Attribute templates (CKA_WRAP_TEMPLATE, ...) are stored flattened:
 * for each attribute its type (8 bytes), length (8 bytes) and value. */
static CK_RV flatten_template(const CK_ATTRIBUTE *t, CK_ULONG len, uint8_t **out, CK_ULONG *out_len)
{
	if (len % sizeof(CK_ATTRIBUTE))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	size_t n = len / sizeof(CK_ATTRIBUTE), total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!t[i].pValue && t[i].ulValueLen)
			return CKR_ARGUMENTS_BAD;
		total += 16 + t[i].ulValueLen;
	}
	uint8_t *buf = malloc(total ? total : 1), *p = buf;
	if (!buf)
		return CKR_HOST_MEMORY;
	for (size_t i = 0; i < n; i++) {
		uint64_t ty = t[i].type, l = t[i].ulValueLen;
		memcpy(p, &ty, 8);
		memcpy(p + 8, &l, 8);
		if (l)
			memcpy(p + 16, t[i].pValue, l);
		p += 16 + l;
	}
	*out = buf;
	*out_len = total;
	return CKR_OK;
}

static size_t flat_count(const uint8_t *p, CK_ULONG len)
{
	size_t n = 0;
	for (CK_ULONG off = 0; off + 16 <= len; n++) {
		uint64_t l;
		memcpy(&l, p + off + 8, 8);
		off += 16 + l;
	}
	return n;
}

static bool date_ok(const uint8_t *v, CK_ULONG len)
{
	if (len == 0)
		return true;
	if (len != sizeof(CK_DATE))
		return false;
	for (int i = 0; i < 8; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static CK_RV check_value(const struct p11_attr_rule *r, const CK_ATTRIBUTE *t)
{
	const uint8_t *v = t->pValue;
	switch (r->kind) {
	case AK_BOOL:
		return t->ulValueLen == sizeof(CK_BBOOL) && v[0] <= 1 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case AK_ULONG:
		return t->ulValueLen == sizeof(CK_ULONG) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case AK_DATE:
		return date_ok(v, t->ulValueLen) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case AK_MECHS:
		return t->ulValueLen % sizeof(CK_MECHANISM_TYPE) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
	case AK_TEMPLATE:
		return t->ulValueLen % sizeof(CK_ATTRIBUTE) ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
	case AK_BYTES:
		return CKR_OK;
	}
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

/* Pointers and duplicates: a type given twice must be given the same value. */
static CK_RV check_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	if (!tmpl && n)
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++) {
		if (!tmpl[i].pValue && tmpl[i].ulValueLen)
			return CKR_ARGUMENTS_BAD;
		for (CK_ULONG j = 0; j < i; j++)
			if (tmpl[j].type == tmpl[i].type &&
			    (tmpl[j].ulValueLen != tmpl[i].ulValueLen ||
			     (tmpl[i].ulValueLen && memcmp(tmpl[j].pValue, tmpl[i].pValue, tmpl[i].ulValueLen))))
				return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}

static const CK_ATTRIBUTE *tmpl_find(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (tmpl[i].type == type)
			return &tmpl[i];
	return NULL;
}

static CK_RV tmpl_ulong(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
	const CK_ATTRIBUTE *t = tmpl_find(tmpl, n, type);
	if (!t)
		return CKR_TEMPLATE_INCOMPLETE;
	if (t->ulValueLen != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, t->pValue, sizeof(CK_ULONG));
	return CKR_OK;
}

static bool known_key_type(CK_ULONG kt)
{
	switch (kt) {
	case CKK_RSA: case CKK_EC: case CKK_EC_EDWARDS: case CKK_EC_MONTGOMERY: case CKK_DSA:
	case CKK_DH: case CKK_GENERIC_SECRET: case CKK_AES: case CKK_DES2: case CKK_DES3:
	case CKK_GOSTR3410: case CKK_GOST28147:
		return true;
	}
	return false;
}

static CK_ULONG bit_length(const struct p11_attr *x)
{
	size_t i = 0;
	while (x && i < x->len && x->val[i] == 0)
		i++;
	if (!x || i == x->len)
		return 0;
	CK_ULONG bits = (CK_ULONG)(x->len - i) * 8;
	for (uint8_t top = x->val[i]; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

/* The working set while building: one slot per rule. */
struct work {
	size_t n;
	const struct p11_attr_rule *rule[MAX_RULES];
	struct p11_attr item[MAX_RULES];
	uint8_t *owned[MAX_RULES]; /* flattened templates */
};

static struct p11_attr *work_get(struct work *w, CK_ATTRIBUTE_TYPE type)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->item[i].type == type)
			return &w->item[i];
	return NULL;
}

static void work_free(struct work *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->owned[i]);
}

static CK_RV work_set(struct work *w, size_t i, const CK_ATTRIBUTE *t)
{
	if (w->rule[i]->kind == AK_TEMPLATE) {
		free(w->owned[i]);
		w->owned[i] = NULL;
		CK_RV rv = flatten_template(t->pValue, t->ulValueLen, &w->owned[i], &w->item[i].len);
		w->item[i].val = w->owned[i];
		return rv;
	}
	w->item[i].val = t->pValue;
	w->item[i].len = t->ulValueLen;
	return CKR_OK;
}

static bool val_true(const struct p11_attr *x)
{
	return x && x->len == 1 && x->val[0];
}

/* Transitions that only go one way (CKA_SENSITIVE up, CKA_EXTRACTABLE down, ...). */
static CK_RV check_transition(const struct p11_attr_rule *r, const struct p11_attr *cur, const CK_ATTRIBUTE *t,
			      bool so)
{
	bool to_true = t->ulValueLen == 1 && ((const CK_BYTE *)t->pValue)[0];
	if ((r->rules & R_ONLY_TRUE) && val_true(cur) && !to_true)
		return CKR_ATTRIBUTE_READ_ONLY;
	if ((r->rules & R_ONLY_FALSE) && cur && !val_true(cur) && to_true)
		return CKR_ATTRIBUTE_READ_ONLY;
	if ((r->rules & R_SO_ONLY) && to_true && !so)
		return CKR_ATTRIBUTE_READ_ONLY;
	return CKR_OK;
}

static CK_RV key_length_ok(CK_ULONG kt, const struct p11_attr *value)
{
	if (!value)
		return CKR_OK;
	switch (kt) {
	case CKK_AES:
		return value->len == 16 || value->len == 24 || value->len == 32 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKK_DES2:
		return value->len == 16 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKK_DES3:
		return value->len == 24 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKK_GOST28147:
		return value->len == 32 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKK_GENERIC_SECRET:
		return value->len > 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* Values the module keeps for the application. */
static CK_RV derive(enum p11_obj_op op, CK_OBJECT_CLASS cls, CK_ULONG sub, struct work *w, CK_ULONG *scratch)
{
	struct p11_attr *x;
	size_t k = 0;
#define SET_ULONG(type, v) \
	do { \
		if ((x = work_get(w, type))) { \
			scratch[k] = (v); \
			x->val = (uint8_t *)&scratch[k++]; \
			x->len = sizeof(CK_ULONG); \
		} \
	} while (0)
	const struct p11_attr *value = work_get(w, CKA_VALUE);
	/* Generated, unwrapped and derived keys get their value (and length) afterwards. */
	bool value_later = op == P11_OP_GENERATE || op == P11_OP_UNWRAP;
	if (!value_later && cls == CKO_SECRET_KEY && value)
		SET_ULONG(CKA_VALUE_LEN, value->len);

	if (op == P11_OP_CREATE && cls == CKO_PUBLIC_KEY && sub == CKK_RSA)
		SET_ULONG(CKA_MODULUS_BITS, bit_length(work_get(w, CKA_MODULUS)));
	if (op == P11_OP_CREATE && cls == CKO_PRIVATE_KEY && sub == CKK_DH)
		SET_ULONG(CKA_VALUE_BITS, bit_length(value));
	if (op == P11_OP_CREATE && cls == CKO_DOMAIN_PARAMETERS)
		SET_ULONG(CKA_PRIME_BITS, bit_length(work_get(w, CKA_PRIME)));
#undef SET_ULONG
	/* CKA_CHECK_VALUE: computed from the value; if the template gave one, it must agree. */
	if ((x = work_get(w, CKA_CHECK_VALUE)) && value && value->len) {
		uint8_t *kcv = (uint8_t *)&scratch[k++];
		fhsm_err err = FHSM_ERR_UNSUPPORTED;
		if (cls == CKO_CERTIFICATE) {
			uint8_t sha1[20];
			err = fhsm_hash(FHSM_HASH_SHA1, value->val, value->len, sha1);
			memcpy(kcv, sha1, 3);
		} else if (sub == CKK_AES && key_length_ok(sub, value) == CKR_OK) {
			err = fhsm_key_check_value(FHSM_BLOCK_AES, value->val, value->len, kcv);
		} else if ((sub == CKK_DES2 || sub == CKK_DES3) && key_length_ok(sub, value) == CKR_OK) {
			err = fhsm_key_check_value(FHSM_BLOCK_DES3, value->val, value->len, kcv);
		}
		if (err == FHSM_OK) {
			if (x->len && (x->len != 3 || memcmp(x->val, kcv, 3) != 0))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			x->val = kcv;
			x->len = 3;
		}
	}
	if (op == P11_OP_GENERATE && (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY)) {
		/* Born inside the token: "always" and "never" start out as the key is now. */
		static const CK_BBOOL t = CK_TRUE, f = CK_FALSE;
		if ((x = work_get(w, CKA_ALWAYS_SENSITIVE)))
			x->val = (uint8_t *)(val_true(work_get(w, CKA_SENSITIVE)) ? &t : &f);
		if ((x = work_get(w, CKA_NEVER_EXTRACTABLE)))
			x->val = (uint8_t *)(val_true(work_get(w, CKA_EXTRACTABLE)) ? &f : &t);
	}
	if (!value_later && sub == CKK_GOSTR3410 && value && value->len != (cls == CKO_PUBLIC_KEY ? 64 : 32))
		return CKR_ATTRIBUTE_VALUE_INVALID; /* X || Y, or d (PKCS#11: little-endian both) */
	return value_later ? CKR_OK : key_length_ok(sub, value);

}

CK_RV p11_attrs_build(enum p11_obj_op op, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      const struct p11_attrs *src, bool so, struct p11_attrs **out)
{
	struct work w;
	CK_ULONG scratch[8];
	const struct p11_attr_rule *rules[MAX_RULES];
	CK_OBJECT_CLASS cls;
	CK_ULONG sub = 0;
	CK_RV rv = check_template(tmpl, n);
	if (rv != CKR_OK)
		return rv;
	if (op == P11_OP_COPY) {
		cls = p11_attrs_ulong(src, CKA_CLASS, 0);
		sub = subtype_of(src, cls);
	} else {
		if ((rv = tmpl_ulong(tmpl, n, CKA_CLASS, &cls)) != CKR_OK)
			return rv;
		CK_ATTRIBUTE_TYPE st = p11_attr_subtype_attr(cls);
		if (st != CKA_CLASS && (rv = tmpl_ulong(tmpl, n, st, &sub)) != CKR_OK)
			return rv;
	}
	memset(&w, 0, sizeof(w));
	w.n = p11_attr_rules(cls, sub, rules, MAX_RULES);
	if (w.n == 0) /* a key type we know in the wrong class, or a class or type we do not hold */
		return p11_attr_subtype_attr(cls) == CKA_KEY_TYPE && known_key_type(sub) ? CKR_TEMPLATE_INCONSISTENT
											  : CKR_ATTRIBUTE_VALUE_INVALID;

	/* Start from the source (copy) or the defaults. */
	for (size_t i = 0; i < w.n; i++) {
		w.rule[i] = rules[i];
		w.item[i].type = rules[i]->type;
		const struct p11_attr *s = src ? p11_attrs_find(src, rules[i]->type) : NULL;
		if (s) {
			w.item[i] = *s;
		} else if (rules[i]->type == CKA_PRIVATE) {
			static const CK_BBOOL t = CK_TRUE, f = CK_FALSE;
			w.item[i].val = (uint8_t *)(cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY ? &t : &f);
			w.item[i].len = 1;
		} else {
			w.item[i].val = (uint8_t *)rules[i]->def;
			w.item[i].len = rules[i]->def_len;
		}
	}

	static const unsigned must[] = {[P11_OP_CREATE] = R_MUST_CREATE, [P11_OP_GENERATE] = R_MUST_GEN,
					[P11_OP_UNWRAP] = R_MUST_UNWRAP, [P11_OP_COPY] = 0};
	static const unsigned must_not[] = {[P11_OP_CREATE] = R_NO_CREATE, [P11_OP_GENERATE] = R_NO_GEN,
					    [P11_OP_UNWRAP] = R_NO_UNWRAP, [P11_OP_COPY] = 0};
	for (CK_ULONG t = 0; t < n && rv == CKR_OK; t++) {
		size_t i = 0;
		while (i < w.n && w.rule[i]->type != tmpl[t].type)
			i++;
		if (i == w.n) {
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
			break;
		}
		const struct p11_attr_rule *r = w.rule[i];
		if ((rv = check_value(r, &tmpl[t])) != CKR_OK)
			break;
		if (r->rules & must_not[op]) {
			rv = CKR_ATTRIBUTE_READ_ONLY;
			break;
		}
		if (op == P11_OP_COPY) {
			const struct p11_attr *cur = p11_attrs_find(src, r->type);
			if (!(r->rules & (R_MODIFY | R_COPY)) &&
			    !(cur && cur->len == tmpl[t].ulValueLen && !memcmp(cur->val, tmpl[t].pValue, cur->len)))
				rv = CKR_ATTRIBUTE_READ_ONLY;
			else
				rv = check_transition(r, cur, &tmpl[t], so);
		} else {
			rv = check_transition(r, NULL, &tmpl[t], so);
		}
		if (rv == CKR_OK)
			rv = work_set(&w, i, &tmpl[t]);
	}
	for (size_t i = 0; i < w.n && rv == CKR_OK; i++)
		if ((w.rule[i]->rules & must[op]) && !tmpl_find(tmpl, n, w.rule[i]->type))
			rv = CKR_TEMPLATE_INCOMPLETE;
	if (rv == CKR_OK)
		rv = derive(op, cls, sub, &w, scratch);
	if (rv == CKR_OK) {
		*out = p11_attrs_new(w.item, w.n);
		if (!*out)
			rv = CKR_HOST_MEMORY;
	}
	work_free(&w);
	return rv;
}

CK_RV p11_attrs_modify(const struct p11_attrs *cur, const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool so,
		       struct p11_attrs **out)
{
	struct work w;
	CK_OBJECT_CLASS cls = p11_attrs_ulong(cur, CKA_CLASS, 0);
	CK_ULONG sub = subtype_of(cur, cls);
	CK_RV rv = check_template(tmpl, n);
	if (rv != CKR_OK)
		return rv;
	memset(&w, 0, sizeof(w));
	w.n = cur->n;
	for (size_t i = 0; i < w.n; i++) {
		w.item[i] = cur->a[i];
		w.rule[i] = p11_attr_rule(cls, sub, cur->a[i].type);
	}
	for (CK_ULONG t = 0; t < n && rv == CKR_OK; t++) {
		size_t i = 0;
		while (i < w.n && w.item[i].type != tmpl[t].type)
			i++;
		const struct p11_attr_rule *r = i < w.n ? w.rule[i] : NULL;
		if (!r)
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		else if ((rv = check_value(r, &tmpl[t])) != CKR_OK)
			break;
		else if (!(r->rules & R_MODIFY))
			rv = CKR_ATTRIBUTE_READ_ONLY;
		else if ((rv = check_transition(r, &cur->a[i], &tmpl[t], so)) == CKR_OK)
			rv = work_set(&w, i, &tmpl[t]);
	}
	if (rv == CKR_OK) {
		*out = p11_attrs_new(w.item, w.n);
		if (!*out)
			rv = CKR_HOST_MEMORY;
	}
	work_free(&w);
	return rv;
}

/* Reads a flattened template back into the caller's CK_ATTRIBUTE array. */
static CK_RV get_template(const struct p11_attr *x, CK_ATTRIBUTE *t)
{
	size_t n = flat_count(x->val, x->len);
	CK_ULONG need = n * sizeof(CK_ATTRIBUTE);
	if (!t->pValue) {
		t->ulValueLen = need;
		return CKR_OK;
	}
	if (t->ulValueLen < need) {
		t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	CK_ATTRIBUTE *dst = t->pValue;
	CK_RV rv = CKR_OK;
	const uint8_t *p = x->val;
	for (size_t i = 0; i < n; i++) {
		uint64_t ty, l;
		memcpy(&ty, p, 8);
		memcpy(&l, p + 8, 8);
		dst[i].type = ty;
		if (!dst[i].pValue) {
			dst[i].ulValueLen = l;
		} else if (dst[i].ulValueLen < l) {
			dst[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(dst[i].pValue, p + 16, l);
			dst[i].ulValueLen = l;
		}
		p += 16 + l;
	}
	t->ulValueLen = need;
	return rv;
}

CK_RV p11_attrs_get(const struct p11_attrs *a, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	bool sensitive = false, invalid = false, small = false;
	CK_OBJECT_CLASS cls = p11_attrs_ulong(a, CKA_CLASS, 0);
	CK_ULONG sub = subtype_of(a, cls);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE *t = &tmpl[i];
		const struct p11_attr *x = p11_attrs_find(a, t->type);
		const struct p11_attr_rule *r = p11_attr_rule(cls, sub, t->type);
		if (!x || !r) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			invalid = true;
		} else if (p11_attrs_is_protected(a, t->type)) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			sensitive = true;
		} else if (r->kind == AK_TEMPLATE) {
			small |= get_template(x, t) == CKR_BUFFER_TOO_SMALL;
		} else if (!t->pValue) {
			t->ulValueLen = x->len;
		} else if (t->ulValueLen < x->len) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			small = true;
		} else {
			if (x->len)
				memcpy(t->pValue, x->val, x->len);
			t->ulValueLen = x->len;
		}
	}
	return sensitive ? CKR_ATTRIBUTE_SENSITIVE
	       : invalid ? CKR_ATTRIBUTE_TYPE_INVALID
	       : small	 ? CKR_BUFFER_TOO_SMALL
			 : CKR_OK;
}

bool p11_attrs_match(const struct p11_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++) {
		const struct p11_attr *x = p11_attrs_find(a, tmpl[i].type);
		if (!x)
			return false;
		CK_OBJECT_CLASS cls = p11_attrs_ulong(a, CKA_CLASS, 0);
		const struct p11_attr_rule *r = p11_attr_rule(cls, subtype_of(a, cls), tmpl[i].type);
		if (r && r->kind == AK_TEMPLATE) {
			uint8_t *flat;
			CK_ULONG flen;
			if (flatten_template(tmpl[i].pValue, tmpl[i].ulValueLen, &flat, &flen) != CKR_OK)
				return false;
			bool eq = flen == x->len && !memcmp(flat, x->val, flen);
			free(flat);
			if (!eq)
				return false;
		} else if (x->len != tmpl[i].ulValueLen ||
			   (x->len && memcmp(x->val, tmpl[i].pValue, x->len) != 0)) {
			return false;
		}
	}
	return true;
}
