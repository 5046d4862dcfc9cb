// SPDX-License-Identifier: MIT
/*
 * cmd_guest.c - `ballast guest`: boot the memory-management core over a
 * guest RAM memfd, start the workload and the guest agent, connect the
 * virtio-balloon driver to the host over vhost-user, and serve the agent
 * until it is told to shut down (or SIGINT/SIGTERM).
 *
 * Order of start-up (and reverse tear-down): RAM, allocator, slab,
 * reclaim + kswapd, the page cache (backing directory) + flusher, vm, the
 * OOM killer, balloon framework, compaction + kcompactd, the validator's
 * hung-task watchdog (debug builds), workload, agent, the balloon device.
 */
#include "cli.h"
#include "guest.h"

#include <ballast/alloc.h>
#include <ballast/drivers.h>
#include <ballast/lib/size.h>
#include <ballast/migrate.h>
#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/vhost_user.h>
#include <ballast/vm.h>
#include <ballast/writeback.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct guest_opts {
	uint64_t ram;
	uint64_t file;			/* page-cache workload file, bytes */
	bool file_set;
	const char *cache_dir;
	const char *vhost;
	const char *agent;
	unsigned int threads;
	bool balloon;
	int ready_fd;
};

struct guest_state {
	struct guest g;
	struct virtio_device *vdev;
	struct virtio_balloon *vb;
};

static json_t *devices_status(struct guest *g)
{
	struct guest_state *gs = container_of(g, struct guest_state, g);
	struct virtballoon_info info;

	if (!gs->vb)
		return json_object();
	virtballoon_get_info(gs->vb, &info);
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, "
			 "s:b, s:b, s:I}}", "virtio-balloon",
			 "target-bytes", (json_int_t)info.target_pages << 12,
			 "balloon-bytes", (json_int_t)info.num_pages << 12,
			 "isolated-pages", (json_int_t)info.isolated_pages,
			 "oom-deflated-bytes",
			 (json_int_t)info.oom_deflated_pages << 12,
			 "oom-notifications", (json_int_t)info.oom_notifications,
			 "alloc-failures", (json_int_t)info.alloc_failures,
			 "stats-requests", (json_int_t)info.stats_requests,
			 "resyncs", (json_int_t)info.resyncs,
			 "must-tell-host", info.must_tell_host,
			 "stats-vq", info.stats_vq,
			 "deflate-on-oom", info.deflate_on_oom,
			 "connected", vhost_user_frontend_connected(gs->vdev),
			 "reconnects",
			 (json_int_t)vhost_user_frontend_nr_reconnects(gs->vdev));
}

static int boot(const struct guest_opts *o)
{
	int ret;

	struct writeback_config wb = { .dir = o->cache_dir };

	ret = page_ram_init(o->ram);
	if (ret)
		return ret;
	ret = alloc_init();
	if (!ret)
		ret = slab_init();
	if (!ret)
		ret = reclaim_init();
	if (!ret)
		ret = kswapd_run();
	if (!ret)
		ret = writeback_init(&wb);
	if (!ret)
		ret = vm_init();
	if (!ret)
		ret = oom_killer_init();
	if (!ret)
		ret = balloon_init();
	if (!ret)
		ret = compaction_init();
	if (!ret)
		ret = lockdep_hung_task_start(0);
	return ret;
}

static void shutdown_mm(void)
{
	lockdep_hung_task_stop();
	compaction_exit();
	balloon_exit();
	oom_killer_exit();
	vm_exit();
	writeback_exit();
	kswapd_stop();
	reclaim_exit();
	slab_exit();
	alloc_exit();
	page_ram_destroy();
}

static int connect_balloon(struct guest_state *gs, const struct guest_opts *o)
{
	struct vhost_user_frontend_opts fo = {
		.path = o->vhost,
		.device_id = VIRTIO_ID_BALLOON,
		.queue_size = 256,
		.reconnect_ms = 500,
	};
	int ret = vhost_user_frontend_create(&fo, &gs->vdev);

	if (ret) {
		pr_err("guest: cannot connect to the host at %s: %s", o->vhost,
		       strerror(-ret));
		return ret;
	}
	ret = virtballoon_probe(gs->vdev, &gs->vb);
	if (ret) {
		pr_err("guest: the balloon device failed to start: %s",
		       strerror(-ret));
		vhost_user_frontend_destroy(gs->vdev);
		gs->vdev = NULL;
	}
	return ret;
}

static int serve(struct agent *a, int sig_fd)
{
	while (!agent_quit_requested(a)) {
		struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };
		struct signalfd_siginfo si;

		agent_poll(a, 100);
		if (poll(&pfd, 1, 0) > 0 && read(sig_fd, &si, sizeof(si)) > 0)
			break;
	}
	return 0;
}

