/*
 * resp_request.c - the server's request parser (multibulk and inline).
 *
 * Called by the server's client code on its query buffer. Behaviour, error
 * texts and quirks follow Redis 7.0 byte for byte, so that a differential
 * test against redis-server sees the same replies and disconnects:
 *   - a line ends at the first '\r' and the byte after it is skipped
 *     unchecked; the two bytes after a bulk payload are skipped unchecked;
 *   - a NUL byte before the end of a line hides the line end (Redis searches
 *     with strchr), so such a line only ever ends in a "too big" error;
 *   - inline arguments are split like sdssplitargs.
 *
 * Invariants:
 *   - The resume state holds offsets into the caller's buffer, never pointers,
 *     because the buffer may move between calls; every line is scanned once.
 *   - Nothing is allocated in proportion to an announced count or length:
 *     argv grows as arguments arrive, so "*1000000\r\n" alone costs nothing.
 *   - Only buf[0..len) is read.
 */
#include "proto/resp.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/numconv.h"

enum { KIND_NONE = 0, KIND_MULTIBULK = 1, KIND_INLINE = 2 };

/* Redis refuses bigger counts and lengths before AUTH. */
#define UNAUTH_MAX_ARGS 10
#define UNAUTH_MAX_BULK 16384
/* Buffers bigger than this are given back once their command is done. */
#define KEEP_ARGS 1024
#define KEEP_SCRATCH (64 * 1024)

void resp_request_init(resp_request_parser *p) {
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = 512LL * 1024 * 1024;
    p->max_args = 1024 * 1024;
    p->max_inline_len = 64 * 1024;
    p->bulklen_ = -1;
}

void resp_request_free(resp_request_parser *p) {
    mem_free(p->argv);
    mem_free(p->argoff_);
    mem_free(p->scratch_);
    p->argv = NULL;
    p->argoff_ = NULL;
    p->scratch_ = NULL;
    p->argcap_ = 0;
    p->scratchcap_ = 0;
    p->argc = 0;
    p->kind_ = KIND_NONE;
}


static void reset_state(resp_request_parser *p) {
    p->kind_ = KIND_NONE;
    p->nul_blocked_ = 0;
    p->seen_ = 0;
    p->pos_ = 0;
    p->scan_ = 0;
    p->pending_ = 0;
    p->bulklen_ = -1;
    p->nargs_ = 0;
}

static int fail(resp_request_parser *p, const char *msg) {
    p->error = msg;
    reset_state(p);
    return RESP_ERROR;
}

/* Grows argv/argoff_ by doubling, but never past the announced total, which
 * is only trusted up to what already arrived plus the doubling step. */
static void add_arg(resp_request_parser *p, size_t off, size_t len, long long total) {
    if (p->nargs_ == p->argcap_) {
        long long cap = p->argcap_ ? (long long)p->argcap_ * 2 : 8;
        if (total > 0 && cap > total) cap = total;
        if (cap <= p->argcap_) cap = p->argcap_ + 1;
        p->argv = mem_realloc(p->argv, (size_t)cap * sizeof(*p->argv));
        p->argoff_ = mem_realloc(p->argoff_, (size_t)cap * sizeof(*p->argoff_));
        p->argcap_ = (int)cap;
    }
    p->argoff_[p->nargs_] = off;
    p->argv[p->nargs_].len = len;
    p->nargs_++;
}

static int finish(resp_request_parser *p, const char *base, size_t used, size_t *consumed) {
    for (int i = 0; i < p->nargs_; i++)
        p->argv[i].ptr = base + p->argoff_[i];
    p->argc = p->nargs_;
    *consumed = used;
    reset_state(p);
    return RESP_OK;
}

/* Looks for the '\r' that ends the line being scanned. Returns its offset
 * when the byte after it is also there; -2 when '\r' is the last byte (Redis
 * waits without a size check then); -1 when there is no end yet. */
