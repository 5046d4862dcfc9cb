// SPDX-License-Identifier: MIT
/*
 * vhost_user_echo.c - the echo device: a trivial back-end device used by
 * the two-process tests and the benchmark, and a small example of the
 * device-ops interface (vhost_user.h).
 *
 * Invariants and locking:
 *  - One struct echo per connection (create/destroy); it is touched only
 *    on the server thread, so it needs no lock.
 *  - Untrusted: the bytes of every chain. They are copied once, in
 *    bounded chunks, into a private buffer and transformed there; the
 *    device writes at most the chain's writable length, and the used
 *    length it reports is exactly what it wrote.
 *  - processed counts chains completed since create or the last reset.
 * Nothing sleeps; create allocates from the C heap.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define ECHO_CHUNK 4096

struct echo {
	uint64_t processed;
	uint8_t xor;
	struct vringh_elem elem;
	struct iovec iov[VHOST_USER_ECHO_QUEUE_SIZE];
	uint8_t chunk[ECHO_CHUNK];
};

static int echo_create(struct vhost_user_dev *dev)
{
	struct echo *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->elem.iov = e->iov;
	e->elem.iov_max = VHOST_USER_ECHO_QUEUE_SIZE;
	vhost_user_dev_set_priv(dev, e);
	return 0;
}

static void echo_destroy(struct vhost_user_dev *dev)
{
	free(vhost_user_dev_get_priv(dev));
}

static void echo_reset(struct vhost_user_dev *dev)
{
	struct echo *e = vhost_user_dev_get_priv(dev);

	e->processed = 0;
	e->xor = 0;
}

/* A cursor over a run of iovecs. */
struct iov_cursor {
	const struct iovec *iov;
	unsigned int nr, i;
	size_t off;
};

static size_t iov_copy(struct iov_cursor *c, uint8_t *buf, size_t len,
		       bool to_iov)
{
	size_t done = 0;

	while (done < len && c->i < c->nr) {
		const struct iovec *v = &c->iov[c->i];
		size_t n = min(len - done, v->iov_len - c->off);
		uint8_t *p = (uint8_t *)v->iov_base + c->off;

		if (to_iov)
			memcpy(p, buf + done, n);
		else
			memcpy(buf + done, p, n);
		done += n;
		c->off += n;
		if (c->off == v->iov_len) {
			c->i++;
			c->off = 0;
		}
	}
	return done;
}

static uint32_t echo_one(struct echo *e, const struct vringh_elem *elem)
{
	struct iov_cursor out = { .iov = elem->iov, .nr = elem->out_num };
	struct iov_cursor in = { .iov = elem->iov + elem->out_num,
				 .nr = elem->in_num };
	uint64_t left = min(elem->out_len, elem->in_len);
	uint32_t written = 0;

	while (left) {
		size_t n = min(left, (uint64_t)ECHO_CHUNK);

		n = iov_copy(&out, e->chunk, n, false);
		for (size_t i = 0; i < n; i++)
			e->chunk[i] ^= e->xor;
		iov_copy(&in, e->chunk, n, true);
		written += (uint32_t)n;
		left -= n;
	}
	return written;
}

static void echo_handle_queue(struct vhost_user_dev *dev, unsigned int q)
{
	struct echo *e = vhost_user_dev_get_priv(dev);

	while (vhost_user_dev_pop(dev, q, &e->elem) > 0) {
		uint32_t len = echo_one(e, &e->elem);

		if (vhost_user_dev_push(dev, q, e->elem.head, len))
			return;
		e->processed++;
	}
}

static int echo_get_config(struct vhost_user_dev *dev, uint32_t offset,
			   void *buf, uint32_t len)
{
	struct echo *e = vhost_user_dev_get_priv(dev);
	uint8_t cfg[VHOST_USER_ECHO_CFG_SIZE] = { 0 };
	uint64_t processed = htole64(e->processed);

	memcpy(cfg + VHOST_USER_ECHO_CFG_PROCESSED, &processed,
	       sizeof(processed));
	cfg[VHOST_USER_ECHO_CFG_XOR] = e->xor;
	memcpy(buf, cfg + offset, len);
	return 0;
}

