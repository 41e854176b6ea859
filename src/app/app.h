/*
 * app.h - the top layer: the one place that knows every layer.
 *
 * src/app composes the server (main.c), lists every command family
 * (builtins.c) and reports on all of them (INFO, readiness). The core
 * (src/server) never includes anything from here or from the layers
 * between; those register what the core needs to ask them at start-up.
 */
#ifndef PAIRDB_APP_H
#define PAIRDB_APP_H

/* Registers every built-in command family. Called once at startup. */
void command_register_builtins(void);
/* info.c: the INFO command. */
void info_register(void);

#endif
