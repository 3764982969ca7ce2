/* Objects: attribute rules (attr.c), the in-memory object sets and their index
 * (objset.c), the on-disk object log (objlog.c), and the entry points (object.c). */
#ifndef FHSM_OBJECT_H
#define FHSM_OBJECT_H

#include "p11.h"

/* ---- attribute rules (attr.c): the spec's footnotes as data ---- */
enum p11_attr_kind { AK_BOOL, AK_ULONG, AK_BYTES, AK_DATE, AK_TEMPLATE, AK_MECHS };

enum {
	R_MUST_CREATE = 1 << 0, /* must be given to C_CreateObject */
	R_NO_CREATE = 1 << 1,   /* must not be given to C_CreateObject */
	R_MUST_GEN = 1 << 2,    /* must be given when generated */
	R_NO_GEN = 1 << 3,      /* must not be given when generated */
	R_MUST_UNWRAP = 1 << 4, /* must be given when unwrapped */
	R_NO_UNWRAP = 1 << 5,   /* must not be given when unwrapped */
	R_SECRET = 1 << 6,      /* not revealed when CKA_SENSITIVE or !CKA_EXTRACTABLE; sealed at rest */
	R_MODIFY = 1 << 7,      /* may change with C_SetAttributeValue / C_CopyObject */
	R_ONLY_TRUE = 1 << 8,   /* may only change to CK_TRUE */
	R_ONLY_FALSE = 1 << 9,  /* may only change to CK_FALSE */
	R_SO_ONLY = 1 << 10,    /* only the SO may set it to CK_TRUE */
	R_COPY = 1 << 11,       /* may change in C_CopyObject although read-only otherwise */
	R_DERIVED = 1 << 12,    /* the module computes it */
};

struct p11_attr_rule {
	CK_ATTRIBUTE_TYPE type;
	enum p11_attr_kind kind;
	unsigned rules;
	const void *def; /* default value, NULL: none (then the empty value) */
	CK_ULONG def_len;
};

enum p11_obj_op { P11_OP_CREATE, P11_OP_GENERATE, P11_OP_UNWRAP, P11_OP_COPY };

/* ---- objects in memory ---- */
struct p11_attr {
	CK_ATTRIBUTE_TYPE type;
	CK_ULONG len;
	uint8_t *val;
};

/* One allocation: the array, then the values; sorted by type. */
struct p11_attrs {
	size_t n;
	struct p11_attr a[];
};

#define P11_NINDEX 4 /* CKA_LABEL, CKA_ID, CKA_CLASS, CKA_KEY_TYPE */

struct p11_object {
	CK_OBJECT_HANDLE handle;
	struct p11_slot *slot;
	struct p11_session *session; /* owner of a session object; NULL for token objects */
	uint64_t uid;                /* token objects: their name in the log */
	CK_OBJECT_CLASS cls;
	bool token, priv;
	bool ready;                  /* false while a sealed part waits for the master key */
	struct p11_attrs *attrs;     /* NULL until ready, for private objects */
	uint8_t *sealed;             /* the record's sealed part, kept until it can be opened */
	size_t sealed_len;
	struct p11_keyref *prep;      /* its prepared form (parsed RSA key, keyed HMAC), made on first use */
	uint32_t rec_len;            /* bytes of its latest record in the log */
	unsigned seen;               /* sync generation that last saw it (full reloads) */
	size_t idx_pos[P11_NINDEX];
	bool indexed;
	struct p11_object *next, *prev;
};

/* ---- attr.c ---- */
/* The rule for attribute type in an object of this class/key type, or NULL if invalid there. */
const struct p11_attr_rule *p11_attr_rule(CK_OBJECT_CLASS cls, CK_ULONG subtype, CK_ATTRIBUTE_TYPE type);
/* Every rule of the class/key type, in a stable order; returns how many. */
size_t p11_attr_rules(CK_OBJECT_CLASS cls, CK_ULONG subtype, const struct p11_attr_rule **out, size_t max);
/* The subtype that selects the rules: CKA_KEY_TYPE for keys and domain parameters,
 * CKA_CERTIFICATE_TYPE for certificates, 0 otherwise. */
