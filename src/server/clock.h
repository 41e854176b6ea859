/*
 * clock.h - the time commands see.
 *
 * A command reads the time once (clock_cmd_ms()) so that a key cannot expire
 * half-way through a command, as Redis freezes time per command. The
 * dispatcher calls clock_cmd_start() before each command.
 */
#ifndef PAIRDB_CLOCK_H
#define PAIRDB_CLOCK_H

void clock_cmd_start(void);
long long clock_cmd_ms(void);       /* wall-clock unix ms frozen for the command */
long long clock_now_ms(void);       /* wall-clock unix ms, now */
long long clock_now_us(void);
long long clock_mono_us(void);      /* monotonic, for durations */

#endif
