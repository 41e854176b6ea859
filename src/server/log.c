/*
 * log.c - the server log (see log.h).
 *
 * Opens the file for each line like Redis does, so rotation by renaming
 * the file needs no signal; logging is not on any hot path.
 */
#include "server/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server/config.h"

void log_reopen(void) {
}

void log_msg(int level, const char *fmt, ...) {
    if (cfg && level < cfg->loglevel) return;
    static const char marks[] = ".-*#";
    char msg[1024], ts[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%d %b %Y %H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03d", (int)(tv.tv_usec / 1000));
    int to_stdout = !cfg || !cfg->logfile || !cfg->logfile[0];
    FILE *fp = to_stdout ? stdout : fopen(cfg->logfile, "a");
    if (!fp) return;
    fprintf(fp, "%d:M %s %c %s\n", (int)getpid(), ts, marks[level & 3], msg);
    fflush(fp);
    if (!to_stdout) fclose(fp);
}
