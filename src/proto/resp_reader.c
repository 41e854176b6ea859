/*
 * resp_reader.c - the RESP2/RESP3 reply reader and its default tree builder.
 *
 * Used by the client library, the cli, the gateway and the tests. It does no
 * I/O: resp_reader_feed appends bytes, resp_reader_get_reply takes out whole
 * replies. Values are made by a constructor table (resp_builder), so each
 * caller gets its own objects from one parser; the default builder makes
 * resp_value trees.
 *
 * Invariants:
 *   - Nesting is an explicit stack of open aggregates (no recursion), at most
 *     max_depth deep; an item (a line, or a header plus its bulk payload) is
 *     turned into a value only once all its bytes are buffered, so the only
 *     resume state is the stack and a line-scan offset (no line is rescanned).
 *   - Every object is either linked into its parent by the builder or is
 *     "detached" (a root, an attribute): on error the reader frees exactly the
 *     detached ones and the builder's free_object frees what hangs below.
 *   - Nothing is allocated in proportion to an announced length or count
 *     before its bytes arrive (the default builder grows element arrays).
 *   - Errors are sticky: after one, every call fails with the same message.
 */
#include "proto/resp.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"

#define DEPTH_LIMIT 64
#define DEFAULT_DEPTH 7
#define DEFAULT_MAX_BULK (512LL * 1024 * 1024)
#define DEFAULT_MAX_ELEMENTS ((1LL << 32) - 1)
/* Longest line for lengths and integers, and for doubles ("%.17g" needs 24;
 * a long double printed with %Lf may need a few hundred). */
#define NUM_LINE_MAX 64
#define DOUBLE_LINE_MAX 512
/* An empty buffer larger than this is given back. */
#define KEEP_BUF (64 * 1024)

struct frame {
    resp_task task;
    long long next;     /* index of the next child */
    void *pending_attr; /* finished attribute for the next child */
};

struct resp_reader {
    resp_builder fns;
    void *privdata;
    char *buf;
    size_t len, cap;
    size_t pos;  /* start of the next item */
    size_t scan; /* [pos, scan) of the current line holds no '\r' */
    int max_depth;
    long long max_bulk, max_elements;
    int depth;      /* open aggregates in stack[] */
    void *top_attr; /* finished attribute for the next top-level reply */
    void *reply;    /* finished top-level reply */
    int err;
    char errstr[128];
    struct frame stack[DEPTH_LIMIT];
};

/* ---- default builder: resp_value trees ---- */

/* Element arrays grow in powers of two from 4 as children arrive, so an
 * announced count costs nothing until its elements are there. */
static void link_child(const resp_task *t, resp_value *v) {
    if (!t->parent) return;
    resp_value *p = t->parent->obj;
    size_t n = p->elements;
    if (n == 0)
        p->element = mem_alloc(4 * sizeof(*p->element));
    else if (n >= 4 && (n & (n - 1)) == 0)
        p->element = mem_realloc(p->element, 2 * n * sizeof(*p->element));
    p->element[n] = v;
    p->elements = n + 1;
}

static resp_value *new_value(const resp_task *t) {
    resp_value *v = mem_calloc(sizeof(*v));
    v->type = t->type;
    link_child(t, v);
    return v;
}

