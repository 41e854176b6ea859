/*
 * net.c - socket helpers (see net.h for the contract).
 *
 * Everything here is a thin, checked wrapper over the socket calls: no state, no
 * allocation. Error messages name the failing call ("bind: Address already in use") and,
 * for listeners, carry the Redis-style prefix so the server can log them verbatim. errno
 * is preserved across the message formatting so callers can still test it.
 *
 * Called by the server's listeners and connections, the client library and the tools.
 */
#include "server/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char *err, const char *fmt, ...) {
    if (!err) return;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, NET_ERR_LEN, fmt, ap);
    va_end(ap);
    errno = saved;
}

static void close_keep_errno(int fd) {
    int saved = errno;
    close(fd);
    errno = saved;
}

/* ---- listeners ---- */

/* Socket, options, bind and listen for one resolved address. On failure fills why with
 * "call: reason" and returns -1 with errno from that call. */
static int listen_on(const struct addrinfo *ai, int backlog, char *why, size_t why_len) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    const char *call = "socket";
    if (fd < 0) goto fail;
    int one = 1;
    call = "setsockopt SO_REUSEADDR";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) goto fail_close;
    if (ai->ai_family == AF_INET6) {
        call = "setsockopt IPV6_V6ONLY";
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) goto fail_close;
    }
    call = "bind";
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) goto fail_close;
    call = "listen";
    if (listen(fd, backlog) < 0) goto fail_close;
    return fd;

fail_close:
    close_keep_errno(fd);
fail:
    snprintf(why, why_len, "%s: %s", call, strerror(errno));
    return -1;
}

int net_listen_tcp(const char *addr, int port, int backlog, char *err) {
    const char *shown = addr ? addr : "*";
    if (port < 0 || port > 65535) {
        errno = EINVAL;
        set_err(err, "Could not create server TCP listening socket %s:%d: invalid port", shown,
                port);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const char *node = addr;
    if (!addr || strcmp(addr, "*") == 0) {
        hints.ai_family = AF_INET;
        node = NULL;
    } else if (strcmp(addr, "::*") == 0) {
        hints.ai_family = AF_INET6;
        node = NULL;
    } else {
        hints.ai_family = AF_UNSPEC;
    }
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(node, service, &hints, &res);
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
        set_err(err, "Could not create server TCP listening socket %s:%d: %s", shown, port,
                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    char why[NET_ERR_LEN] = "no usable address";
    int fd = -1;
    errno = EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = listen_on(ai, backlog, why, sizeof(why));
    int saved = errno;
    freeaddrinfo(res);
    errno = saved;
    if (fd < 0)
        set_err(err, "Could not create server TCP listening socket %s:%d: %s", shown, port, why);
    return fd;
}

static int fill_sun(struct sockaddr_un *sa, const char *path) {
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(sa->sun_path)) {
        errno = n == 0 ? EINVAL : ENAMETOOLONG;
        return -1;
    }
    memcpy(sa->sun_path, path, n);
    return 0;
}

int net_listen_unix(const char *path, unsigned perm, int backlog, char *err) {
    struct sockaddr_un sa;
    if (fill_sun(&sa, path) < 0) {
        set_err(err, "Failed opening Unix socket %.200s: %s", path,
                errno == EINVAL ? "empty path" : "path too long");
        return -1;
    }
    /* Only a socket is fair game: a regular file at the configured path is a mistake we
     * report (bind fails) rather than destroy. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);

    const char *call = "socket";
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    call = "bind";
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) goto fail_close;
    call = "chmod";
    if (perm && chmod(path, (mode_t)perm) < 0) goto fail_close;
    call = "listen";
    if (listen(fd, backlog) < 0) goto fail_close;
    return fd;

fail_close:
    close_keep_errno(fd);
fail:
    set_err(err, "Failed opening Unix socket %.200s: %s: %s", path, call, strerror(errno));
    return -1;
}

int net_bound_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

int net_accept(int listen_fd, char *err) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) return fd;
        /* A connection reset while queued is the peer's business; look for the next. */
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EWOULDBLOCK) errno = EAGAIN;
        set_err(err, "accept: %s", strerror(errno));
        return -1;
    }
}

/* ---- options ---- */

static int is_unix(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_UNIX;
}

static int set_int_opt(int fd, int level, int name, int val) {
    return setsockopt(fd, level, name, &val, sizeof(val));
}

int net_set_nodelay(int fd, int on) {
    if (set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0) == 0) return 0;
    return is_unix(fd) ? 0 : -1;
}

int net_set_keepalive(int fd, int interval_sec) {
    if (set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, 1) < 0) return -1;
    if (interval_sec <= 0) return 0;
    int intvl = interval_sec / 3;
    if (intvl < 1) intvl = 1;
    if (set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, interval_sec) < 0 ||
        set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl) < 0 ||
        set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, 3) < 0)
        return is_unix(fd) ? 0 : -1;
    return 0;
}

int net_set_nonblock(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    int want = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (want == flags) return 0;
    return fcntl(fd, F_SETFL, want) < 0 ? -1 : 0;
}

