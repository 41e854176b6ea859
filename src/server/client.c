/*
 * client.c - client lifecycle, input, output and limits (see client.h).
 *
 * Input: bytes are read into qbuf; the RESP request parser finds whole
 * commands in it and hands out argument slices that point into qbuf, so
 * arguments are never copied. qbuf is compacted only between commands,
 * never while a command's slices are in use.
 *
 * Output: replies are queued by reply.c; the client goes on the
 * pending-write list and before-sleep writes it with writev. Only what the
 * socket refuses waits for a writable event.
 *
 * Freeing: code running inside a command only ever marks a client
 * (client_close_async); the before-sleep hook frees it.
 */
#include "server/client.h"

#include "server/acl.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ds/mem.h"
#include "server/blocking.h"
#include "server/clock.h"
#include "server/multi.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/exec.h"
#include "server/log.h"
#include "server/net.h"
#include "server/protect.h"
#include "server/pubsub.h"
#include "server/tracking.h"
#include "server/reply.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/tls.h"

#define READ_CHUNK (16 * 1024)
#define MAX_ACCEPTS_PER_CALL 1000
#define WRITE_MAX_PER_EVENT (64 * 1024 * 1024)
#define IOV_BATCH 64

static client *clients_head;
static size_t clients_count;
static client *pending_writes;
/* Clients whose output waits for the log; unordered, scanned when the
 * log's acknowledged LSN moves. */
static client *held_head;

/* id -> client, so CLIENT KILL ID, redirects and invalidations find a client
 * without a scan. */
static const char *id_node_key(const dict_node *n, size_t *len) {
    const client *c = (const client *)((const char *)n - offsetof(client, id_node));
    *len = sizeof c->id;
    return (const char *)&c->id;
}
static const dict_ops id_index_ops = {.key = id_node_key};
static dict id_index;
static int id_index_ready;

static void id_index_add(client *c) {
    if (!id_index_ready) {
        dict_init(&id_index, &id_index_ops);
        id_index_ready = 1;
    }
    dict_insert(&id_index, &c->id_node, dict_hash((const char *)&c->id, sizeof c->id));
}

static void id_index_remove(client *c) {
    if (id_index_ready)
        dict_remove(&id_index, (const char *)&c->id, sizeof c->id,
                    dict_hash((const char *)&c->id, sizeof c->id));
}
static client *paused_head;
static client *monitors[1024];
static int monitor_count;
static uint64_t next_client_id = 1;
static int pause_mode;
static long long pause_until_ms;

static void on_readable(loop *l, int fd, void *data, int mask);
static void process_input(client *c);
void client_check_obuf_limits(client *c);

uint64_t client_next_id(void) {
    return next_client_id;
}

size_t client_count(void) {
    return clients_count;
}

size_t client_blocked_count(void) {
    return blocking_client_count();
}

static void format_addr(client *c, int is_unix) {
    if (is_unix) {
        snprintf(c->addr, sizeof c->addr, "%s:0", cfg->unixsocket ? cfg->unixsocket : "");
        snprintf(c->laddr, sizeof c->laddr, "%s:0", cfg->unixsocket ? cfg->unixsocket : "");
        return;
    }
    if (net_format_peer(c->fd, c->addr, sizeof c->addr) < 0) strcpy(c->addr, "?:0");
    if (net_format_local(c->fd, c->laddr, sizeof c->laddr) < 0) strcpy(c->laddr, "?:0");
}

