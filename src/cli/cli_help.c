/*
 * cli_help.c - "help" at the prompt and the argument hints, both built from
 * the server's own COMMAND DOCS (fetched once, on first use), so they always
 * describe the server actually connected to.
 *
 * Each command (and each subcommand, named "CONFIG GET") becomes an entry
 * with its group, summary, version and an argument synopsis rendered from the
 * argument tree: [optional], a|b for one-ofs, TOKEN value, and
 * "x [x ...]" for repeatable arguments.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

/* Argument trees nest a few levels; deeper ones are hostile or broken. */
#define HELP_MAX_DEPTH 8

typedef struct help_entry {
    char *name; /* upper case, "CONFIG GET" for subcommands */
    char *group, *summary, *since, *synopsis;
} help_entry;

static help_entry *entries;
static size_t nentries;
static int docs_loaded;
static cli_buf hint_text;

static char *dup_view(const pdb_reply *r) {
    pdb_view v = r ? pdb_reply_view(r) : (pdb_view){"", 0};
    if (!v.ptr) v = (pdb_view){"", 0};
    char *s = malloc(v.len + 1);
    if (!s) abort();
    memcpy(s, v.ptr, v.len);
    s[v.len] = '\0';
    return s;
}

static const pdb_reply *field(const pdb_reply *map, const char *name) {
    return map ? pdb_reply_map_get(map, name, strlen(name)) : NULL;
}

static int has_flag(const pdb_reply *arg, const char *flag) {
    const pdb_reply *flags = field(arg, "flags");
    for (size_t i = 0; flags && i < pdb_reply_elements(flags); i++) {
        pdb_view v = pdb_reply_view(pdb_reply_element(flags, i));
        if (v.ptr && v.len == strlen(flag) && !memcmp(v.ptr, flag, v.len)) return 1;
    }
    return 0;
}

static int field_is(const pdb_reply *map, const char *name, const char *want) {
    const pdb_reply *f = field(map, name);
    pdb_view v = f ? pdb_reply_view(f) : (pdb_view){NULL, 0};
    return v.ptr && v.len == strlen(want) && !memcmp(v.ptr, want, v.len);
}

static void add_field(cli_buf *b, const pdb_reply *map, const char *name) {
    const pdb_reply *f = field(map, name);
    pdb_view v = f ? pdb_reply_view(f) : (pdb_view){NULL, 0};
    if (v.ptr) cli_buf_add(b, v.ptr, v.len);
}

static void render_arg(cli_buf *b, const pdb_reply *arg, int depth);

/* The children of a oneof (joined by |) or a block (joined by spaces). */
static void render_children(cli_buf *b, const pdb_reply *arg, const char *sep, int depth) {
    const pdb_reply *kids = field(arg, "arguments");
    for (size_t i = 0; kids && i < pdb_reply_elements(kids); i++) {
        if (i > 0) cli_buf_adds(b, sep);
        render_arg(b, pdb_reply_element(kids, i), depth + 1);
    }
}

static void render_value(cli_buf *b, const pdb_reply *arg, int depth) {
    if (field_is(arg, "type", "oneof"))
        render_children(b, arg, "|", depth);
    else if (field_is(arg, "type", "block"))
        render_children(b, arg, " ", depth);
    else if (field(arg, "display_text"))
        add_field(b, arg, "display_text");
    else
        add_field(b, arg, "name");
}

static void render_arg(cli_buf *b, const pdb_reply *arg, int depth) {
    if (depth > HELP_MAX_DEPTH) return;
    int optional = has_flag(arg, "optional");
    if (optional) cli_buf_add(b, "[", 1);
    if (field_is(arg, "type", "pure-token")) {
        add_field(b, arg, "token");
    } else {
        cli_buf piece = {0}, value = {0};
        render_value(&value, arg, depth);
        if (field(arg, "token")) {
            add_field(&piece, arg, "token");
            cli_buf_add(&piece, " ", 1);
        }
        cli_buf_add(&piece, value.p, value.len);
        cli_buf_add(b, piece.p, piece.len);
        if (has_flag(arg, "multiple")) {
            cli_buf_add(b, " [", 2);
            if (has_flag(arg, "multiple_token"))
                cli_buf_add(b, piece.p, piece.len);
            else
                cli_buf_add(b, value.p, value.len);
            cli_buf_adds(b, " ...]");
        }
        cli_buf_free(&piece);
        cli_buf_free(&value);
    }
    if (optional) cli_buf_add(b, "]", 1);
}

static char *synopsis(const pdb_reply *doc) {
    cli_buf b = {0};
    const pdb_reply *args = field(doc, "arguments");
    for (size_t i = 0; args && i < pdb_reply_elements(args); i++) {
        if (i > 0) cli_buf_add(&b, " ", 1);
        render_arg(&b, pdb_reply_element(args, i), 0);
    }
    char *s = strdup(cli_buf_str(&b));
    cli_buf_free(&b);
    if (!s) abort();
    return s;
}

static void add_entry(const char *name, size_t namelen, const pdb_reply *doc) {
    entries = realloc(entries, sizeof *entries * (nentries + 1));
    if (!entries) abort();
    help_entry *e = &entries[nentries++];
    e->name = malloc(namelen + 1);
    if (!e->name) abort();
    for (size_t i = 0; i < namelen; i++)
        e->name[i] = (char)toupper((unsigned char)(name[i] == '|' ? ' ' : name[i]));
    e->name[namelen] = '\0';
    e->group = dup_view(field(doc, "group"));
    e->summary = dup_view(field(doc, "summary"));
    e->since = dup_view(field(doc, "since"));
    e->synopsis = synopsis(doc);
}

