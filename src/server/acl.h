/*
 * acl.h - users and their permissions (the Redis 7 ACL model).
 *
 * A user has flags (on/off, nopass), password hashes (SHA-256, hex) and one
 * or more selectors. A selector is a set of allowed commands (a bitmap over
 * command ids, plus allowed first arguments of commands without
 * subcommands), key patterns with read/write permissions, and channel
 * patterns. The first selector is the root one; a command runs when any
 * selector allows it with every key and channel it names.
 *
 * Users live in a list sorted by name. A user object is never replaced while
 * it exists (changes are applied in place), so clients hold a plain pointer
 * to it; a client's NULL user is the default user. Removing a user closes
 * its clients first.
 *
 * acl.c owns users, rules and the permission check; cmd_acl.c owns the ACL
 * command, the ACL log and the ACL file.
 */
#ifndef PAIRDB_ACL_H
#define PAIRDB_ACL_H

#include <stddef.h>

#include "proto/resp.h"

struct client;
struct command;
typedef struct acl_user acl_user;

/* Outcomes of a permission check, in Redis's order of relevance. */
enum { ACL_OK = 0, ACL_DENIED_CMD = 1, ACL_DENIED_KEY = 2, ACL_DENIED_AUTH = 3, ACL_DENIED_CHANNEL = 4 };
/* Where a denial happened (ACL LOG "context"). */
enum { ACL_CTX_TOPLEVEL = 0, ACL_CTX_MULTI = 1, ACL_CTX_LUA = 2 };

/* The dispatcher's check: NULL when c's user may run cmd with c's
 * arguments, else the NOPERM error (the denial is logged). Cheap for a
 * user with every permission. */
const char *acl_check_client(struct client *c, const struct command *cmd);
/* EXEC's check of each queued command (c's argc/argv are the command's):
 * NULL, or Redis's "rules changed" NOPERM error (logged, context multi). */
const char *acl_check_exec(struct client *c, const struct command *cmd);
/* The same for a script's redis.call() run on behalf of caller: NULL or
 * the script error text Redis gives. */
const char *acl_check_script(struct client *caller, const struct command *cmd, int argc,
                             const resp_arg *argv);
/* Whether c's user may run its current command with read access to every
 * key (SORT's BY and GET patterns read keys the arguments do not name). */
int acl_client_reads_any_key(struct client *c);
/* The raw check: ACL_OK or a denial; *errpos gets the denied argument. */
int acl_check_user(acl_user *u, const struct command *cmd, int argc, const resp_arg *argv,
                   int *errpos);

/* AUTH and HELLO AUTH: 1 and c is authenticated as the user; 0 (logged). */
int acl_authenticate(struct client *c, const resp_arg *user, const resp_arg *pass);
/* Whether a new connection is authenticated from the start: the default
 * user is on and has nopass. */
int acl_default_autoauth(void);
/* The name CLIENT LIST shows for c. */
const char *acl_client_username(const struct client *c);
/* Whether the default user can be used with AUTH <password> (has a password). */
int acl_default_has_password(void);
acl_user *acl_user_find(const char *name, size_t len);
const char *acl_user_name(const acl_user *u);

/* requirepass: "" / NULL = nopass, else the only password of default. */
void acl_set_requirepass(const char *pass);
/* A "user" line of the config file (argv after the directive); validated
 * and applied by acl_startup(). */
void acl_config_user(int argc, char **argv);
/* acl-pubsub-default: whether new users and selectors get allchannels. */
void acl_set_pubsub_default(int allchannels);
/* After the command table is built: creates the default user, applies the
 * config file's users or the aclfile. -1 (message printed) to refuse to start. */
int acl_startup(void);
void acl_free_all(void);

/* ---- for cmd_acl.c ---- */

/* Applies rules to a copy of u (or a new user when u is NULL) and returns
 * it; NULL on error with *err the message (caller frees it). */
acl_user *acl_user_build(const char *name, size_t nlen, acl_user *base, int argc,
                         const resp_arg *argv, char **err);
/* Installs built as the user of its name: in place over an existing user,
 * or as a new one. built is consumed. */
void acl_user_install(acl_user *built);
void acl_user_free(acl_user *u);
/* Builds one user from "name rule rule..." (config and ACL file lines);
 * NULL and *err (caller frees) on error. Config files reset the default
 * user before its rules; ACL files define it from scratch like any user. */
acl_user *acl_user_from_words(int argc, const resp_arg *argv, int reset_default, char **err);
/* Deletes a user and closes its clients; 0 if no such user. */
int acl_user_delete(const char *name, size_t len);
/* Replaces every user with those of the list (ACL LOAD); default is kept as
 * an object and other users' clients are closed. */
void acl_users_replace(acl_user **users, int n);
int acl_user_count(void);
acl_user *acl_user_at(int i);
/* "user <name> <rules>" as ACL LIST prints it; caller frees. */
char *acl_user_describe(const acl_user *u);
/* ACL GETUSER's reply. */
void acl_reply_getuser(struct client *c, const acl_user *u);
/* ACL CAT: names, or the commands of one category (-1 if unknown). */
int acl_category_by_name(const char *name, size_t len);
const char *acl_category_name(int i);
void acl_reply_category_commands(struct client *c, int cat);
/* The denial text for ACL DRYRUN / NOPERM (capitalised for DRYRUN). */
void acl_denial_text(char *buf, size_t len, int res, const struct command *cmd, int capital);
/* ACL log (cmd_acl.c). */
void acl_log_add(struct client *c, int reason, int context, const char *object, size_t olen,
                 const char *username, size_t ulen);
void acl_log_free(void);
/* The ACL file (cmd_acl.c): whether one is configured; loading it at
 * start-up (0, or -1 with the reason printed). */
int acl_file_configured(void);
int acl_file_load_startup(void);
/* SHA-256 of data as 64 lowercase hex characters + NUL. */
void acl_sha256_hex(const char *data, size_t len, char out[65]);
void acl_register(void);

#endif
