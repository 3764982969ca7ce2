/* The in-memory object sets (objset.c) and the on-disk object log (objlog.c).
 * All of it runs under p11.obj_lock. */
#ifndef FHSM_OBJSET_H
#define FHSM_OBJSET_H

#include "object.h"

/* What this process has read of a token's object log. */
struct p11_objlog_view {
	dev_t dev;
	ino_t ino;
	off_t end;             /* bytes of whole, valid records read (and the header) */
	uint64_t live, total;  /* record bytes: latest versions / everything (compaction) */
	uint8_t epoch[P11_EPOCH_LEN];
};

struct p11_objset *p11_objset_new(void);
void p11_objset_free(struct p11_objset *set);
struct p11_objlog_view *p11_objset_view(struct p11_objset *set);
/* Links o into the set; a ready object gets a handle and index entries. */
CK_RV p11_objset_add(struct p11_objset *set, struct p11_object *o);
/* Unlinks and frees o. */
void p11_objset_remove(struct p11_objset *set, struct p11_object *o);
/* Gives o new attributes (taking a), or none (a == NULL: unreadable until unsealed). */
CK_RV p11_objset_update(struct p11_objset *set, struct p11_object *o, struct p11_attrs *a);
struct p11_object *p11_objset_by_uid(struct p11_objset *set, uint64_t uid);
struct p11_object *p11_objset_first(struct p11_objset *set, bool token);
size_t p11_objset_count(const struct p11_objset *set);
/* The index's smallest candidate list for a template; *count == (size_t)-1 when the
 * template names no indexed attribute (then every object is a candidate). */
struct p11_object *const *p11_objset_candidates(struct p11_objset *set, const CK_ATTRIBUTE *t, CK_ULONG n,
						size_t *count);
void p11_object_free(struct p11_object *o);
struct p11_object *p11_object_by_handle(CK_OBJECT_HANDLE h);
void p11_handles_reset(void);
/* Wipes every attribute value in place (a forked child abandoning its parent's copy). */
void p11_objset_wipe(struct p11_objset *set);

/* ---- objlog.c ---- */
/* What the log code needs to know of the token, captured under p11.lock. */
struct p11_objctx {
	const uint8_t *mk; /* the master key when this process has it, else NULL */
	uint8_t epoch[P11_EPOCH_LEN];
	char serial[P11_SERIAL_LEN + 1];
};

/* Brings the token objects of slot up to date with its log (sealed parts are opened
 * when ctx has the master key). */
CK_RV p11_objlog_sync(struct p11_slot *slot, const struct p11_objctx *ctx);
/* Writes the object uid with attributes a (a new one, or a new version), durable when
 * it returns, and applies it to the set. */
CK_RV p11_objlog_put(struct p11_slot *slot, const struct p11_objctx *ctx, uint64_t uid, const struct p11_attrs *a);
CK_RV p11_objlog_del(struct p11_slot *slot, const struct p11_objctx *ctx, struct p11_object *o);
/* Opens every sealed part once the master key is known. */
void p11_objlog_unseal(struct p11_slot *slot, const struct p11_objctx *ctx);
/* At logout: private objects become unreadable again (their plaintext is wiped). */
void p11_objlog_forget_private(struct p11_slot *slot, const struct p11_objctx *ctx);

#endif