/* A docs reply is name, doc, name, doc... (a RESP2 array or a RESP3 map). */
static void add_docs(const pdb_reply *docs, int depth) {
    for (size_t i = 0; docs && i + 1 < pdb_reply_elements(docs); i += 2) {
        const pdb_reply *name = pdb_reply_element(docs, i);
        const pdb_reply *doc = pdb_reply_element(docs, i + 1);
        pdb_view v = pdb_reply_view(name);
        if (!v.ptr || v.len == 0 || v.len > 128) continue;
        add_entry(v.ptr, v.len, doc);
        if (depth == 0) add_docs(field(doc, "subcommands"), depth + 1);
    }
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const help_entry *)a)->name, ((const help_entry *)b)->name);
}

static void load_docs(cli_session *s) {
    if (docs_loaded || !s->conn || !pdb_is_connected(s->conn)) return;
    docs_loaded = 1;
    const char *argv[2] = {"COMMAND", "DOCS"};
    size_t lens[2] = {7, 4};
    pdb_reply *r = NULL;
    if (pdb_append_command_argv(s->conn, 2, argv, lens) == PDB_OK &&
        pdb_get_reply(s->conn, &r) == PDB_OK)
        add_docs(r, 0);
    pdb_reply_free(r);
    if (nentries) qsort(entries, nentries, sizeof *entries, by_name);
}

static void print_entry(const help_entry *e, int with_group) {
    printf("  \x1b[1m%s\x1b[0m \x1b[90m%s\x1b[0m\r\n", e->name, e->synopsis);
    printf("  \x1b[33msummary:\x1b[0m %s\r\n", e->summary);
    printf("  \x1b[33msince:\x1b[0m %s\r\n", e->since);
    if (with_group) printf("  \x1b[33mgroup:\x1b[0m %s\r\n", e->group);
}

static void print_banner(void) {
    printf("pairdb-cli " CLI_VERSION "\n"
           "To get help about commands type:\n"
           "      \"help @<group>\" to get a list of commands in <group>\n"
           "      \"help <command>\" for help on <command>\n"
           "      \"quit\" to exit\n"
           "\n"
           "Hints for a command's arguments appear at the right of the line\n"
           "when a space is typed after its name.\n");
}

/* The words of argv[1..] joined by single spaces, upper-cased. */
static void joined_topic(cli_buf *b, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (i > 1) cli_buf_add(b, " ", 1);
        for (const char *p = argv[i]; *p; p++) {
            char c = (char)toupper((unsigned char)*p);
            cli_buf_add(b, &c, 1);
        }
    }
}

void cli_help(cli_session *s, int argc, char **argv) {
    if (argc < 2) {
        print_banner();
        return;
    }
    load_docs(s);
    if (argv[1][0] == '@') {
        printf("\r\n");
        for (size_t i = 0; i < nentries; i++) {
            if (strcasecmp(entries[i].group, argv[1] + 1) != 0) continue;
            print_entry(&entries[i], 0);
            printf("\r\n");
        }
        return;
    }
    cli_buf topic = {0};
    joined_topic(&topic, argc, argv);
    for (size_t i = 0; i < nentries; i++) {
        if (strcmp(entries[i].name, cli_buf_str(&topic)) != 0) continue;
        printf("\r\n");
        print_entry(&entries[i], 1);
        printf("\r\n");
    }
    cli_buf_free(&topic);
}

static const help_entry *find_entry(const char *name) {
    for (size_t i = 0; i < nentries; i++)
        if (!strcasecmp(entries[i].name, name)) return &entries[i];
    return NULL;
}

/* Drops the synopsis words already typed, stopping at the first optional
 * part (what follows it is not positional any more). */
static const char *skip_typed(const char *syn, int typed) {
    while (typed-- > 0 && *syn && *syn != '[') {
        const char *sp = strchr(syn, ' ');
        if (!sp) return "";
        syn = sp + 1;
    }
    return syn;
}

const char *cli_hint_for(cli_session *s, const char *line) {
    load_docs(s);
    cli_args a;
    if (cli_split_line(line, strlen(line), &a) != 0) return NULL;
    const char *hint = NULL;
    if (a.argc > 0) {
        const help_entry *e = NULL;
        int used = 1;
        if (a.argc > 1) {
            char two[300];
            snprintf(two, sizeof two, "%s %s", a.argv[0], a.argv[1]);
            if ((e = find_entry(two))) used = 2;
        }
        if (!e) e = find_entry(a.argv[0]);
        if (e) {
            hint_text.len = 0;
            if (hint_text.p) hint_text.p[0] = '\0';
            cli_buf_adds(&hint_text, skip_typed(e->synopsis, a.argc - used));
            hint = cli_buf_str(&hint_text);
        }
    }
    cli_args_free(&a);
    return hint;
}

const char *cli_help_complete(cli_session *s, const char *prefix) {
    load_docs(s);
    size_t n = strlen(prefix);
    for (size_t i = 0; i < nentries; i++)
        if (!strchr(entries[i].name, ' ') && !strncasecmp(entries[i].name, prefix, n))
            return entries[i].name;
    return NULL;
}

void cli_help_free(void) {
    for (size_t i = 0; i < nentries; i++) {
        free(entries[i].name);
        free(entries[i].group);
        free(entries[i].summary);
        free(entries[i].since);
        free(entries[i].synopsis);
    }
    free(entries);
    entries = NULL;
    nentries = 0;
    docs_loaded = 0;
    cli_buf_free(&hint_text);
}
