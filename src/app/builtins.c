/*
 * builtins.c - the list of built-in command families.
 *
 * Adding a command family means adding its register call here; nothing
 * else in the server needs to know it exists.
 */
#include "app/app.h"
#include "persist/persist.h"
#include "script/script.h"
#include "server/command.h"
#include "server/config.h"
#include "server/families.h"
#include "server/latency.h"
#include "server/multi.h"
#include "server/pubsub.h"
#include "server/slowlog.h"
#include "types/types.h"

void command_register_builtins(void) {
    command_register_table_commands();
    conn_register();
    acl_register();
    info_register();
    server_cmds_register();
    slowlog_register();
    latency_register();
    config_register_commands();
    string_register();
    key_register();
    list_register();
    hash_register();
    set_register();
    zset_register();
    sort_register();
    geo_register();
    bitmap_register();
    hll_register();
    stream_register();
    persist_register();
    multi_register();
    pubsub_register();
    script_register();
}
