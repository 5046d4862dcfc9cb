// SPDX-License-Identifier: MIT
/*
 * host.c - the host process's event loop: the vhost-user back-end (one
 * balloon device per connection), the QMP socket, a 100 ms tick for stats
 * polling and ballooned-page scans, and SIGINT/SIGTERM.
 *
 * Invariants and locking: one thread runs everything (the back-end's and
 * QMP's rule), so there are no locks. Signals are taken through a
 * signalfd, so they are handled in the loop, never asynchronously.
 */
#include <ballast/host.h>
#include <ballast/lib/log.h>

#include "balloon_dev.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define HOST_TICK_MS 100

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int make_tick(void)
{
	struct itimerspec its = {
		.it_interval = { 0, HOST_TICK_MS * 1000000L },
		.it_value = { 0, HOST_TICK_MS * 1000000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int make_signalfd(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int host_run(const struct host_opts *opts)
{
	struct host host = {
		.stats_interval_s = opts->stats_interval_s,
		.quiet = opts->quiet,
	};
	struct vhost_user_server *srv = NULL;
	int tick_fd = -1, sig_fd = -1, ret;
	sigset_t old;
	bool quit = false;

	INIT_LIST_HEAD(&host.devices);
	sig_fd = make_signalfd(&old);
	tick_fd = make_tick();
	if (sig_fd < 0 || tick_fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = qmp_server_create(&host.qmp, opts->qmp_path, &balloon_qmp_ops,
				&host);
	if (ret) {
		pr_err("host: cannot listen on QMP socket %s: %s",
		       opts->qmp_path, strerror(-ret));
		goto out;
	}
	ret = vhost_user_server_create(&srv, opts->vhost_path, &balloon_dev_ops,
				       &host);
	if (ret) {
		pr_err("host: cannot listen on vhost-user socket %s: %s",
		       opts->vhost_path, strerror(-ret));
		goto out;
	}
	if (!opts->quiet)
		pr_info("host: serving virtio-balloon on %s, QMP on %s",
			opts->vhost_path, opts->qmp_path);
	if (opts->ready_fd >= 0) {
		ssize_t n = write(opts->ready_fd, "R", 1);

		close(opts->ready_fd);
		(void)n;
	}

	while (!quit) {
		struct pollfd pfd[4] = {
			{ .fd = vhost_user_server_fd(srv), .events = POLLIN },
			{ .fd = qmp_server_fd(host.qmp), .events = POLLIN },
			{ .fd = tick_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
		};

		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (pfd[0].revents) {
			ret = vhost_user_server_poll(srv, 0);
			if (ret < 0)
				break;
			ret = 0;
		}
		if (pfd[1].revents) {
			ret = qmp_server_poll(host.qmp, 0);
			if (ret)
				break;
			quit = qmp_server_quit_requested(host.qmp);
		}
		if (pfd[2].revents) {
			uint64_t ticks;

			if (read(tick_fd, &ticks, sizeof(ticks)) > 0)
				balloon_dev_tick(&host, mono_ms());
		}
		if (pfd[3].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) > 0) {
				if (!opts->quiet)
					pr_info("host: signal %u, quitting",
						si.ssi_signo);
				quit = true;
			}
		}
	}
out:
	if (srv)
		vhost_user_server_destroy(srv);
	qmp_server_destroy(host.qmp);
	if (tick_fd >= 0)
		close(tick_fd);
	if (sig_fd >= 0) {
		close(sig_fd);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return ret;
}
