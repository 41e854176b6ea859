/*
 * sdnotify.c - readiness notification over $NOTIFY_SOCKET (see sdnotify.h).
 *
 * The protocol is one datagram of "KEY=value" lines on an AF_UNIX socket
 * whose path is in $NOTIFY_SOCKET; a leading '@' names an abstract socket.
 */
#include "app/sdnotify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "persist/recovery.h"
#include "server/config.h"
#include "server/log.h"

enum { SUPERVISED_NO = 0, SUPERVISED_UPSTART = 1, SUPERVISED_SYSTEMD = 2, SUPERVISED_AUTO = 3 };

static int wants_systemd(void) {
    long long mode = config_get_int("supervised");
    return mode == SUPERVISED_SYSTEMD || mode == SUPERVISED_AUTO;
}

int sdnotify_send(const char *state) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!wants_systemd() || !path || !path[0]) return 0;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof addr.sun_path) {
        log_msg(LOG_WARNING, "NOTIFY_SOCKET is not a usable socket path: not notifying");
        return -1;
    }
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@') addr.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    char msg[256];
    int n = snprintf(msg, sizeof msg, "%s\nMAINPID=%d\n", state, (int)getpid());
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t sent = sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&addr, alen);
    close(fd);
    if (sent < 0) {
        log_msg(LOG_WARNING, "Could not notify the service manager (%s)", state);
        return -1;
    }
    return 1;
}

void sdnotify_cron(void) {
    static int loading_told, ready_told;
    if (ready_told) return;
    if (recovery_loading()) {
        if (!loading_told) sdnotify_send("STATUS=Loading the dataset");
        loading_told = 1;
        return;
    }
    sdnotify_send("READY=1\nSTATUS=Ready to accept connections");
    ready_told = 1;
}
