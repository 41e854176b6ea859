/*
 * pdb_reply.c - reply trees, their accessors, and the builder plumbing.
 *
 * A pdb_reply node carries its string bytes in the same allocation (a
 * flexible array after the node), so a bulk string is copied once, from the
 * reader's buffer into its node, and pdb_reply_view hands that out as is.
 * Aggregates grow their child array as children arrive (powers of two), so an
 * announced count costs nothing before its elements are there.
 *
 * Every reader the library makes goes through a shim builder
 * (cl_builder_shim): it forwards to the caller's builder and notes the type of
 * each top-level value, the text of a top-level error, and the first string
 * and third integer of a push or array (pub/sub replies), which is all the
 * connection needs to route replies without knowing the objects a custom
 * builder makes.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "ds/mem.h"

struct pdb_reply {
    pdb_type type;
    long long integer;
    double dval;
    size_t len;
    size_t elements, cap;
    struct pdb_reply **element;
    struct pdb_reply *attribute;
    char vtype[4];
    char str[]; /* len bytes plus a NUL, for string-like types */
};

/* The public enum mirrors the reader's, value for value. */
_Static_assert((int)PDB_REPLY_STATUS == (int)RESP_T_SIMPLE, "type order");
_Static_assert((int)PDB_REPLY_NULL == (int)RESP_T_NULL, "type order");
_Static_assert((int)PDB_REPLY_ATTR == (int)RESP_T_ATTR, "type order");
_Static_assert((int)PDB_REPLY_VERBATIM == (int)RESP_T_VERBATIM, "type order");

/* ---- default builder ---- */

static void link_child(const pdb_task *t, pdb_reply *v) {
    pdb_reply *p = t->parent;
    if (!p) return;
    if (p->elements == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->element = mem_realloc(p->element, p->cap * sizeof(*p->element));
    }
    p->element[p->elements++] = v;
}

static pdb_reply *new_node(const pdb_task *t, size_t strlen_) {
    pdb_reply *v = mem_calloc(sizeof(*v) + strlen_ + 1);
    v->type = t->type;
    link_child(t, v);
    return v;
}

static void *tree_string(const pdb_task *t, const char *s, size_t len) {
    char vtype[4] = "";
    if (t->type == PDB_REPLY_VERBATIM && len >= 4) {
        /* The reader checked the "xxx:" prefix. */
        memcpy(vtype, s, 3);
        s += 4;
        len -= 4;
    }
    pdb_reply *v = new_node(t, len);
    memcpy(v->vtype, vtype, sizeof(vtype));
    if (len) memcpy(v->str, s, len);
    v->len = len;
    return v;
}

static void *tree_array(const pdb_task *t, size_t n) {
    (void)n;
    return new_node(t, 0);
}

static void *tree_integer(const pdb_task *t, long long x) {
    pdb_reply *v = new_node(t, 0);
    v->integer = x;
    return v;
}

static void *tree_double(const pdb_task *t, double d, const char *s, size_t len) {
    pdb_reply *v = new_node(t, len);
    v->dval = d;
    if (len) memcpy(v->str, s, len);
    v->len = len;
    return v;
}

static void *tree_nil(const pdb_task *t) {
    return new_node(t, 0);
}

static void *tree_bool(const pdb_task *t, int b) {
    pdb_reply *v = new_node(t, 0);
    v->integer = b != 0;
    return v;
}

static void tree_set_attribute(void *obj, void *attr) {
    pdb_reply *v = obj;
    pdb_reply_free(v->attribute);
    v->attribute = attr;
}

static void tree_free(void *obj) {
    pdb_reply_free(obj);
}

static const pdb_builder default_builder = {
    .create_string = tree_string,
    .create_array = tree_array,
    .create_integer = tree_integer,
    .create_double = tree_double,
    .create_nil = tree_nil,
    .create_bool = tree_bool,
    .set_attribute = tree_set_attribute,
    .free_object = tree_free,
};

const pdb_builder *pdb_default_builder(void) {
    return &default_builder;
}

void pdb_reply_free(pdb_reply *r) {
    if (!r) return;
    for (size_t i = 0; i < r->elements; i++)
        pdb_reply_free(r->element[i]);
    mem_free(r->element);
    pdb_reply_free(r->attribute);
    mem_free(r);
}