CK_ATTRIBUTE_TYPE p11_attr_subtype_attr(CK_OBJECT_CLASS cls);

/* Builds a new object's attributes from a template (and, for copies, a source).
 * so: the SO is logged in (CKA_TRUSTED). */
CK_RV p11_attrs_build(enum p11_obj_op op, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
		      const struct p11_attrs *src, bool so, struct p11_attrs **out);
/* The attributes after C_SetAttributeValue, checked against the rules. */
CK_RV p11_attrs_modify(const struct p11_attrs *cur, const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool so,
		       struct p11_attrs **out);
/* C_GetAttributeValue for one object. */
CK_RV p11_attrs_get(const struct p11_attrs *a, CK_ATTRIBUTE *tmpl, CK_ULONG n);
bool p11_attrs_match(const struct p11_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
const struct p11_attr *p11_attrs_find(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type);
bool p11_attrs_bool(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type, bool dflt);
CK_ULONG p11_attrs_ulong(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG dflt);
/* Is this attribute's value protected (R_SECRET on a sensitive or unextractable object)? */
bool p11_attrs_is_protected(const struct p11_attrs *a, CK_ATTRIBUTE_TYPE type);
/* Builds a p11_attrs from n (type, len, value) triples; values are copied. */
struct p11_attrs *p11_attrs_new(const struct p11_attr *items, size_t n);
size_t p11_attrs_size(const struct p11_attrs *a);
/* a with the n items added or replacing those of the same type; a is freed. */
struct p11_attrs *p11_attrs_with(struct p11_attrs *a, const struct p11_attr *items, size_t n);

/* ---- object.c, for the mechanisms ---- */
/* A private copy of key h's attributes, for an operation that needs the attribute
 * usage (CKA_ENCRYPT, CKA_SIGN, ...) set and allows mechanism mech. P11_ANY as usage
 * or mech: no such check (the key being wrapped or digested is not the one used). */
#define P11_ANY ((CK_ULONG)CK_UNAVAILABLE_INFORMATION)

CK_RV p11_key_for_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech,
		     struct p11_attrs **out);
/* The same, copying only CKA_VALUE and CKA_KEY_TYPE (secret-key mechanisms). */
CK_RV p11_key_value_for_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage,
			   CK_MECHANISM_TYPE mech, struct p11_attrs **out);
/* For an HMAC mechanism m: no copy, the checks of p11_key_fits, and a reference to
 * the key's cached HMAC states for m's hash (an fhsm_mac_key). */
struct p11_mech;
CK_RV p11_key_for_hmac_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage,
			  const struct p11_mech *m, struct p11_keyref **ref);
/* A secret key's type and CKA_VALUE length against mechanism m's: CKR_KEY_TYPE_INCONSISTENT,
 * CKR_KEY_SIZE_RANGE or CKR_OK (and *value, when value is not NULL). */
CK_RV p11_key_fits(const struct p11_attrs *a, const struct p11_mech *m, const struct p11_attr **value);
/* The same, and for an RSA key a reference to its cached parsed form. */
CK_RV p11_key_for_pk_op(struct p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE usage, CK_MECHANISM_TYPE mech,
			struct p11_attrs **out, struct p11_keyref **ref);
/* Stores a new object (session or token, by its CKA_TOKEN); takes a. */
CK_RV p11_object_create(struct p11_session *s, struct p11_attrs *a, CK_OBJECT_HANDLE_PTR ph);
bool p11_session_is_so(struct p11_session *s);
/* Takes back an object this call just made (no rules: it is undoing). */
void p11_object_destroy(struct p11_session *s, CK_OBJECT_HANDLE h);
void p11_attrs_free(struct p11_attrs *a);

#endif
