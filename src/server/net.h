/*
 * net.h - socket helpers: listeners (TCP, unix), accept, connect, socket options and
 * address formatting.
 *
 * Error convention: functions return -1 on failure with errno set and, where they take
 * err, a human message in err (NET_ERR_LEN bytes, may be NULL), e.g.
 * "Could not create server TCP listening socket 127.0.0.1:6379: bind: Address already in use".
 * Every fd returned is close-on-exec.
 *
 * Called by the listener/connection code of the server, the client library and the tools.
 */
#ifndef PAIRDB_NET_H
#define PAIRDB_NET_H

#include <stddef.h>

#define NET_ERR_LEN 256

/* Non-blocking TCP listener with SO_REUSEADDR. addr: an IPv4/IPv6 literal or host name,
 * "*" (IPv4 any) or "::*" (IPv6 any); IPv6 sockets get IPV6_V6ONLY. port 0..65535 (0 picks
 * a free port, see net_bound_port). Returns the fd. */
int net_listen_tcp(const char *addr, int port, int backlog, char *err);
/* Non-blocking unix stream listener. A socket file left at path by a previous run is
 * removed first (any other kind of file is left alone and bind fails). chmod to perm when
 * perm != 0. Returns the fd. ENAMETOOLONG if path does not fit a sockaddr_un. */
int net_listen_unix(const char *path, unsigned perm, int backlog, char *err);
/* Local port of a TCP socket, or -1. */
int net_bound_port(int fd);

/* Accepts one connection: returns an fd (non-blocking, close-on-exec); -1 with errno
 * EAGAIN when none is pending; -1 with errno and err set on other errors (e.g. EMFILE). */
int net_accept(int listen_fd, char *err);

/* 0 or -1 with errno. On unix sockets, nodelay and keepalive succeed without effect. */
int net_set_nodelay(int fd, int on);
/* SO_KEEPALIVE, plus (interval_sec > 0) TCP_KEEPIDLE = interval, TCP_KEEPINTVL =
 * interval/3 (at least 1) and TCP_KEEPCNT = 3, so a dead peer is found in about twice the
 * interval. */
int net_set_keepalive(int fd, int interval_sec);
int net_set_nonblock(int fd, int on);

/* Formats the peer / local address the way Redis shows it: "127.0.0.1:5678",
 * "[::1]:5678", and for unix sockets the socket path with port 0 ("/tmp/p.sock:0"; an
 * accepted unix connection shows the listener's path). Returns 0, or -1 (errno set; buf
 * holds "?:0" if len allows) when the address is unavailable or buf is too small. */
int net_format_peer(int fd, char *buf, size_t len);
int net_format_local(int fd, char *buf, size_t len);
/* 1 if the peer is 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 or a unix socket; else 0. */
int net_peer_is_loopback(int fd);

/* Resolves host with getaddrinfo and tries each address in turn. With nonblock the fd is
 * non-blocking and the connect may still be in progress (check SO_ERROR once writable).
 * Returns the fd. */
int net_connect_tcp(const char *host, int port, int nonblock, char *err);
int net_connect_unix(const char *path, int nonblock, char *err);

#endif