client *client_create(int fd, int kind) {
    int is_unix = kind == CONN_UNIX;
    if ((long long)clients_count >= cfg->maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        /* Best effort: the socket is new, its buffer is empty. A TLS peer
         * could not read plain text: it only sees the close. */
        if (kind != CONN_TLS && write(fd, msg, sizeof msg - 1) < 0) {
        }
        close(fd);
        stats.rejected_connections++;
        return NULL;
    }
    if (!protect_admit(fd, kind)) return NULL;
    client *c = mem_calloc(sizeof *c);
    c->fd = fd;
    c->id = next_client_id++;
    c->resp = 2;
    c->dbid = 0;
    c->db = db_get(0);
    c->authenticated = acl_default_autoauth();
    c->ctime_ms = c->last_interaction_ms = clock_now_ms();
    if (is_unix) c->flags |= CLIENT_UNIX;
    resp_request_init(&c->parser);
    c->parser.max_bulk_len = cfg->proto_max_bulk_len;
    c->parser.max_args = cfg->proto_max_args;
    c->parser.unauthenticated = !c->authenticated;
    if (!is_unix) {
        net_set_nodelay(fd, 1);
        if (cfg->tcp_keepalive > 0) net_set_keepalive(fd, cfg->tcp_keepalive);
    }
    /* CONFIG SET maxclients may have raised the limit past the loop's size. */
    if (fd >= loop_max_fds(server_loop())) loop_resize(server_loop(), fd + 1024);
    if (kind == CONN_TLS && !(c->tls = tls_conn_new(fd, c))) {
        close(fd);
        resp_request_free(&c->parser);
        mem_free(c);
        return NULL;
    }
    if (loop_watch(server_loop(), fd, LOOP_READABLE, client_on_event, c) < 0) {
        log_msg(LOG_WARNING, "Error registering fd event for the new client: %s", strerror(errno));
        tls_conn_free(c->tls);
        close(fd);
        resp_request_free(&c->parser);
        mem_free(c);
        return NULL;
    }
    format_addr(c, is_unix);
    c->next = clients_head;
    if (clients_head) clients_head->prev = c;
    clients_head = c;
    clients_count++;
    id_index_add(c);
    stats.total_connections_received++;
    return c;
}

void client_accept_handler(int listen_fd, int kind) {
    char err[NET_ERR_LEN];
    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        int fd = net_accept(listen_fd, err);
        if (fd < 0) {
            if (errno != EAGAIN) log_msg(LOG_VERBOSE, "Accepting client connection: %s", err);
            return;
        }
        client_create(fd, kind);
    }
}

static void list_remove_pending(client *c) {
    for (client **p = &pending_writes; *p; p = &(*p)->pending_next) {
        if (*p == c) {
            *p = c->pending_next;
            break;
        }
    }
    c->flags &= ~CLIENT_PENDING_WRITE;
}

static void list_remove_held(client *c) {
    for (client **p = &held_head; *p; p = &(*p)->held_next) {
        if (*p == c) {
            *p = c->held_next;
            break;
        }
    }
    c->flags &= ~CLIENT_HELD;
}

static void list_remove_paused(client *c) {
    for (client **p = &paused_head; *p; p = &(*p)->paused_next) {
        if (*p == c) {
            *p = c->paused_next;
            break;
        }
    }
    c->flags &= ~CLIENT_PAUSED;
}

void client_remove_monitor(client *c) {
    for (int i = 0; i < monitor_count; i++) {
        if (monitors[i] == c) {
            monitors[i] = monitors[--monitor_count];
            break;
        }
    }
    c->flags &= ~CLIENT_MONITOR;
}

/* Frees a drained block, or keeps it as the client's spare. */
static void release_block(client *c, reply_block *b) {
    if (!c->spare && b->size == REPLY_BLOCK_SIZE && !(c->flags & CLIENT_CLOSE_ASAP)) {
        c->spare = b;
        return;
    }
    mem_free(b);
}

static void free_replies(client *c) {
    reply_block *b = c->reply_head;
    while (b) {
        reply_block *next = b->next;
        release_block(c, b);
        b = next;
    }
    c->reply_head = c->reply_tail = NULL;
    c->reply_bytes = 0;
    c->reply_blocks = 0;
    c->sent_in_head = 0;
}

client *client_create_internal(void) {
    client *c = mem_calloc(sizeof *c);
    c->fd = -1;
    c->id = next_client_id++;
    c->resp = 2;
    c->db = db_get(0);
    c->authenticated = 1;
    c->flags = CLIENT_REPLY_OFF;
    c->ctime_ms = c->last_interaction_ms = clock_now_ms();
    resp_request_init(&c->parser);
    return c;
}

void client_free_internal(client *c) {
    multi_client_reset(c);
    free_replies(c);
    mem_free(c->spare);
    resp_request_free(&c->parser);
    mem_free(c->name);
    mem_free(c);
}

