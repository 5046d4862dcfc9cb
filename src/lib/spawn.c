// SPDX-License-Identifier: MIT
/*
 * spawn.c - start ballast subprocesses with posix_spawn (safe in a
 * threaded process) and a readiness pipe; reap them with a deadline.
 */
#include <ballast/lib/spawn.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int ballast_spawn(const char *exe, char *const argv[], const char *log_path,
		  int timeout_ms, pid_t *pidp)
{
	posix_spawn_file_actions_t fa;
	char fdarg[16], *args[64];
	struct pollfd pfd;
	int pipefd[2], ret, n = 0;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	args[n++] = (char *)exe;
	for (int i = 0; argv[i] && n < 60; i++)
		args[n++] = argv[i];
	snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
	args[n++] = (char *)"--ready-fd";
	args[n++] = fdarg;
	args[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	/* The write end must survive exec in the child: dup it onto itself. */
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], pipefd[1]);
	if (log_path) {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path,
						 O_WRONLY | O_CREAT | O_APPEND,
						 0644);
		posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO,
						 STDERR_FILENO);
	}
	ret = posix_spawn(&pid, exe, &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (ret) {
		close(pipefd[0]);
		return -ret;
	}
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	ret = poll(&pfd, 1, timeout_ms);
	if (ret == 1 && read(pipefd[0], &c, 1) == 1) {
		close(pipefd[0]);
		*pidp = pid;
		return 0;
	}
	close(pipefd[0]);
	if (ret == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -ETIMEDOUT;
	}
	waitpid(pid, NULL, 0);
	return -ECHILD;
}

int ballast_reap(pid_t pid, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000000L };
	int status;

	for (int waited = 0; waited < timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}
