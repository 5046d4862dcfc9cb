// SPDX-License-Identifier: MIT
/*
 * cmd_host.c - `ballast host`: run the device process (virtio-balloon over
 * vhost-user, and QMP) until QMP "quit", SIGINT or SIGTERM.
 */
#include "cli.h"

#include <ballast/host.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int host_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vhost", required_argument, NULL, 'v' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct host_opts o = {
		.vhost_path = "ballast-vhost.sock",
		.qmp_path = "ballast-qmp.sock",
		.ready_fd = -1,
	};
	long v;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+v:q:s:r:Qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			o.vhost_path = optarg;
			break;
		case 'q':
			o.qmp_path = optarg;
			break;
		case 's':
			if (parse_int(optarg, 0, 4294967, &v))
				return ballast_usage_error("host",
					"--stats-interval needs seconds (0: off)");
			o.stats_interval_s = v;
			break;
		case 'r':
			if (parse_int(optarg, 0, 1024, &v))
				return ballast_usage_error("host",
					"--ready-fd needs a descriptor number");
			o.ready_fd = (int)v;
			break;
		case 'Q':
			o.quiet = true;
			break;
		case 'h':
			printf("usage: ballast host [--vhost PATH] [--qmp PATH] "
			       "[--stats-interval S] [--quiet]\n"
			       "  --vhost PATH          vhost-user socket (default %s)\n"
			       "  --qmp PATH            QMP socket (default %s)\n"
			       "  --stats-interval S    poll guest stats every S s "
			       "(default 0: off)\n",
			       o.vhost_path, o.qmp_path);
			return BALLAST_EXIT_OK;
		default:
			return ballast_usage_error("host", "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ballast_usage_error("host", "unexpected argument '%s'",
					   argv[optind]);
	ret = host_run(&o);
	return ret ? BALLAST_EXIT_FAIL : BALLAST_EXIT_OK;
}

const struct ballast_cmd ballast_cmd_host = {
	.name = "host",
	.args = "[--vhost P] [--qmp P] [--stats-interval S]",
	.summary = "run the device process (virtio-balloon, QMP)",
	.run = host_cmd,
};