void client_drain_replies(client *c, resp_buf *out) {
    for (reply_block *b = c->reply_head; b; b = b->next) resp_buf_append(out, b->buf, b->used);
    free_replies(c);
}

void client_free(client *c) {
    blocking_forget_client(c);
    multi_client_reset(c);
    if (c->fd >= 0) {
        loop_watch(server_loop(), c->fd, LOOP_NONE, NULL, NULL);
        if (c->tls) tls_conn_free(c->tls);
        close(c->fd);
    }
    if (c->flags & CLIENT_PENDING_WRITE) list_remove_pending(c);
    if (c->flags & CLIENT_HELD) list_remove_held(c);
    if (c->flags & CLIENT_PAUSED) list_remove_paused(c);
    if (c->flags & CLIENT_MONITOR) client_remove_monitor(c);
    pubsub_unsubscribe_all(c);
    tracking_client_gone(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        clients_head = c->next;
    if (c->next) c->next->prev = c->prev;
    clients_count--;
    id_index_remove(c);
    free_replies(c);
    mem_free(c->spare);
    resp_request_free(&c->parser);
    mem_free(c->qbuf);
    mem_free(c->name);
    mem_free(c);
}

void client_close_async(client *c) {
    if (c->flags & CLIENT_CLOSE_ASAP) return;
    c->flags |= CLIENT_CLOSE_ASAP;
    /* The pending-write pass is where closing clients are collected. */
    if (!(c->flags & CLIENT_PENDING_WRITE)) {
        c->flags |= CLIENT_PENDING_WRITE;
        c->pending_next = pending_writes;
        pending_writes = c;
    }
}

void client_request_write(client *c) {
    if (c->flags & CLIENT_PENDING_WRITE) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_next = pending_writes;
    pending_writes = c;
}

size_t client_output_bytes(const client *c) {
    return c->reply_bytes;
}

int client_obuf_class(const client *c) {
    return (c->flags & CLIENT_PUBSUB) ? OBUF_PUBSUB : OBUF_NORMAL;
}

/* Hard limit: close at once. Soft limit: close when exceeded continuously
 * for soft_seconds. The check runs when a reply grows by a block and from
 * the cron, so a client that stays over the soft limit without new output
 * is still caught. */
void client_check_obuf_limits(client *c) {
    const obuf_limit *lim = &cfg->obuf[client_obuf_class(c)];
    size_t used = c->reply_bytes;
    int over = 0;
    if (lim->hard && used >= (size_t)lim->hard) {
        over = 1;
    } else if (lim->soft && used >= (size_t)lim->soft) {
        long long now = clock_now_ms();
        if (!c->obuf_soft_since_ms)
            c->obuf_soft_since_ms = now;
        else if (now - c->obuf_soft_since_ms >= lim->soft_seconds * 1000)
            over = 1;
    } else {
        c->obuf_soft_since_ms = 0;
    }
    if (over && !(c->flags & CLIENT_CLOSE_ASAP)) {
        log_msg(LOG_WARNING, "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of "
                "output buffer limits.", (unsigned long long)c->id, c->addr);
        stats.client_outbuf_limit_disconnections++;
        client_close_async(c);
    }
}

/* --- reading --- */

static void on_readable(loop *l, int fd, void *data, int mask);
static void on_writable(loop *l, int fd, void *data, int mask);

void client_on_event(loop *l, int fd, void *data, int mask) {
    client *c = data;
    /* TLS: the handshake, and reads that wait for writability, first. */
    if (c->tls && !(mask = tls_conn_event(c, mask))) return;
    if (mask & LOOP_READABLE) on_readable(l, fd, data, mask);
    else if (mask & LOOP_WRITABLE) on_writable(l, fd, data, mask);
}

static void on_readable(loop *l, int fd, void *data, int mask) {
    (void)l;
    (void)fd;
    (void)mask;
    client *c = data;
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY)) return;
    /* Its command is still running (a busy script serves the loop from
     * inside it): the client must not be read, or freed on EOF, under it. */
    if (c->flags & CLIENT_IN_CALL) return;
    /* A big bulk in progress: read exactly what it still needs so its
     * bytes land in one place with no further growth. */
    size_t want = READ_CHUNK;
    size_t pending = resp_request_pending_bulk(&c->parser);
    if (pending > want) want = pending;
    if (c->qcap - c->qlen < want) {
        size_t ncap = c->qlen + want;
        if (ncap < c->qcap * 2 && pending <= READ_CHUNK) ncap = c->qcap * 2;
        c->qbuf = mem_realloc(c->qbuf, ncap);
        c->qcap = ncap;
    }
    ssize_t n = c->tls ? tls_read(c, c->qbuf + c->qlen, c->qcap - c->qlen)
                       : read(c->fd, c->qbuf + c->qlen, c->qcap - c->qlen);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        log_msg(LOG_VERBOSE, "Reading from client: %s", strerror(errno));
        client_free(c); /* not inside a command: safe to free now */
        return;
    }
    if (n == 0) {
        log_msg(LOG_VERBOSE, "Client closed connection id=%llu addr=%s",
                (unsigned long long)c->id, c->addr);
        /* Freed at once, so its slot counts for maxclients right away. */
        client_free(c);
        return;
    }
    c->qlen += (size_t)n;
    if (c->qlen > c->qbuf_peak) c->qbuf_peak = c->qlen;
    c->net_in_bytes += n;
    stats.net_input_bytes += n;
    stats.io_reads_processed++;
    c->last_interaction_ms = clock_now_ms();
    if ((long long)(c->qlen - c->qpos) > cfg->client_query_buffer_limit) {
        log_msg(LOG_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s "
                "qbuf=%zu", (unsigned long long)c->id, c->addr, c->qlen - c->qpos);
        stats.client_qbuf_limit_disconnections++;
        client_close_async(c);
        return;
    }
    process_input(c);
    if (c->tls) tls_after_read(c);
}

