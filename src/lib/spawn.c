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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait up to @timeout_ms for the ready byte on @fd, through signals.
 * Return: 0; -ECHILD if the child closed the pipe first (it exited);
 * -ETIMEDOUT; or a negative errno from poll or read.
 */
static int wait_ready(int fd, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	char c;

	for (;;) {
		long long left = deadline - now_ms();
		int ret;

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		n = read(fd, &c, 1);
		if (n == 1)
			return 0;
		if (n == 0)
			return -ECHILD;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

int ballast_spawn(const char *exe, char *const argv[], const char *log_path,
		  int timeout_ms, pid_t *pidp)
{
	posix_spawn_file_actions_t fa;
	char fdarg[16], *args[64];
	int pipefd[2], ret, n = 0;
	pid_t pid;

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
	ret = wait_ready(pipefd[0], timeout_ms);
	close(pipefd[0]);
	if (!ret) {
		*pidp = pid;
		return 0;
	}
	/* Not ready: make sure it is gone before reaping it. */
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ret;
}

int ballast_reap(pid_t pid, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000000L };
	long long deadline = now_ms() + timeout_ms;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}