static char *dup_str(const char *s, size_t len) {
    char *d = mem_alloc(len + 1);
    if (len) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static void *tree_string(const resp_task *t, const char *s, size_t len) {
    resp_value *v = new_value(t);
    if (t->type == RESP_T_VERBATIM) {
        /* The reader checked len >= 4 and s[3] == ':'. */
        memcpy(v->vtype, s, 3);
        v->vtype[3] = '\0';
        s += 4;
        len -= 4;
    }
    v->str = dup_str(s, len);
    v->len = len;
    return v;
}

static void *tree_array(const resp_task *t, size_t n) {
    (void)n;
    return new_value(t);
}

static void *tree_integer(const resp_task *t, long long x) {
    resp_value *v = new_value(t);
    v->integer = x;
    return v;
}

static void *tree_double(const resp_task *t, double d, const char *s, size_t len) {
    resp_value *v = new_value(t);
    v->dval = d;
    v->str = dup_str(s, len);
    v->len = len;
    return v;
}

static void *tree_nil(const resp_task *t) {
    return new_value(t);
}

static void *tree_bool(const resp_task *t, int b) {
    resp_value *v = new_value(t);
    v->integer = b != 0;
    return v;
}

static void tree_set_attribute(void *obj, void *attr) {
    resp_value *v = obj;
    resp_value_free(v->attribute);
    v->attribute = attr;
}

static void tree_free(void *obj) {
    resp_value_free(obj);
}

static const resp_builder tree_builder = {
    .create_string = tree_string,
    .create_array = tree_array,
    .create_integer = tree_integer,
    .create_double = tree_double,
    .create_nil = tree_nil,
    .create_bool = tree_bool,
    .set_attribute = tree_set_attribute,
    .free_object = tree_free,
};

void resp_value_free(resp_value *v) {
    if (!v) return;
    for (size_t i = 0; i < v->elements; i++)
        resp_value_free(v->element[i]);
    mem_free(v->element);
    mem_free(v->str);
    resp_value_free(v->attribute);
    mem_free(v);
}

/* ---- reader ---- */

resp_reader *resp_reader_new_with(const resp_builder *fns, void *privdata) {
    if (!fns || !fns->create_string || !fns->create_array || !fns->create_integer ||
        !fns->create_double || !fns->create_nil || !fns->create_bool)
        return NULL;
    resp_reader *r = mem_calloc(sizeof(*r));
    r->fns = *fns;
    r->privdata = privdata;
    r->max_depth = DEFAULT_DEPTH;
    r->max_bulk = DEFAULT_MAX_BULK;
    r->max_elements = DEFAULT_MAX_ELEMENTS;
    return r;
}

resp_reader *resp_reader_new(void) {
    return resp_reader_new_with(&tree_builder, NULL);
}

static void drop(resp_reader *r, void *obj) {
    if (obj && r->fns.free_object) r->fns.free_object(obj);
}

/* Frees the half-built reply: detached objects only (see the invariants). */
static void discard_partial(resp_reader *r) {
    for (int i = r->depth - 1; i >= 0; i--) {
        struct frame *f = &r->stack[i];
        drop(r, f->pending_attr);
        f->pending_attr = NULL;
        if (!f->task.parent) drop(r, f->task.obj);
        f->task.obj = NULL;
    }
    r->depth = 0;
    drop(r, r->top_attr);
    r->top_attr = NULL;
    drop(r, r->reply);
    r->reply = NULL;
}

void resp_reader_free(resp_reader *r) {
    if (!r) return;
    discard_partial(r);
    mem_free(r->buf);
    mem_free(r);
}

int resp_reader_set_max_depth(resp_reader *r, int depth) {
    if (depth < 1 || depth > DEPTH_LIMIT) return RESP_ERROR;
    r->max_depth = depth;
    return RESP_OK;
}

int resp_reader_set_max_bulk(resp_reader *r, long long len) {
    if (len < 0) return RESP_ERROR;
    r->max_bulk = len;
    return RESP_OK;
}

int resp_reader_set_max_elements(resp_reader *r, long long n) {
    /* Maps double the count; keep that from overflowing. */
    if (n < 0 || n > (1LL << 60)) return RESP_ERROR;
    r->max_elements = n;
    return RESP_OK;
}

const char *resp_reader_error(const resp_reader *r) {
    return r->err ? r->errstr : NULL;
}

int resp_reader_feed(resp_reader *r, const char *buf, size_t len) {
    if (r->err) return RESP_ERROR;
    if (len == 0) return RESP_OK;
    /* Compact only when the unread tail is no bigger than the read head, so
     * each byte is moved O(1) times on average. */
    if (r->pos > 0 && r->len - r->pos <= r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->scan -= r->pos;
        r->pos = 0;
        if (r->len == 0 && r->cap > KEEP_BUF) {
            mem_free(r->buf);
            r->buf = NULL;
            r->cap = 0;
        }
    }
    if (r->cap - r->len < len) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap - r->len < len)
            cap *= 2;
        r->buf = mem_realloc(r->buf, cap);
        r->cap = cap;
    }
    memcpy(r->buf + r->len, buf, len);
    r->len += len;
    return RESP_OK;
}

__attribute__((format(printf, 2, 3))) static int fail(resp_reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errstr, sizeof(r->errstr), fmt, ap);
    va_end(ap);
    r->err = 1;
    discard_partial(r);
    return -1;
}

/* A byte as it may appear inside an error message. */
static const char *show_byte(char *tmp, unsigned char c) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
        snprintf(tmp, 8, "'%c'", c);
    else
        snprintf(tmp, 8, "'\\x%02x'", c);
    return tmp;
}

