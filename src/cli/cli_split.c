/*
 * cli_split.c - splits a typed line into command arguments.
 *
 * The rules are the ones redis-cli users type by: blanks separate words; a
 * double quote starts a span where \xHH, \n, \r, \t, \b, \a and \<any>
 * escapes apply; a single quote starts a span where only \' is special. A
 * quoted span may begin in the middle of a word, but its closing quote must be
 * followed by a blank or the end of the line. NUL bytes (from \x00 or the
 * input itself) are kept: every argument carries its length.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int is_blank(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char escaped_char(char c) {
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
    }
}

/* Reads one word starting at line[*pos] (not a blank) into word. Returns 0
 * or -1 on an unbalanced or badly closed quote. */
static int read_word(const char *line, size_t len, size_t *pos, cli_buf *word) {
    size_t i = *pos;
    char quote = 0;
    while (i < len) {
        char c = line[i];
        if (!quote) {
            if (is_blank(c)) break;
            if (c == '"' || c == '\'') quote = c;
            else cli_buf_add(word, &c, 1);
            i++;
            continue;
        }
        if (c == quote) {
            /* The closing quote must end the word. */
            if (i + 1 < len && !is_blank(line[i + 1])) return -1;
            quote = 0;
            i++;
            break;
        }
        if (c == '\\' && i + 1 < len) {
            char next = line[i + 1];
            if (quote == '\'') {
                if (next == '\'') {
                    cli_buf_add(word, "'", 1);
                    i += 2;
                    continue;
                }
            } else if (next == 'x' && i + 3 < len && hex_value(line[i + 2]) >= 0 &&
                       hex_value(line[i + 3]) >= 0) {
                char byte = (char)(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3]));
                cli_buf_add(word, &byte, 1);
                i += 4;
                continue;
            } else {
                char e = escaped_char(next);
                cli_buf_add(word, &e, 1);
                i += 2;
                continue;
            }
        }
        cli_buf_add(word, &c, 1);
        i++;
    }
    if (quote) return -1;
    *pos = i;
    return 0;
}

static void push_word(cli_args *a, cli_buf *word) {
    a->argv = realloc(a->argv, sizeof(char *) * (size_t)(a->argc + 1));
    a->lens = realloc(a->lens, sizeof(size_t) * (size_t)(a->argc + 1));
    if (!a->argv || !a->lens) abort();
    char *s = malloc(word->len + 1);
    if (!s) abort();
    if (word->len) memcpy(s, word->p, word->len);
    s[word->len] = '\0';
    a->argv[a->argc] = s;
    a->lens[a->argc] = word->len;
    a->argc++;
}

int cli_split_line(const char *line, size_t len, cli_args *out) {
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    cli_buf word = {0};
    for (;;) {
        while (pos < len && is_blank(line[pos]))
            pos++;
        if (pos >= len) break;
        word.len = 0;
        if (out->argc >= CLI_MAX_ARGS || read_word(line, len, &pos, &word) != 0) {
            cli_buf_free(&word);
            cli_args_free(out);
            return -1;
        }
        push_word(out, &word);
    }
    cli_buf_free(&word);
    return 0;
}

void cli_args_free(cli_args *a) {
    for (int i = 0; i < a->argc; i++)
        free(a->argv[i]);
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof *a);
}
