/*
 * sdnotify.h - readiness notification to a service manager (systemd's
 * Type=notify protocol), without linking libsystemd.
 *
 * When `supervised` is systemd or auto and $NOTIFY_SOCKET names a socket,
 * the server sends "READY=1" once recovery has loaded the dataset (clients
 * connected before get -LOADING; the manager should not call the service
 * up before it answers them) and "STOPPING=1" when it shuts down.
 * Otherwise these do nothing.
 */
#ifndef PAIRDB_SDNOTIFY_H
#define PAIRDB_SDNOTIFY_H

/* Sends one notification ("READY=1", "STOPPING=1", "STATUS=..."); returns
 * 1 if sent, 0 if there is no manager to tell, -1 on error. */
int sdnotify_send(const char *state);
/* Server timer hook: tells the manager about loading, then readiness, once. */
void sdnotify_cron(void);

#endif