static long long find_cr(resp_request_parser *p, const char *buf, size_t len) {
    if (p->nul_blocked_) return -1;
    size_t from = p->scan_;
    const char *cr = memchr(buf + from, '\r', len - from);
    size_t end = cr ? (size_t)(cr - buf) : len;
    if (memchr(buf + from, '\0', end - from)) {
        p->nul_blocked_ = 1;
        return -1;
    }
    p->scan_ = end;
    if (!cr) return -1;
    if (end + 1 >= len) return -2;
    return (long long)end;
}

static int parse_multibulk(resp_request_parser *p, const char *buf, size_t len, size_t *consumed) {
    long long n, cr;
    if (p->pos_ == 0) {
        cr = find_cr(p, buf, len);
        if (cr < 0) {
            if (cr == -1 && len > p->max_inline_len)
                return fail(p, "Protocol error: too big mbulk count string");
            return RESP_INCOMPLETE;
        }
        long long max = p->max_args < INT_MAX ? p->max_args : INT_MAX;
        if (!numconv_str2ll(buf + 1, (size_t)cr - 1, &n) || n > max)
            return fail(p, "Protocol error: invalid multibulk length");
        if (n > UNAUTH_MAX_ARGS && p->unauthenticated)
            return fail(p, "Protocol error: unauthenticated multibulk length");
        p->pos_ = p->scan_ = (size_t)cr + 2;
        if (n <= 0) return finish(p, buf, p->pos_, consumed);
        p->pending_ = n;
        p->bulklen_ = -1;
    }
    while (p->pending_ > 0) {
        if (p->bulklen_ < 0) {
            cr = find_cr(p, buf, len);
            if (cr < 0) {
                if (cr == -1 && len - p->pos_ > p->max_inline_len)
                    return fail(p, "Protocol error: too big bulk count string");
                return RESP_INCOMPLETE;
            }
            if (buf[p->pos_] != '$') {
                /* Redis turns CR and LF in error texts into spaces. */
                char c = buf[p->pos_];
                if (c == '\r' || c == '\n') c = ' ';
                snprintf(p->errbuf_, sizeof(p->errbuf_), "Protocol error: expected '$', got '%c'",
                         c);
                return fail(p, p->errbuf_);
            }
            if (!numconv_str2ll(buf + p->pos_ + 1, (size_t)cr - p->pos_ - 1, &n) || n < 0 ||
                n > p->max_bulk_len)
                return fail(p, "Protocol error: invalid bulk length");
            if (n > UNAUTH_MAX_BULK && p->unauthenticated)
                return fail(p, "Protocol error: unauthenticated bulk length");
            p->pos_ = p->scan_ = (size_t)cr + 2;
            p->bulklen_ = n;
        }
        size_t avail = len - p->pos_;
        if (avail < 2 || avail - 2 < (unsigned long long)p->bulklen_) return RESP_INCOMPLETE;
        add_arg(p, p->pos_, (size_t)p->bulklen_, p->nargs_ + p->pending_);
        p->pos_ += (size_t)p->bulklen_ + 2;
        p->scan_ = p->pos_;
        p->bulklen_ = -1;
        p->pending_--;
    }
    return finish(p, buf, p->pos_, consumed);
}