static int guest_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ram", required_argument, NULL, 'm' },
		{ "vhost", required_argument, NULL, 'v' },
		{ "agent", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "file-size", required_argument, NULL, 'f' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "no-balloon", no_argument, NULL, 'n' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct guest_opts o = {
		.ram = PAGE_RAM_DEFAULT_BYTES,
		.vhost = "ballast-vhost.sock",
		.agent = "ballast-agent.sock",
		.cache_dir = "ballast-cache",
		.threads = 2,
		.balloon = true,
		.ready_fd = -1,
	};
	struct guest_state gs = { 0 };
	struct agent *agent = NULL;
	sigset_t set;
	int opt, ret, sig_fd;
	char err[128], *end;
	long v;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+m:v:a:t:f:c:nr:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (parse_size(optarg, &o.ram))
				return ballast_usage_error("guest",
					"--ram '%s' is not a size (e.g. 1G)", optarg);
			if (page_ram_size_check(o.ram, err, sizeof(err)))
				return ballast_usage_error("guest", "--ram: %s", err);
			break;
		case 'v':
			o.vhost = optarg;
			break;
		case 'a':
			o.agent = optarg;
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > WORKLOAD_MAX_THREADS)
				return ballast_usage_error("guest",
					"--threads needs 1..%d", WORKLOAD_MAX_THREADS);
			o.threads = (unsigned int)v;
			break;
		case 'f':
			if (parse_size(optarg, &o.file))
				return ballast_usage_error("guest",
					"--file-size '%s' is not a size", optarg);
			o.file_set = true;
			break;
		case 'c':
			o.cache_dir = optarg;
			break;
		case 'n':
			o.balloon = false;
			break;
		case 'r':
			v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 1024)
				return ballast_usage_error("guest",
					"--ready-fd needs a descriptor number");
			o.ready_fd = (int)v;
			break;
		case 'h':
			printf("usage: ballast guest [--ram SIZE] [--vhost PATH] "
			       "[--agent PATH] [--threads N] [--file-size SIZE] "
			       "[--cache-dir DIR] [--no-balloon]\n"
			       "  --file-size SIZE  the page-cache workload's file "
			       "(default RAM/10; 0: none)\n"
			       "  --cache-dir DIR   backing directory of the page "
			       "cache (default ballast-cache)\n");
			return BALLAST_EXIT_OK;
		default:
			return ballast_usage_error("guest", "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ballast_usage_error("guest", "unexpected argument '%s'",
					   argv[optind]);
	if (!o.file_set)
		o.file = o.ram / 10;
	if (o.file > o.ram / 2)
		return ballast_usage_error("guest",
			"--file-size must be at most half of --ram");
	o.file &= ~(uint64_t)((64 << 10) - 1);	/* whole 64 KiB writes */

	/* Signals arrive through a descriptor; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	ret = boot(&o);
	if (ret) {
		pr_err("guest: cannot start the memory core: %s", strerror(-ret));
		return BALLAST_EXIT_FAIL;
	}
	gs.g.ram_bytes = o.ram;
	gs.g.workload_max_bytes = o.ram * o.threads;
	gs.g.devices_status = devices_status;
	ret = workload_start(&gs.g.workload, o.threads, o.ram, o.file);
	if (!ret)
		ret = agent_create(&agent, o.agent, &gs.g);
	if (!ret && o.balloon)
		ret = connect_balloon(&gs, &o);
	if (!ret) {
		if (o.ready_fd >= 0) {
			ssize_t n = write(o.ready_fd, "R", 1);

			(void)n;
			close(o.ready_fd);
		}
		pr_info("guest: %llu MiB of RAM; agent on %s%s%s",
			(unsigned long long)(o.ram >> 20), o.agent,
			o.balloon ? "; balloon on " : "",
			o.balloon ? o.vhost : "");
		serve(agent, sig_fd);
	}
	if (gs.vb)
		virtballoon_remove(gs.vb);
	if (gs.vdev)
		vhost_user_frontend_destroy(gs.vdev);
	agent_destroy(agent);
	if (gs.g.workload.nr_threads)
		workload_stop(&gs.g.workload);
	shutdown_mm();
	close(sig_fd);
	return ret ? BALLAST_EXIT_FAIL : BALLAST_EXIT_OK;
}

const struct ballast_cmd ballast_cmd_guest = {
	.name = "guest",
	.args = "[--ram SIZE] [--vhost P] [--agent P]",
	.summary = "run a guest: memory core, workload, balloon driver",
	.run = guest_cmd,
};
