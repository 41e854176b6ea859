/*
 * protect.c - protected mode and connection-rate admission (see protect.h).
 */
#include "server/protect.h"

#include <unistd.h>

#include "server/acl.h"
#include "server/client.h"
#include "server/config.h"
#include "server/net.h"
#include "server/ratelimit.h"
#include "server/stats.h"

static void refuse(int fd, int kind, const char *msg, size_t len) {
    /* Best effort: the socket is new, its send buffer empty. */
    if (kind != CONN_TLS && write(fd, msg, len) < 0) {
    }
    close(fd);
    stats.rejected_connections++;
}

int protect_admit(int fd, int kind) {
    if (kind == CONN_UNIX) return 1;
    if (cfg->protected_mode && !acl_default_has_password() && !net_peer_is_loopback(fd)) {
        static const char denied[] = PROTECT_DENIED_MSG;
        refuse(fd, kind, denied, sizeof denied - 1);
        return 0;
    }
    char addr[64];
    if (cfg->maxconn_rate_per_ip > 0 && net_format_peer(fd, addr, sizeof addr) == 0 &&
        ratelimit_connection_refused(addr)) {
        static const char limited[] = RATELIMIT_CONN_ERR;
        refuse(fd, kind, limited, sizeof limited - 1);
        return 0;
    }
    return 1;
}
