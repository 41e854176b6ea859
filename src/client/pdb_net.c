/*
 * pdb_net.c - sockets: non-blocking connect with a deadline, writes and reads
 * that wait with poll() until a deadline.
 *
 * Every call that must not wait passes MSG_DONTWAIT, and every wait is a
 * poll() bounded by the caller's deadline, so no call hangs past it. The one
 * exception is the common case of a synchronous request: its reply is read
 * by a recv that sleeps on a blocking socket whose SO_RCVTIMEO is the
 * command timeout (taken only when the caller's deadline is that timeout,
 * give or take BLOCKING_SLACK_US), which costs one system call where
 * recv (EAGAIN), poll, recv cost three. Writes use MSG_NOSIGNAL: a peer that
 * went away is an error, never a SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/client_int.h"

#define READ_CHUNK (16 * 1024)
/* How late a blocking read may end against the caller's deadline. */
#define BLOCKING_SLACK_US 5000

/* Milliseconds until deadline for poll(): -1 without one, 0 once passed. */
static int wait_ms(uint64_t deadline) {
    if (!deadline) return -1;
    uint64_t now = cl_now_us();
    if (now >= deadline) return 0;
    uint64_t ms = (deadline - now + 999) / 1000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* Waits for events on fd; 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, uint64_t deadline) {
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, wait_ms(deadline));
        if (rc > 0) return 1;
        if (rc == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

static int set_nonblocking(int fd, int on) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static void tune_tcp(const pdb_conn *c, int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->opt.keepalive_s > 0) {
        int idle = c->opt.keepalive_s;
        int intvl = idle / 3 > 0 ? idle / 3 : 1;
        int cnt = 3;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    }
}

/* Starts a connect on a fresh non-blocking socket and waits for it.
 * Returns the fd, or -1 with the error recorded. */
static int connect_addr(pdb_conn *c, int family, const struct sockaddr *sa, socklen_t salen,
                        uint64_t deadline, const char *what) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cl_set_error(c, PDB_ERR_IO, "socket: %s", strerror(errno));
        return -1;
    }
    if (set_nonblocking(fd, 1) < 0) goto io_error;
    if (connect(fd, sa, salen) < 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) goto io_error;
        int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc == 0) {
            close(fd);
            cl_set_error(c, PDB_ERR_TIMEOUT, "connect to %s timed out", what);
            return -1;
        }
        if (rc < 0) goto io_error;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) goto io_error;
        if (soerr) {
            errno = soerr;
            goto io_error;
        }
    }
    return fd;
io_error:
    cl_set_error(c, PDB_ERR_IO, "connect to %s: %s", what, strerror(errno));
    close(fd);
    return -1;
}

static int connect_unix(pdb_conn *c, uint64_t deadline) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(c->unix_path) >= sizeof sa.sun_path) {
        cl_set_error(c, PDB_ERR_ARG, "unix socket path too long");
        return -1;
    }
    strcpy(sa.sun_path, c->unix_path);
    return connect_addr(c, AF_UNIX, (struct sockaddr *)&sa, sizeof sa, deadline, c->unix_path);
}

static int connect_tcp(pdb_conn *c, uint64_t deadline) {
    char port[16], what[300];
    snprintf(port, sizeof port, "%d", c->opt.port);
    snprintf(what, sizeof what, "%s:%d", c->host, c->opt.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(c->host, port, &hints, &res);
    if (rc != 0) {
        cl_set_error(c, PDB_ERR_IO, "resolve %s: %s", c->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = connect_addr(c, ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline, what);
        if (fd < 0 && c->err == PDB_ERR_TIMEOUT) break;
    }
    freeaddrinfo(res);
    if (fd >= 0) tune_tcp(c, fd);
    return fd;
}

/* ---- connecting without waiting (the async connection) ---- */

static int start_socket(pdb_conn *c, int family, const struct sockaddr *sa, socklen_t salen,
                        const char *what) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cl_set_error(c, PDB_ERR_IO, "socket: %s", strerror(errno));
        return PDB_ERR_IO;
    }
    int rc = PDB_OK;
    if (set_nonblocking(fd, 1) < 0)
        rc = PDB_ERR_IO;
    else if (connect(fd, sa, salen) < 0)
        rc = errno == EINPROGRESS || errno == EAGAIN ? 1 : PDB_ERR_IO;
    if (rc == PDB_ERR_IO) {
        cl_set_error(c, PDB_ERR_IO, "connect to %s: %s", what, strerror(errno));
        close(fd);
        return rc;
    }
    if (family != AF_UNIX) tune_tcp(c, fd);
    c->fd = fd;
    c->blocking = 0; /* an event loop's socket: it stays non-blocking */
    c->last_read_us = cl_now_us();
    return rc;
}