static int echo_set_config(struct vhost_user_dev *dev, uint32_t offset,
			   const void *buf, uint32_t len, uint32_t flags)
{
	struct echo *e = vhost_user_dev_get_priv(dev);
	uint32_t cmd;

	if (offset == VHOST_USER_ECHO_CFG_XOR && len == 1) {
		e->xor = *(const uint8_t *)buf;
		return 0;
	}
	if (offset != VHOST_USER_ECHO_CFG_COMMAND || len != sizeof(cmd))
		return -EINVAL;		/* read-only or partial field */
	memcpy(&cmd, buf, sizeof(cmd));
	switch (le32toh(cmd)) {
	case VHOST_USER_ECHO_CMD_CONFIG_CHANGE:
		return vhost_user_dev_config_changed(dev) == -ENOTCONN ? -EIO
								       : 0;
	case VHOST_USER_ECHO_CMD_NEEDS_RESET:
		vhost_user_dev_needs_reset(dev, "reset requested by driver");
		return 0;
	default:
		return -EINVAL;
	}
}

const struct vhost_user_dev_ops vhost_user_echo_ops = {
	.name = "echo",
	.device_id = VHOST_USER_ECHO_ID,
	.nr_queues = 1,
	.max_queue_size = VHOST_USER_ECHO_QUEUE_SIZE,
	.features = 0,
	.config_size = VHOST_USER_ECHO_CFG_SIZE,
	.create = echo_create,
	.destroy = echo_destroy,
	.get_config = echo_get_config,
	.set_config = echo_set_config,
	.handle_queue = echo_handle_queue,
	.reset = echo_reset,
};

static struct vhost_user_server *echo_server;

static void echo_sigterm(int sig)
{
	vhost_user_server_stop(echo_server);
}

int vhost_user_echo_serve(const char *path, int ready_fd)
{
	struct sigaction sa = { .sa_handler = echo_sigterm };
	int ret;

	signal(SIGPIPE, SIG_IGN);
	ret = vhost_user_server_create(&echo_server, path, &vhost_user_echo_ops,
				       NULL);
	if (ret)
		return ret;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (ready_fd >= 0) {
		char c = 'R';

		if (write(ready_fd, &c, 1) != 1)
			ret = -errno;
		close(ready_fd);
	}
	if (!ret)
		ret = vhost_user_server_run(echo_server);
	vhost_user_server_destroy(echo_server);
	echo_server = NULL;
	return ret;
}

bool vhost_user_echo_main(int argc, char **argv, int *status)
{
	if (argc != 4 || strcmp(argv[1], VHOST_USER_ECHO_ARG))
		return false;
	*status = vhost_user_echo_serve(argv[2], atoi(argv[3])) ? 1 : 0;
	return true;
}

#define ECHO_READY_FD 3
#define ECHO_SPAWN_TIMEOUT_MS 30000

int vhost_user_echo_spawn(const char *path, pid_t *pidp)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	char fdarg[16], exe[] = "/proc/self/exe", arg[] = VHOST_USER_ECHO_ARG;
	char *argv[] = { exe, arg, (char *)path, fdarg, NULL };
	struct pollfd pfd;
	int p[2], wfd, ret;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Keep the write end away from the child's fd 3 before dup2. */
	wfd = fcntl(p[1], F_DUPFD_CLOEXEC, 16);
	close(p[1]);
	if (wfd < 0) {
		close(p[0]);
		return -errno;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", ECHO_READY_FD);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, wfd, ECHO_READY_FD);
	ret = -posix_spawn(pidp, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(wfd);
	if (!ret) {
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		ret = poll(&pfd, 1, ECHO_SPAWN_TIMEOUT_MS);
		if (ret == 0)
			ret = -ETIMEDOUT;
		else if (ret < 0)
			ret = -errno;
		else
			ret = read(p[0], &c, 1) == 1 ? 0 : -ECHILD;
		if (ret) {
			kill(*pidp, SIGKILL);
			waitpid(*pidp, NULL, 0);
		}
	}
	close(p[0]);
	return ret;
}