/* Runs every complete command in the query buffer. Stops early when the
 * client is paused, closing, or has switched to a mode that stops input. */
static void process_input(client *c) {
    while (c->qpos < c->qlen) {
        if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY | CLIENT_PAUSED |
                        CLIENT_BLOCKED))
            break;
        size_t consumed = 0;
        int r = resp_request_parse(&c->parser, c->qbuf + c->qpos, c->qlen - c->qpos, &consumed);
        if (r == RESP_INCOMPLETE) break;
        if (r == RESP_ERROR) {
            char msg[256];
            snprintf(msg, sizeof msg, "ERR %s", c->parser.error);
            reply_error(c, msg);
            log_msg(LOG_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s",
                    c->parser.error, (unsigned long long)c->id, c->addr);
            c->flags |= CLIENT_CLOSE_AFTER_REPLY;
            c->qpos = c->qlen;
            break;
        }
        if (c->parser.argc > 0) {
            c->argc = c->parser.argc;
            c->argv = c->parser.argv;
            int r2 = exec_command(c);
            if (r2 == EXEC_PAUSED || r2 == EXEC_BLOCKED) {
                c->argc = 0;
                c->argv = NULL;
                break; /* the command stays in the buffer: unpause or wake-up runs it */
            }
            c->argc = 0;
            c->argv = NULL;
        }
        c->qpos += consumed;
    }
    if (c->qpos == c->qlen) {
        c->qpos = c->qlen = 0;
    } else if (c->qpos > 0 && !(c->flags & CLIENT_PAUSED)) {
        /* Only between commands: the parser keeps offsets relative to the
         * unconsumed start, so moving the bytes is safe. */
        memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
        c->qlen -= c->qpos;
        c->qpos = 0;
    }
}

int client_rerun_current_command(client *c) {
    size_t consumed = 0;
    if (resp_request_parse(&c->parser, c->qbuf + c->qpos, c->qlen - c->qpos, &consumed) != RESP_OK ||
        c->parser.argc == 0)
        return EXEC_DONE; /* cannot happen: the command was whole when it blocked */
    c->argc = c->parser.argc;
    c->argv = c->parser.argv;
    int r = exec_command(c);
    c->argc = 0;
    c->argv = NULL;
    return r;
}