/* Signed decimal with an optional sign; overflow is an error. */
static int parse_ll(const char *s, size_t n, long long *out) {
    size_t i = 0;
    int neg = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return 0;
    unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 1;
}

static int parse_double(const char *s, size_t n, double *out) {
    char tmp[DOUBLE_LINE_MAX + 1];
    if (n == 0 || n > DOUBLE_LINE_MAX) return 0;
    /* strtod would skip leading blanks; the protocol allows none. */
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (memchr(s, '\0', n)) return 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n) return 0;
    *out = d;
    return 1;
}

static int is_bignum(const char *s, size_t n) {
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n) return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void **slot_attr(resp_reader *r) {
    return r->depth ? &r->stack[r->depth - 1].pending_attr : &r->top_attr;
}

static void init_task(resp_reader *r, resp_task *t, resp_type type) {
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->privdata = r->privdata;
    if (r->depth == 0 || type == RESP_T_ATTR) {
        t->parent = NULL;
        t->idx = -1;
    } else {
        struct frame *f = &r->stack[r->depth - 1];
        t->parent = &f->task;
        t->idx = f->next;
    }
}

/* Hands the pending attribute of the current slot to the value just made. */
static void give_attr(resp_reader *r, void *obj, resp_type type) {
    if (type == RESP_T_ATTR) return;
    void **a = slot_attr(r);
    if (!*a) return;
    if (r->fns.set_attribute)
        r->fns.set_attribute(obj, *a);
    else
        drop(r, *a);
    *a = NULL;
}

/* A value is finished: count it in its parent, closing every aggregate that
 * this completes; a finished attribute waits for the value it annotates. */
static void complete(resp_reader *r, void *obj, resp_type type) {
    for (;;) {
        if (type == RESP_T_ATTR) {
            void **a = slot_attr(r);
            drop(r, *a); /* two attributes in a row: the later one wins */
            *a = obj;
            return;
        }
        if (r->depth == 0) {
            r->reply = obj;
            return;
        }
        struct frame *f = &r->stack[r->depth - 1];
        if (++f->next < f->task.elements) return;
        obj = f->task.obj;
        type = f->task.type;
        f->task.obj = NULL;
        r->depth--;
    }
}

static int type_of(unsigned char c, resp_type *t) {
    switch (c) {
    case '+':
        *t = RESP_T_SIMPLE;
        break;
    case '-':
    case '!':
        *t = RESP_T_ERROR;
        break;
    case ':':
        *t = RESP_T_INT;
        break;
    case '$':
        *t = RESP_T_BULK;
        break;
    case '_':
        *t = RESP_T_NULL;
        break;
    case '*':
        *t = RESP_T_ARRAY;
        break;
    case '%':
        *t = RESP_T_MAP;
        break;
    case '~':
        *t = RESP_T_SET;
        break;
    case '>':
        *t = RESP_T_PUSH;
        break;
    case '|':
        *t = RESP_T_ATTR;
        break;
    case ',':
        *t = RESP_T_DOUBLE;
        break;
    case '#':
        *t = RESP_T_BOOL;
        break;
    case '(':
        *t = RESP_T_BIGNUM;
        break;
    case '=':
        *t = RESP_T_VERBATIM;
        break;
    default:
        return 0;
    }
    return 1;
}

/* Reads one item at r->pos. Returns 1 when it was consumed, 0 when more bytes
 * are needed, -1 on error (already recorded). */
