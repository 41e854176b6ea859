/*
 * config_int.h - what config.c and config_table.c share, and the parser
 * entry points the unit tests and the fuzz target call.
 *
 * config_table.c owns the table of settings (parse, format, apply one
 * setting by index); config.c owns files, the command line and the CONFIG
 * command. Not for other modules: they use config.h.
 */
#ifndef PAIRDB_CONFIG_INT_H
#define PAIRDB_CONFIG_INT_H

#include <stddef.h>

struct cval;
int config__count(void);
int config__find(const char *name);
const char *config__name(int i);
const char *config__alias(int i);
const char *config__set_refusal(int i);
int config__is_multi(int i);
int config__is_sensitive(int i); /* its value must never be shown or logged */
int config__parse(int i, int argc, char **argv, struct cval **out, const char **err);
void config__store(int i, struct cval *v);
void config__value_free(struct cval *v);
int config__apply(int i, const char **err);
char *config__format(int i);
char *config__rewrite_lines(int i, int all);
int config__differs_from_default(int i);
void config__mark_seen(int i);
void config__log_noeffect(void);
void config__set_loading(int on);
int config__sandboxed(void);
void config__set_sandbox(int on);
void config__set_config_file(char *path);
void config__ensure_init(void);
void config__split_spaces(const char *s, char ***argv, int *argc);
void config_free_args(char **argv, int argc);

/* A growable NUL-terminated string for building config texts. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;
void sb_cat_len(sbuf *b, const char *s, size_t n);
void sb_cat(sbuf *b, const char *s);
/* Appends s double-quoted with escapes, so the config parser reads back exactly s. */
void sb_cat_repr(sbuf *b, const char *s, size_t n);
/* printf into a new allocation; caller frees. */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parser entry points (unit tests, fuzzing). */
int config_parse_text(const char *text, char *err, size_t errlen);
int config_args_to_text(int argc, char **argv, char **text, const char **file, int *from_stdin);
int config_split_args(const char *line, char ***argv, int *argc);
long long config_parse_memory(const char *s, int *err);

#endif
