/*
 * families.h - registration functions of the server's own command files.
 * (Data-type families are in types/types.h.)
 */
#ifndef PAIRDB_FAMILIES_H
#define PAIRDB_FAMILIES_H

void command_register_table_commands(void); /* command.c: COMMAND */
void acl_register(void);                    /* cmd_acl.c: ACL */
void conn_register(void);                   /* cmd_conn.c: PING AUTH HELLO CLIENT ... */
void server_cmds_register(void);            /* cmd_server.c: TIME SHUTDOWN MONITOR DEBUG */
int debug_active_expire_enabled(void);      /* cmd_server.c: DEBUG SET-ACTIVE-EXPIRE */

#endif