static int read_item(resp_reader *r) {
    size_t start = r->pos;
    unsigned char tb = (unsigned char)r->buf[start];
    resp_type type;
    char tmp[8];
    if (!type_of(tb, &type))
        return fail(r, "Protocol error: invalid reply type byte %s", show_byte(tmp, tb));

    int is_line = tb == '+' || tb == '-' || tb == '(';
    size_t limit = is_line ? (size_t)r->max_bulk : tb == ',' ? DOUBLE_LINE_MAX : NUM_LINE_MAX;
    size_t from = r->scan > start + 1 ? r->scan : start + 1;
    const char *cr = memchr(r->buf + from, '\r', r->len - from);
    size_t end = cr ? (size_t)(cr - r->buf) : r->len;
    if (end - (start + 1) > limit) return fail(r, "Protocol error: line of type '%c' too long", tb);
    r->scan = end;
    if (!cr || end + 1 >= r->len) return 0;
    if (r->buf[end + 1] != '\n') return fail(r, "Protocol error: '\\r' without '\\n'");

    const char *line = r->buf + start + 1;
    size_t n = end - (start + 1);
    size_t next = end + 2;
    resp_task task;
    void *obj = NULL;
    long long v;
    double d;

    init_task(r, &task, type);
    switch (tb) {
    case '+':
    case '-':
        obj = r->fns.create_string(&task, line, n);
        break;
    case '(':
        if (!is_bignum(line, n)) return fail(r, "Protocol error: invalid big number");
        obj = r->fns.create_string(&task, line, n);
        break;
    case ':':
        if (!parse_ll(line, n, &v)) return fail(r, "Protocol error: invalid integer");
        obj = r->fns.create_integer(&task, v);
        break;
    case ',':
        if (!parse_double(line, n, &d)) return fail(r, "Protocol error: invalid double");
        obj = r->fns.create_double(&task, d, line, n);
        break;
    case '_':
        if (n != 0) return fail(r, "Protocol error: invalid null");
        obj = r->fns.create_nil(&task);
        break;
    case '#':
        if (n != 1 || (line[0] != 't' && line[0] != 'f'))
            return fail(r, "Protocol error: invalid boolean");
        obj = r->fns.create_bool(&task, line[0] == 't');
        break;
    case '$':
    case '!':
    case '=':
        if (n == 1 && line[0] == '?')
            return fail(r, "Protocol error: streamed strings are not supported");
        if (!parse_ll(line, n, &v) || v < -1 || (v == -1 && tb != '$'))
            return fail(r, "Protocol error: invalid bulk length");
        if (v == -1) {
            task.type = RESP_T_NULL;
            obj = r->fns.create_nil(&task);
            break;
        }
        if (v > r->max_bulk)
            return fail(r, "Protocol error: bulk length %lld exceeds the limit %lld", v,
                        r->max_bulk);
        if (r->len - next < 2 || r->len - next - 2 < (unsigned long long)v) return 0;
        if (r->buf[next + v] != '\r' || r->buf[next + v + 1] != '\n')
            return fail(r, "Protocol error: bulk string not followed by CRLF");
        if (tb == '=' && (v < 4 || r->buf[next + 3] != ':'))
            return fail(r, "Protocol error: invalid verbatim string");
        obj = r->fns.create_string(&task, r->buf + next, (size_t)v);
        next += (size_t)v + 2;
        break;
    default: /* aggregates */
        if (n == 1 && line[0] == '?')
            return fail(r, "Protocol error: streamed aggregates are not supported");
        if (!parse_ll(line, n, &v) || v < -1 || (v == -1 && tb != '*'))
            return fail(r, "Protocol error: invalid aggregate length");
        if (v == -1) {
            task.type = RESP_T_NULL;
            obj = r->fns.create_nil(&task);
            break;
        }
        if (v > r->max_elements)
            return fail(r, "Protocol error: aggregate of %lld elements exceeds the limit %lld", v,
                        r->max_elements);
        if (r->depth >= r->max_depth)
            return fail(r, "Protocol error: nesting deeper than %d", r->max_depth);
        task.elements = (tb == '%' || tb == '|') ? v * 2 : v;
        obj = r->fns.create_array(&task, (size_t)task.elements);
        if (!obj) return fail(r, "reply builder failed");
        give_attr(r, obj, task.type);
        r->pos = r->scan = next;
        if (task.elements == 0) {
            complete(r, obj, task.type);
        } else {
            struct frame *f = &r->stack[r->depth++];
            f->task = task;
            f->task.obj = obj;
            f->next = 0;
            f->pending_attr = NULL;
        }
        return 1;
    }
    if (!obj) return fail(r, "reply builder failed");
    give_attr(r, obj, task.type);
    r->pos = r->scan = next;
    complete(r, obj, task.type);
    return 1;
}

int resp_reader_get_reply(resp_reader *r, void **reply) {
    if (reply) *reply = NULL;
    if (r->err) return RESP_ERROR;
    while (!r->reply && r->pos < r->len) {
        int rc = read_item(r);
        if (rc < 0) return RESP_ERROR;
        if (rc == 0) break;
    }
    if (r->pos == r->len) r->pos = r->len = r->scan = 0;
    if (r->reply) {
        if (reply)
            *reply = r->reply;
        else
            drop(r, r->reply);
        r->reply = NULL;
    }
    return RESP_OK;
}