/* isspace() in the C locale, which is what Redis runs its splitter under. */
static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_val(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Splits s[0..n) into arguments with sdssplitargs' rules, unquoted into
 * p->scratch_ (output never outgrows input). The line holds no NUL (see
 * find_cr), so "end of line" plays the part of sdssplitargs' terminator.
 * Returns 0, or -1 on unbalanced quotes. */
static int split_inline(resp_request_parser *p, const unsigned char *s, size_t n) {
    if (p->scratchcap_ < n) {
        mem_free(p->scratch_);
        p->scratch_ = mem_alloc(n);
        p->scratchcap_ = n;
    }
    char *out = p->scratch_;
    size_t i = 0, o = 0;
    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n) return 0;
        size_t start = o;
        int dq = 0, sq = 0, done = 0;
        while (!done) {
            if (dq) {
                if (i >= n) return -1;
                if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hex_val(s[i + 2]) >= 0 &&
                    hex_val(s[i + 3]) >= 0) {
                    out[o++] = (char)(hex_val(s[i + 2]) * 16 + hex_val(s[i + 3]));
                    i += 3;
                } else if (s[i] == '\\' && i + 1 < n) {
                    i++;
                    switch (s[i]) {
                    case 'n':
                        out[o++] = '\n';
                        break;
                    case 'r':
                        out[o++] = '\r';
                        break;
                    case 't':
                        out[o++] = '\t';
                        break;
                    case 'b':
                        out[o++] = '\b';
                        break;
                    case 'a':
                        out[o++] = '\a';
                        break;
                    default:
                        out[o++] = (char)s[i];
                        break;
                    }
                } else if (s[i] == '"') {
                    if (i + 1 < n && !is_space(s[i + 1])) return -1;
                    done = 1;
                } else {
                    out[o++] = (char)s[i];
                }
            } else if (sq) {
                if (i >= n) return -1;
                if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\'') {
                    i++;
                    out[o++] = '\'';
                } else if (s[i] == '\'') {
                    if (i + 1 < n && !is_space(s[i + 1])) return -1;
                    done = 1;
                } else {
                    out[o++] = (char)s[i];
                }
            } else if (i >= n) {
                done = 1;
            } else {
                switch (s[i]) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                    done = 1;
                    break;
                case '"':
                    dq = 1;
                    break;
                case '\'':
                    sq = 1;
                    break;
                default:
                    out[o++] = (char)s[i];
                    break;
                }
            }
            if (i < n) i++;
        }
        add_arg(p, start, o - start, 0);
    }
}

static int parse_inline(resp_request_parser *p, const char *buf, size_t len, size_t *consumed) {
    const char *nl = NULL;
    if (!p->nul_blocked_) {
        size_t from = p->scan_;
        nl = memchr(buf + from, '\n', len - from);
        size_t end = nl ? (size_t)(nl - buf) : len;
        if (memchr(buf + from, '\0', end - from)) {
            p->nul_blocked_ = 1;
            nl = NULL;
        }
        p->scan_ = end;
    }
    if (!nl) {
        if (len > p->max_inline_len) return fail(p, "Protocol error: too big inline request");
        return RESP_INCOMPLETE;
    }
    size_t end = (size_t)(nl - buf);
    size_t linelen = end;
    if (linelen > 0 && buf[linelen - 1] == '\r') linelen--;
    if (split_inline(p, (const unsigned char *)buf, linelen) < 0)
        return fail(p, "Protocol error: unbalanced quotes in request");
    return finish(p, p->scratch_, end + 1, consumed);
}

int resp_request_parse(resp_request_parser *p, const char *buf, size_t len, size_t *consumed) {
    *consumed = 0;
    p->argc = 0;
    p->error = NULL;
    /* The contract is that data is only ever appended; if the buffer shrank,
     * offsets could point past its end, so start the command over. */
    if (p->kind_ != KIND_NONE && len < p->seen_) reset_state(p);
    if (p->kind_ == KIND_NONE) {
        if (p->argcap_ > KEEP_ARGS) {
            mem_free(p->argv);
            mem_free(p->argoff_);
            p->argv = NULL;
            p->argoff_ = NULL;
            p->argcap_ = 0;
        }
        if (p->scratchcap_ > KEEP_SCRATCH) {
            mem_free(p->scratch_);
            p->scratch_ = NULL;
            p->scratchcap_ = 0;
        }
        if (len == 0) return RESP_INCOMPLETE;
        reset_state(p);
        p->kind_ = buf[0] == '*' ? KIND_MULTIBULK : KIND_INLINE;
    }
    p->seen_ = len;
    if (p->kind_ == KIND_MULTIBULK) return parse_multibulk(p, buf, len, consumed);
    return parse_inline(p, buf, len, consumed);
}

size_t resp_request_pending_bulk(const resp_request_parser *p) {
    if (p->kind_ != KIND_MULTIBULK || p->bulklen_ < 0) return 0;
    size_t need = p->pos_ + (size_t)p->bulklen_ + 2;
    return need > p->seen_ ? need - p->seen_ : 0;
}
