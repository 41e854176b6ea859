/*
 * cli_pipe.c - --pipe: mass insertion. stdin is RESP (or inline commands)
 * sent as it is while the replies are read and counted at the same time, so
 * neither side's buffers fill up. At the end of stdin an ECHO of a random
 * marker is sent: its reply is known to be the last, so every reply before it
 * has been counted. Error replies are printed to stderr and make the exit
 * code 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/* Stop reading stdin while this much is waiting to be written. */
#define PIPE_OUT_HIGH (1u << 20)
#define PIPE_MARK_LEN 20

typedef struct pipe_state {
    int fd;
    cli_buf out;
    size_t out_pos;
    int stdin_done, mark_sent, mark_seen;
    char mark[PIPE_MARK_LEN + 1];
    long long replies, errors;
    pdb_parser *parser;
} pipe_state;

static void make_mark(char *mark) {
    static const char hex[] = "0123456789abcdef";
    unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    for (int i = 0; i < PIPE_MARK_LEN; i++) {
        seed = seed * 1103515245u + 12345u;
        mark[i] = hex[(seed >> 16) & 15];
    }
    mark[PIPE_MARK_LEN] = '\0';
}

static void queue_mark(pipe_state *p) {
    cli_buf_addf(&p->out, "*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n", PIPE_MARK_LEN, p->mark);
    p->mark_sent = 1;
    printf("All data transferred. Waiting for the last reply...\n");
    fflush(stdout);
}

static int read_stdin(pipe_state *p) {
    char chunk[65536];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        p->stdin_done = 1;
        return 0;
    }
    cli_buf_add(&p->out, chunk, (size_t)n);
    return 0;
}

static int write_out(pipe_state *p) {
    ssize_t n = write(p->fd, p->out.p + p->out_pos, p->out.len - p->out_pos);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    p->out_pos += (size_t)n;
    if (p->out_pos == p->out.len) p->out.len = p->out_pos = 0;
    return 0;
}

static void count_reply(pipe_state *p, pdb_reply *r) {
    pdb_view v = pdb_reply_view(r);
    int type = pdb_reply_type(r);
    if (p->mark_sent && type == PDB_REPLY_STRING && v.len == PIPE_MARK_LEN &&
        memcmp(v.ptr, p->mark, PIPE_MARK_LEN) == 0) {
        p->mark_seen = 1;
        return;
    }
    p->replies++;
    if (type == PDB_REPLY_ERROR) {
        p->errors++;
        fprintf(stderr, "%.*s\n", (int)v.len, v.ptr);
    }
}

static int read_replies(pipe_state *p) {
    char chunk[65536];
    ssize_t n = read(p->fd, chunk, sizeof chunk);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    if (pdb_parser_feed(p->parser, chunk, (size_t)n) != PDB_OK) return -1;
    for (;;) {
        void *obj = NULL;
        if (pdb_parser_get(p->parser, &obj) != PDB_OK) return -1;
        if (!obj) return 0;
        count_reply(p, obj);
        pdb_reply_free(obj);
    }
}

/* One round of poll: stdin when there is room, the socket both ways. */
static int pipe_step(pipe_state *p) {
    struct pollfd fds[2];
    int nfds = 0, want_stdin = !p->stdin_done && p->out.len - p->out_pos < PIPE_OUT_HIGH;
    fds[nfds++] = (struct pollfd){p->fd, POLLIN | (p->out.len > p->out_pos ? POLLOUT : 0), 0};
    if (want_stdin) fds[nfds++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    if (poll(fds, (nfds_t)nfds, -1) < 0) return errno == EINTR ? 0 : -1;
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP) && read_replies(p) != 0) return -1;
    if (fds[0].revents & POLLOUT && write_out(p) != 0) return -1;
    if (want_stdin && fds[1].revents & (POLLIN | POLLHUP | POLLERR) && read_stdin(p) != 0)
        return -1;
    if (p->stdin_done && !p->mark_sent) queue_mark(p);
    return 0;
}

int cli_pipe(cli_session *s) {
    pipe_state p = {.fd = pdb_fd(s->conn)};
    p.parser = pdb_parser_new(NULL, NULL);
    make_mark(p.mark);
    int failed = 0;
    while (!p.mark_seen) {
        if (pipe_step(&p) != 0) {
            failed = 1;
            break;
        }
    }
    pdb_parser_free(p.parser);
    cli_buf_free(&p.out);
    if (failed) {
        fprintf(stderr, "Error: the connection to the server was lost\n");
        return 1;
    }
    printf("Last reply received from server.\nerrors: %lld, replies: %lld\n", p.errors, p.replies);
    return p.errors > 0 ? 1 : 0;
}