void client_skip_current_command(client *c) {
    size_t consumed = 0;
    if (resp_request_parse(&c->parser, c->qbuf + c->qpos, c->qlen - c->qpos, &consumed) == RESP_OK)
        c->qpos += consumed;
}

void client_resume_input(client *c) {
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)) return;
    process_input(c);
}

/* --- writing --- */

/* Writes as much queued output as the socket takes. Returns 0 when all
 * output is gone, 1 when some remains, -1 on a write error. */
static int write_output(client *c) {
    size_t total = 0;
    while (c->reply_head && total < WRITE_MAX_PER_EVENT) {
        struct iovec iov[IOV_BATCH];
        int n = 0;
        size_t offset = c->sent_in_head;
        for (reply_block *b = c->reply_head; b && n < IOV_BATCH; b = b->next) {
            if (b->used > offset) {
                iov[n].iov_base = b->buf + offset;
                iov[n].iov_len = b->used - offset;
                n++;
            }
            offset = 0;
        }
        if (n == 0) {
            free_replies(c);
            break;
        }
        ssize_t w = c->tls ? tls_writev(c, iov, n) : writev(c->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) return 1;
            log_msg(LOG_VERBOSE, "Error writing to client: %s", strerror(errno));
            return -1;
        }
        total += (size_t)w;
        c->net_out_bytes += w;
        stats.net_output_bytes += w;
        c->reply_bytes -= (size_t)w;
        /* Drop fully written blocks. */
        size_t left = (size_t)w;
        while (c->reply_head && left) {
            reply_block *b = c->reply_head;
            size_t rem = b->used - c->sent_in_head;
            if (left < rem) {
                c->sent_in_head += left;
                left = 0;
                break;
            }
            left -= rem;
            c->reply_head = b->next;
            c->sent_in_head = 0;
            c->reply_blocks--;
            release_block(c, b);
        }
        if (!c->reply_head) c->reply_tail = NULL;
        /* Skip drained empty blocks at the head. */
        while (c->reply_head && c->reply_head->used == c->sent_in_head && c->reply_head != c->reply_tail) {
            reply_block *b = c->reply_head;
            c->reply_head = b->next;
            c->sent_in_head = 0;
            c->reply_blocks--;
            release_block(c, b);
        }
        if ((size_t)w < iov[0].iov_len) return 1; /* socket full */
    }
    stats.io_writes_processed++;
    if (c->reply_head && c->reply_bytes) return 1;
    free_replies(c);
    return 0;
}