int cl_net_connect_start(pdb_conn *c, int attempt) {
    cl_net_close(c);
    if (c->unix_path) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        if (strlen(c->unix_path) >= sizeof sa.sun_path) {
            cl_set_error(c, PDB_ERR_ARG, "unix socket path too long");
            return PDB_ERR_ARG;
        }
        strcpy(sa.sun_path, c->unix_path);
        return start_socket(c, AF_UNIX, (struct sockaddr *)&sa, sizeof sa, c->unix_path);
    }
    char port[16], what[300];
    snprintf(port, sizeof port, "%d", c->opt.port);
    snprintf(what, sizeof what, "%s:%d", c->host, c->opt.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(c->host, port, &hints, &res);
    if (gai != 0) {
        cl_set_error(c, PDB_ERR_IO, "resolve %s: %s", c->host, gai_strerror(gai));
        return PDB_ERR_IO;
    }
    /* Successive attempts rotate through the addresses (IPv6 and IPv4). */
    int n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        n++;
    struct addrinfo *ai = res;
    for (int i = 0; i < (attempt < 0 ? 0 : attempt) % n; i++)
        ai = ai->ai_next;
    int rc = start_socket(c, ai->ai_family, ai->ai_addr, ai->ai_addrlen, what);
    freeaddrinfo(res);
    return rc;
}

int cl_net_connect_finish(pdb_conn *c) {
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
    if (!soerr) return PDB_OK;
    if (c->unix_path)
        cl_set_error(c, PDB_ERR_IO, "connect to %s: %s", c->unix_path, strerror(soerr));
    else
        cl_set_error(c, PDB_ERR_IO, "connect to %s:%d: %s", c->host, c->opt.port, strerror(soerr));
    return PDB_ERR_IO;
}

int cl_net_connect(pdb_conn *c, uint64_t deadline) {
    cl_net_close(c);
    int fd = c->unix_path ? connect_unix(c, deadline) : connect_tcp(c, deadline);
    if (fd < 0) return c->err;
    c->fd = fd;
    c->blocking = 0;
    c->rcvtimeo_ms = 0;
    c->last_read_us = cl_now_us();
    if (c->opt.tls && !c->unix_path) {
        if (cl_tls_start(c, deadline) != PDB_OK) {
            int err = c->err;
            cl_net_close(c);
            return err;
        }
    } else if (!c->async && set_nonblocking(fd, 0) == 0) {
        c->blocking = 1;
    }
    return PDB_OK;
}

void cl_net_set_async(pdb_conn *c) {
    c->async = 1;
    if (c->fd >= 0 && c->blocking && set_nonblocking(c->fd, 1) == 0) c->blocking = 0;
}