/* ---- accessors ---- */

static int has_text(const pdb_reply *r) {
    switch (r->type) {
    case PDB_REPLY_STATUS:
    case PDB_REPLY_ERROR:
    case PDB_REPLY_STRING:
    case PDB_REPLY_BIGNUM:
    case PDB_REPLY_VERBATIM:
    case PDB_REPLY_DOUBLE:
        return 1;
    default:
        return 0;
    }
}

static int is_aggregate(const pdb_reply *r) {
    return r->type == PDB_REPLY_ARRAY || r->type == PDB_REPLY_MAP || r->type == PDB_REPLY_SET ||
           r->type == PDB_REPLY_PUSH || r->type == PDB_REPLY_ATTR;
}

int pdb_reply_type(const pdb_reply *r) {
    return r ? (int)r->type : -1;
}

const char *pdb_reply_str(const pdb_reply *r) {
    return r && has_text(r) ? r->str : NULL;
}

size_t pdb_reply_len(const pdb_reply *r) {
    return r && has_text(r) ? r->len : 0;
}

pdb_view pdb_reply_view(const pdb_reply *r) {
    pdb_view v = {NULL, 0};
    if (r && has_text(r)) {
        v.ptr = r->str;
        v.len = r->len;
    }
    return v;
}

long long pdb_reply_integer(const pdb_reply *r) {
    if (!r || (r->type != PDB_REPLY_INTEGER && r->type != PDB_REPLY_BOOL)) return 0;
    return r->integer;
}

double pdb_reply_double(const pdb_reply *r) {
    if (!r) return 0;
    if (r->type == PDB_REPLY_DOUBLE) return r->dval;
    if (r->type == PDB_REPLY_INTEGER) return (double)r->integer;
    return 0;
}

int pdb_reply_bool(const pdb_reply *r) {
    if (!r || (r->type != PDB_REPLY_BOOL && r->type != PDB_REPLY_INTEGER)) return 0;
    return r->integer != 0;
}

const char *pdb_reply_verbatim_format(const pdb_reply *r) {
    return r && r->type == PDB_REPLY_VERBATIM ? r->vtype : "";
}

size_t pdb_reply_elements(const pdb_reply *r) {
    return r && is_aggregate(r) ? r->elements : 0;
}

const pdb_reply *pdb_reply_element(const pdb_reply *r, size_t i) {
    if (!r || !is_aggregate(r) || i >= r->elements) return NULL;
    return r->element[i];
}

size_t pdb_reply_map_size(const pdb_reply *r) {
    return pdb_reply_elements(r) / 2;
}

const pdb_reply *pdb_reply_map_key(const pdb_reply *r, size_t i) {
    return i < pdb_reply_map_size(r) ? r->element[2 * i] : NULL;
}

const pdb_reply *pdb_reply_map_value(const pdb_reply *r, size_t i) {
    return i < pdb_reply_map_size(r) ? r->element[2 * i + 1] : NULL;
}

const pdb_reply *pdb_reply_map_get(const pdb_reply *r, const char *key, size_t keylen) {
    size_t n = pdb_reply_map_size(r);
    for (size_t i = 0; i < n; i++) {
        const pdb_reply *k = r->element[2 * i];
        if (has_text(k) && k->len == keylen && memcmp(k->str, key, keylen) == 0)
            return r->element[2 * i + 1];
    }
    return NULL;
}

const pdb_reply *pdb_reply_attribute(const pdb_reply *r) {
    return r ? r->attribute : NULL;
}

/* ---- the shim between the reader and a pdb_builder ---- */

static pdb_task to_task(const resp_task *t, cl_builder_shim **shim) {
    *shim = t->privdata;
    pdb_task pt = {
        .type = (pdb_type)t->type,
        .elements = t->elements,
        .idx = t->idx,
        .parent = t->parent ? t->parent->obj : NULL,
        .privdata = (*shim)->user_priv,
    };
    return pt;
}

/* Notes what the connection routes by: a top-level value's type, and the
 * first string of a top-level push ("message", "invalidate", "subscribe"). */
