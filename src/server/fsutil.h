/*
 * fsutil.h - file-system steps that the core (ACL SAVE) and the persistence
 * files share: generic helpers, so they live in the core, below both.
 */
#ifndef PAIRDB_FSUTIL_H
#define PAIRDB_FSUTIL_H

/* fsync of a directory: makes a create, rename or unlink in it durable.
 * 0, or -1 with errno. */
int fs_sync_dir(const char *path);
/* mkdir 0755; a directory already there is fine. 0, or -1 with errno. */
int fs_make_dir(const char *path);

#endif
