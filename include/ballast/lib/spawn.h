// SPDX-License-Identifier: MIT
/*
 * spawn.h - start a program as a separate process that reports readiness
 * through a pipe ("--ready-fd N" is appended to its arguments), and reap
 * it with a deadline. Used by `ballast run` and by tests that need the
 * real host process.
 *
 * Rules for users: safe in a threaded process (posix_spawn); the child
 * must write one byte to the ready descriptor once it can be used.
 */
#ifndef BALLAST_LIB_SPAWN_H
#define BALLAST_LIB_SPAWN_H

#include <sys/types.h>

/**
 * ballast_spawn() - run the ballast executable @exe with @argv (argv[0] is
 * the subcommand) plus "--ready-fd N", and wait up to @timeout_ms for the
 * child to write its ready byte. stdout/stderr go to @log_path if
 * non-NULL (appended), else are inherited.
 * Context: no locks; may sleep (poll(2) up to @timeout_ms, waitpid(2));
 * no ballast allocation (posix_spawn(3) may use the C heap).
 * Return: 0 and the pid; -ECHILD if the child exited first; -ETIMEDOUT;
 * a negative errno from pipe, posix_spawn, poll or read. On any error
 * the child is killed and reaped (signals do not cut the wait short).
 */
int ballast_spawn(const char *exe, char *const argv[], const char *log_path,
		  int timeout_ms, pid_t *pidp);

/**
 * ballast_reap() - wait up to @timeout_ms for @pid to exit, then SIGKILL
 * it.
 * Context: no locks; sleeps (10 ms polling steps, then waitpid(2)); no
 * allocation.
 * Return: its exit status, 128 + signal if it was killed by one,
 * -ETIMEDOUT if it had to be killed, or a negative errno from waitpid(2)
 * (-ECHILD: not our child).
 */
int ballast_reap(pid_t pid, int timeout_ms);

#endif