void cl_net_close(pdb_conn *c) {
    if (c->ssl) cl_tls_close(c);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* One read into reader: 1 bytes came, 0 none yet (or SO_RCVTIMEO passed),
 * or an error (recorded). recv_flags is MSG_DONTWAIT, or 0 for the one
 * blocking read. */
static int read_with(pdb_conn *c, resp_reader *reader, int recv_flags) {
    char buf[READ_CHUNK];
    for (;;) {
        ssize_t n = c->ssl ? cl_tls_recv(c, buf, sizeof buf)
                           : recv(c->fd, buf, sizeof buf, recv_flags);
        if (n > 0) {
            c->last_read_us = cl_now_us();
            if (resp_reader_feed(reader, buf, (size_t)n) != RESP_OK) {
                cl_set_error(c, PDB_ERR_PROTOCOL, "%s", resp_reader_error(reader));
                return PDB_ERR_PROTOCOL;
            }
            return 1;
        }
        if (n == 0) {
            cl_set_error(c, PDB_ERR_CLOSED, "the server closed the connection");
            return PDB_ERR_CLOSED;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        cl_set_error(c, PDB_ERR_IO, "read: %s", strerror(errno));
        return PDB_ERR_IO;
    }
}

static int read_once(pdb_conn *c, resp_reader *reader) {
    return read_with(c, reader, MSG_DONTWAIT);
}

/* The blocking read, when it cannot end later than the deadline allows:
 * without a deadline only if no command timeout is set (SO_RCVTIMEO 0
 * waits for ever), with one only if it is about the command timeout. Returns
 * as read_with; 0 also when it does not apply (the caller polls then). */
static int read_blocking(pdb_conn *c, resp_reader *reader, uint64_t deadline) {
    int want_ms = c->command_timeout_ms;
    if (!c->blocking || c->ssl) return 0;
    if (deadline) {
        uint64_t now = cl_now_us();
        if (!want_ms || now >= deadline ||
            deadline - now + BLOCKING_SLACK_US < (uint64_t)want_ms * 1000)
            return 0;
    } else if (want_ms) {
        return 0;
    }
    if (c->rcvtimeo_ms != want_ms) {
        struct timeval tv = {.tv_sec = want_ms / 1000, .tv_usec = (want_ms % 1000) * 1000};
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) return 0;
        c->rcvtimeo_ms = want_ms;
    }
    return read_with(c, reader, 0);
}

/* While the socket takes no more, replies that are ready are read into
 * reader: a server that stops reading until its replies are taken cannot
 * deadlock a big pipeline. */
int cl_net_flush(pdb_conn *c, resp_reader *reader, uint64_t deadline) {
    while (c->opos < c->obuf.len) {
        const char *p = c->obuf.data + c->opos;
        size_t left = c->obuf.len - c->opos;
        ssize_t n = c->ssl ? cl_tls_send(c, p, left)
                           : send(c->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->opos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c->fd, POLLOUT | POLLIN, deadline);
            if (rc > 0) {
                int got = read_once(c, reader);
                if (got < 0) return got;
                continue;
            }
            if (rc == 0) {
                cl_set_error(c, PDB_ERR_TIMEOUT, "timed out writing to the server");
                return PDB_ERR_TIMEOUT;
            }
        }
        cl_set_error(c, PDB_ERR_IO, "write: %s", strerror(errno));
        return PDB_ERR_IO;
    }
    c->obuf.len = 0;
    c->opos = 0;
    return PDB_OK;
}

int cl_net_read_nowait(pdb_conn *c, resp_reader *reader) {
    return read_once(c, reader);
}

int cl_net_read(pdb_conn *c, resp_reader *reader, uint64_t deadline) {
    int got = read_blocking(c, reader, deadline);
    if (got > 0) return PDB_OK;
    if (got < 0) return got;
    for (;;) {
        got = read_once(c, reader);
        if (got > 0) return PDB_OK;
        if (got < 0) return got;
        int rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc == 0) {
            cl_set_error(c, PDB_ERR_TIMEOUT, "timed out waiting for the reply");
            return PDB_ERR_TIMEOUT;
        }
        if (rc < 0) {
            cl_set_error(c, PDB_ERR_IO, "poll: %s", strerror(errno));
            return PDB_ERR_IO;
        }
    }
}

int cl_net_peer_closed(pdb_conn *c) {
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0) return 0;
    if (p.revents & (POLLERR | POLLHUP)) return 1;
    char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