/* ---- addresses ---- */

/* Path of a named unix address, or NULL for unnamed and abstract ones. */
static const char *sun_path_of(const struct sockaddr_storage *ss, socklen_t len, char *buf,
                               size_t buf_len) {
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (len <= off) return NULL;
    const struct sockaddr_un *sa = (const struct sockaddr_un *)ss;
    size_t max = len - off;
    if (max > sizeof(sa->sun_path)) max = sizeof(sa->sun_path);
    size_t n = strnlen(sa->sun_path, max);
    if (n == 0 || n >= buf_len) return NULL;
    memcpy(buf, sa->sun_path, n);
    buf[n] = '\0';
    return buf;
}

static int format_addr(int fd, int peer, char *buf, size_t len) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl)
                  : getsockname(fd, (struct sockaddr *)&ss, &sl);
    int n = -1;
    if (rc == 0 && ss.ss_family == AF_INET) {
        char ip[INET_ADDRSTRLEN];
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip)))
            n = snprintf(buf, len, "%s:%d", ip, ntohs(sa->sin_port));
    } else if (rc == 0 && ss.ss_family == AF_INET6) {
        char ip[INET6_ADDRSTRLEN];
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof(ip)))
            n = snprintf(buf, len, "[%s]:%d", ip, ntohs(sa->sin6_port));
    } else if (rc == 0 && ss.ss_family == AF_UNIX) {
        char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
        const char *p = sun_path_of(&ss, sl, path, sizeof(path));
        if (!p && peer) {
            /* The accepted end of a unix connection has an unnamed peer; show the
             * listener's path as Redis does. */
            sl = sizeof(ss);
            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_UNIX)
                p = sun_path_of(&ss, sl, path, sizeof(path));
        }
        n = snprintf(buf, len, "%s:0", p ? p : "/unixsocket");
    } else if (rc == 0) {
        errno = EAFNOSUPPORT;
    }
    if (n >= 0 && (size_t)n < len) return 0;
    if (n >= 0) errno = ENOSPC;
    if (len > 0) snprintf(buf, len, "?:0");
    return -1;
}

int net_format_peer(int fd, char *buf, size_t len) {
    return format_addr(fd, 1, buf, len);
}

int net_format_local(int fd, char *buf, size_t len) {
    return format_addr(fd, 0, buf, len);
}

int net_peer_is_loopback(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
        /* An unnamed unix peer can still fail on some kernels; the local end decides. */
        return is_unix(fd);
    }
    if (ss.ss_family == AF_UNIX) return 1;
    if (ss.ss_family == AF_INET) {
        uint32_t a = ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* ---- connect ---- */

/* connect(), where a non-blocking connect in progress counts as success. A blocking
 * connect interrupted by a signal goes on in the kernel and cannot be restarted, so wait
 * for it to finish and read its outcome. */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t len, int nonblock) {
    if (connect(fd, sa, len) == 0) return 0;
    if (nonblock) return errno == EINPROGRESS || errno == EINTR ? 0 : -1;
    if (errno != EINTR) return -1;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int r;
    do {
        r = poll(&p, 1, -1);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) return -1;
    if (soerr == 0) return 0;
    errno = soerr;
    return -1;
}

int net_connect_tcp(const char *host, int port, int nonblock, char *err) {
    if (!host || port < 0 || port > 65535) {
        errno = EINVAL;
        set_err(err, "Could not connect to %.200s:%d: invalid address", host ? host : "", port);
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        set_err(err, "Could not connect to %.200s:%d: %s", host, port,
                rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    const char *call = "connect";
    errno = EHOSTUNREACH;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int type = ai->ai_socktype | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
        fd = socket(ai->ai_family, type, ai->ai_protocol);
        if (fd < 0) {
            call = "socket";
            continue;
        }
        call = "connect";
        if (connect_fd(fd, ai->ai_addr, ai->ai_addrlen, nonblock) == 0) break;
        close_keep_errno(fd);
        fd = -1;
    }
    int saved = errno;
    freeaddrinfo(res);
    errno = saved;
    if (fd < 0)
        set_err(err, "Could not connect to %.200s:%d: %s: %s", host, port, call, strerror(errno));
    return fd;
}

int net_connect_unix(const char *path, int nonblock, char *err) {
    struct sockaddr_un sa;
    if (!path || fill_sun(&sa, path) < 0) {
        if (!path) errno = EINVAL;
        set_err(err, "Could not connect to %.200s: %s", path ? path : "",
                errno == ENAMETOOLONG ? "path too long" : "empty path");
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        set_err(err, "Could not connect to %.200s: socket: %s", path, strerror(errno));
        return -1;
    }
    /* A full backlog fails a non-blocking unix connect with EAGAIN: nothing was queued,
     * so that is an error, not a connect in progress. */
    if (connect_fd(fd, (struct sockaddr *)&sa, sizeof(sa), nonblock) == 0) return fd;
    close_keep_errno(fd);
    set_err(err, "Could not connect to %.200s: connect: %s", path, strerror(errno));
    return -1;
}
