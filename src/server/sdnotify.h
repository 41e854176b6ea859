/*
 * sdnotify.h - readiness notification to a service manager (systemd's
 * Type=notify protocol), without linking libsystemd.
 *
 * When `supervised` is systemd or auto and $NOTIFY_SOCKET names a socket,
 * the server sends "READY=1" once it accepts connections (after recovery)
 * and "STOPPING=1" when it shuts down. Otherwise these do nothing.
 */
#ifndef PAIRDB_SDNOTIFY_H
#define PAIRDB_SDNOTIFY_H

/* Sends one notification ("READY=1", "STOPPING=1", "STATUS=..."); returns
 * 1 if sent, 0 if there is no manager to tell, -1 on error. */
int sdnotify_send(const char *state);

#endif