static void note(cl_builder_shim *s, const resp_task *t, const char *str, size_t len) {
    if (!t->parent && t->type != RESP_T_ATTR) {
        s->root_type = (int)t->type;
        s->root_err[0] = '\0';
        s->root_head[0] = '\0';
        s->root_count = -1;
        if (t->type == RESP_T_ERROR) {
            size_t n = len < sizeof(s->root_err) - 1 ? len : sizeof(s->root_err) - 1;
            memcpy(s->root_err, str, n);
            s->root_err[n] = '\0';
        }
    } else if (t->parent && !t->parent->parent &&
               (t->parent->type == RESP_T_PUSH || t->parent->type == RESP_T_ARRAY) && t->idx == 0 &&
               str) {
        size_t n = len < sizeof(s->root_head) - 1 ? len : sizeof(s->root_head) - 1;
        memcpy(s->root_head, str, n);
        s->root_head[n] = '\0';
    }
}

static void *shim_string(const resp_task *t, const char *str, size_t len) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, str, len);
    return s->user.create_string(&pt, str, len);
}

static void *shim_array(const resp_task *t, size_t n) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, NULL, 0);
    return s->user.create_array(&pt, n);
}

static void *shim_integer(const resp_task *t, long long v) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, NULL, 0);
    if (t->parent && !t->parent->parent && t->idx == 2 &&
        (t->parent->type == RESP_T_PUSH || t->parent->type == RESP_T_ARRAY))
        s->root_count = v;
    return s->user.create_integer(&pt, v);
}

static void *shim_double(const resp_task *t, double d, const char *str, size_t len) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, NULL, 0);
    return s->user.create_double(&pt, d, str, len);
}

static void *shim_nil(const resp_task *t) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, NULL, 0);
    return s->user.create_nil(&pt);
}

static void *shim_bool(const resp_task *t, int v) {
    cl_builder_shim *s;
    pdb_task pt = to_task(t, &s);
    note(s, t, NULL, 0);
    return s->user.create_bool(&pt, v);
}

/* set_attribute and free_object carry no task; the reader calls the table's
 * entries directly, so the shim table takes the caller's as they are. */
static const resp_builder shim_table = {
    .create_string = shim_string,
    .create_array = shim_array,
    .create_integer = shim_integer,
    .create_double = shim_double,
    .create_nil = shim_nil,
    .create_bool = shim_bool,
};

static int builder_complete(const pdb_builder *b) {
    return b->create_string && b->create_array && b->create_integer && b->create_double &&
           b->create_nil && b->create_bool;
}

void cl_shim_init(cl_builder_shim *s, const pdb_builder *user, void *priv) {
    memset(s, 0, sizeof(*s));
    s->user = user ? *user : default_builder;
    s->user_priv = user ? priv : NULL;
    s->root_type = -1;
}

resp_reader *cl_shim_reader(cl_builder_shim *s) {
    resp_builder fns = shim_table;
    fns.set_attribute = s->user.set_attribute;
    fns.free_object = s->user.free_object;
    return resp_reader_new_with(&fns, s);
}

/* ---- standalone parser ---- */

struct pdb_parser {
    cl_builder_shim shim;
    resp_reader *reader;
};

pdb_parser *pdb_parser_new(const pdb_builder *b, void *privdata) {
    if (b && !builder_complete(b)) return NULL;
    pdb_parser *p = mem_calloc(sizeof(*p));
    cl_shim_init(&p->shim, b, privdata);
    p->reader = cl_shim_reader(&p->shim);
    return p;
}

void pdb_parser_free(pdb_parser *p) {
    if (!p) return;
    resp_reader_free(p->reader);
    mem_free(p);
}

int pdb_parser_feed(pdb_parser *p, const char *buf, size_t len) {
    return resp_reader_feed(p->reader, buf, len) == RESP_OK ? PDB_OK : PDB_ERR_PROTOCOL;
}

int pdb_parser_get(pdb_parser *p, void **obj) {
    return resp_reader_get_reply(p->reader, obj) == RESP_OK ? PDB_OK : PDB_ERR_PROTOCOL;
}

const char *pdb_parser_error(const pdb_parser *p) {
    return resp_reader_error(p->reader);
}

int cl_builder_valid(const pdb_builder *b) {
    return builder_complete(b);
}
