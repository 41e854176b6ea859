/*
 * pubsub.h - publish/subscribe: channels, patterns and shard channels.
 *
 * Every subscription is one record linked in two places: the channel's list
 * of subscribers (in subscription order, so PUBLISH walks exactly the
 * receivers) and the client's own table of its subscriptions (so leaving one
 * or all costs only the client's own subscriptions). Messages are appended
 * to the receivers' output at once, so each client sees a channel's messages
 * in publication order.
 */
#ifndef PAIRDB_PUBSUB_H
#define PAIRDB_PUBSUB_H

#include <stddef.h>

struct client;
struct command;

/* Sends message to the subscribers of channel and of the patterns matching
 * it; returns how many clients received it (PUBLISH's reply). */
long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen);
/* Leaves every subscription without replying (RESET, client free). */
void pubsub_unsubscribe_all(struct client *c);
/* Whether pred holds for one of c's subscriptions (channels, patterns,
 * shard channels); ACL uses it to find clients whose rights were taken. */
int pubsub_client_any_subscription(struct client *c,
                                   int (*pred)(const char *name, size_t len, int is_pattern,
                                               void *arg),
                                   void *arg);
/* Subscription counts of one client (CLIENT LIST sub=/psub=/ssub=). */
size_t pubsub_client_channels(const struct client *c);
size_t pubsub_client_patterns(const struct client *c);
size_t pubsub_client_shard_channels(const struct client *c);
/* Server-wide counts (INFO stats). */
size_t pubsub_channel_count(void);
size_t pubsub_pattern_count(void);
size_t pubsub_shard_channel_count(void);
/* A RESP2 client in subscribed mode may only run the (un)subscribe
 * commands, PING, QUIT and RESET: replies Redis's error and returns 0 for
 * anything else. */
int pubsub_context_allows(struct client *c, const struct command *cmd);
void pubsub_register(void);
/* Frees the tables at shutdown (after every client is gone). */
void pubsub_free_all(void);

#endif