static void after_write(client *c, int r) {
    if (r < 0) {
        client_close_async(c);
        return;
    }
    int mask = LOOP_READABLE | (r ? LOOP_WRITABLE : 0);
    if (r == 0 && (c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        client_close_async(c);
        return;
    }
    if (loop_mask(server_loop(), c->fd) != mask)
        loop_watch(server_loop(), c->fd, mask, client_on_event, c);
}

static void on_writable(loop *l, int fd, void *data, int mask) {
    (void)l;
    (void)fd;
    (void)mask;
    client *c = data;
    if (c->flags & CLIENT_HELD) {
        /* Released by before-sleep once the log catches up. */
        loop_watch(server_loop(), c->fd, LOOP_READABLE, client_on_event, c);
        return;
    }
    after_write(c, write_output(c));
}

static void hold(client *c, uint64_t lsn) {
    c->wait_lsn = lsn;
    if (c->flags & CLIENT_HELD) return;
    c->flags |= CLIENT_HELD;
    c->held_next = held_head;
    held_head = c;
}

/* Moves clients whose awaited LSN is acknowledged to the pending list. */
static void release_held(uint64_t acked) {
    static uint64_t last_acked;
    if (!held_head) return;
    if (acked == last_acked) return;
    last_acked = acked;
    for (client **p = &held_head; *p;) {
        client *c = *p;
        if (c->wait_lsn <= acked) {
            *p = c->held_next;
            c->flags &= ~CLIENT_HELD;
            if (!(c->flags & CLIENT_PENDING_WRITE)) {
                c->flags |= CLIENT_PENDING_WRITE;
                c->pending_next = pending_writes;
                pending_writes = c;
            }
        } else {
            p = &c->held_next;
        }
    }
}

void client_before_sleep(uint64_t observed_lsn, uint64_t acked_lsn) {
    /* Resume clients whose pause ended before writing, so their replies
     * leave in this same pass. */
    if (pause_mode != PAUSE_OFF && clock_now_ms() >= pause_until_ms) client_unpause();
    release_held(acked_lsn);
    int must_wait = acked_lsn < observed_lsn;
    while (pending_writes) {
        client *c = pending_writes;
        pending_writes = c->pending_next;
        c->flags &= ~CLIENT_PENDING_WRITE;
        if (c->flags & CLIENT_CLOSE_ASAP) {
            client_free(c);
            continue;
        }
        if (must_wait && c->reply_bytes) {
            hold(c, observed_lsn);
            continue;
        }
        if (c->flags & CLIENT_HELD) continue; /* waits for an earlier LSN */
        after_write(c, write_output(c));
        if (c->flags & CLIENT_CLOSE_ASAP) {
            /* after_write queued it again; free it now. */
            list_remove_pending(c);
            client_free(c);
        }
    }
}

void client_cron(void) {
    long long now = clock_now_ms();
    client *next;
    for (client *c = clients_head; c; c = next) {
        next = c->next;
        if (c->flags & CLIENT_CLOSE_ASAP) continue;
        if (cfg->timeout > 0 &&
            !(c->flags & (CLIENT_PUBSUB | CLIENT_MONITOR | CLIENT_PAUSED | CLIENT_BLOCKED)) &&
            now - c->last_interaction_ms > (long long)cfg->timeout * 1000) {
            log_msg(LOG_VERBOSE, "Closing idle client");
            client_close_async(c);
            continue;
        }
        if (c->reply_bytes) client_check_obuf_limits(c);
        /* Give back the buffers of idle clients. */
        if (c->spare && now - c->last_interaction_ms > 2000) {
            mem_free(c->spare);
            c->spare = NULL;
        }
        if (c->qcap > 64 * 1024 && c->qlen == 0 && now - c->last_interaction_ms > 2000) {
            mem_free(c->qbuf);
            c->qbuf = NULL;
            c->qcap = 0;
        }
    }
}

void client_free_all(void) {
    while (clients_head) client_free(clients_head);
    if (id_index_ready) {
        dict_clear(&id_index, NULL, NULL);
        id_index_ready = 0;
    }
    pending_writes = NULL;
    paused_head = NULL;
    monitor_count = 0;
}

client *client_by_id(uint64_t id) {
    if (!id_index_ready) return NULL;
    dict_node *n = dict_find(&id_index, (const char *)&id, sizeof id,
                             dict_hash((const char *)&id, sizeof id));
    return n ? (client *)((char *)n - offsetof(client, id_node)) : NULL;
}

void client_foreach(void (*fn)(client *c, void *arg), void *arg) {
    client *next;
    for (client *c = clients_head; c; c = next) {
        next = c->next;
        fn(c, arg);
    }
}

int client_select(client *c, int id) {
    db *d = db_get(id);
    if (!d) return -1;
    c->db = d;
    c->dbid = id;
    return 0;
}

/* --- CLIENT LIST line --- */

static void flags_string(const client *c, char *out) {
    char *p = out;
    if (c->flags & CLIENT_MONITOR) *p++ = 'O';
    if (c->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & CLIENT_BLOCKED) *p++ = 'b';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_UNIX) *p++ = 'U';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (c->flags & CLIENT_NO_TOUCH) *p++ = 'T';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

char *client_info_line(client *c) {
    char flags[16], events[3] = {0};
    int mask = loop_mask(server_loop(), c->fd), e = 0;
    if (mask & LOOP_READABLE) events[e++] = 'r';
    if (mask & LOOP_WRITABLE) events[e++] = 'w';
    flags_string(c, flags);
    long long now = clock_now_ms();
    size_t argv_mem = 0;
    for (int i = 0; i < c->argc; i++) argv_mem += c->argv[i].len;
    size_t omem = 0;
    for (reply_block *b = c->reply_head; b; b = b->next) omem += mem_usable(b);
    size_t tot = sizeof(client) + mem_usable(c->qbuf) + omem + argv_mem;
    size_t reply_first = c->reply_head ? c->reply_head->used : 0;
    size_t room = 1024 + (c->name ? strlen(c->name) : 0) + strlen(acl_client_username(c));
    char *line = mem_alloc(room);
    snprintf(line, room,
             "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%zu psub=%zu "
             "ssub=%zu multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=0 rbs=%d rbp=%d obl=%zu "
             "oll=%zu omem=%zu tot-mem=%zu events=%s cmd=%s user=%s redir=-1 resp=%d",
             (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
             (now - c->ctime_ms) / 1000, (now - c->last_interaction_ms) / 1000, flags, c->dbid,
             pubsub_client_channels(c), pubsub_client_patterns(c), pubsub_client_shard_channels(c),
             multi_queued_count(c), c->qlen - c->qpos, c->qcap - c->qlen, argv_mem, 16 * 1024, 16 * 1024,
             reply_first, c->reply_blocks > 1 ? c->reply_blocks - 1 : 0, omem, tot, events,
             c->lastcmd ? c->lastcmd->fullname : "NULL", acl_client_username(c), c->resp);
    return line;
}

/* --- CLIENT PAUSE --- */

void client_pause(int mode, long long until_ms) {
    /* A new pause never weakens one in force (Redis: the stricter mode and
     * the later end win). */
    if (mode > pause_mode) pause_mode = mode;
    if (until_ms > pause_until_ms) pause_until_ms = until_ms;
}

void client_unpause(void) {
    pause_mode = PAUSE_OFF;
    pause_until_ms = 0;
    while (paused_head) {
        client *c = paused_head;
        paused_head = c->paused_next;
        c->flags &= ~CLIENT_PAUSED;
        process_input(c);
    }
}

int client_pause_mode(void) {
    if (pause_mode != PAUSE_OFF && clock_now_ms() >= pause_until_ms) return PAUSE_OFF;
    return pause_mode;
}

void client_park_paused(client *c) {
    if (c->flags & CLIENT_PAUSED) return;
    c->flags |= CLIENT_PAUSED;
    c->pause_since_ms = clock_now_ms();
    c->paused_next = paused_head;
    paused_head = c;
}

/* --- MONITOR --- */

int client_add_monitor(client *c) {
    if (monitor_count == (int)(sizeof monitors / sizeof monitors[0])) return -1;
    monitors[monitor_count++] = c;
    c->flags |= CLIENT_MONITOR;
    return 0;
}

/* Appends a quoted, escaped argument as MONITOR shows it. */
static size_t repr_arg(char *out, const char *p, size_t len) {
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case '"': out[o++] = '\\'; out[o++] = '"'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '\a': out[o++] = '\\'; out[o++] = 'a'; break;
        case '\b': out[o++] = '\\'; out[o++] = 'b'; break;
        default:
            if (ch >= 32 && ch < 127) {
                out[o++] = (char)ch;
            } else {
                o += (size_t)sprintf(out + o, "\\x%02x", ch);
            }
        }
    }
    out[o++] = '"';
    return o;
}

void client_feed_monitors(client *c, int argc, const resp_arg *argv) {
    if (!monitor_count) return;
    size_t cap = 128;
    for (int i = 0; i < argc; i++) cap += argv[i].len * 4 + 3;
    char *line = mem_alloc(cap);
    long long us = clock_now_us();
    size_t n = (size_t)sprintf(line, "+%lld.%06lld [%d %s%s]", us / 1000000, us % 1000000, c->dbid,
                               (c->flags & CLIENT_UNIX) ? "unix:" : "",
                               (c->flags & CLIENT_UNIX) ? (cfg->unixsocket ? cfg->unixsocket : "")
                                                        : c->addr);
    for (int i = 0; i < argc; i++) {
        line[n++] = ' ';
        n += repr_arg(line + n, argv[i].ptr, argv[i].len);
    }
    line[n++] = '\r';
    line[n++] = '\n';
    for (int i = 0; i < monitor_count; i++) reply_raw(monitors[i], line, n);
    mem_free(line);
}
