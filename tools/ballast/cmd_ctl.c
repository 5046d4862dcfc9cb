// SPDX-License-Identifier: MIT
/*
 * cmd_ctl.c - `ballast ctl`: a small client for the host's QMP socket and
 * the guest agent, for people and scripts.
 *
 *   ballast ctl [--qmp PATH] [--agent PATH] [--timeout MS] [--device ID]
 *               COMMAND [ARGS]
 *
 * The balloon commands (balloon, query, stats, interval) act on the device
 * --device names; without it, balloon and query go to the host's first
 * device (QMP's default) and stats and interval ask the host which that
 * is, since ids change as guests reconnect (balloon0, balloon1, ...).
 *
 * Exit status: 0 done; 1 the peer refused or could not be reached (the
 * message names which); 2 a usage error.
 */
#include "cli.h"

#include <ballast/lib/jsock.h>
#include <ballast/lib/size.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CTL "ctl"

struct ctl_opts {
	const char *qmp;
	const char *agent;
	int timeout_ms;
};

/* A command's arguments, parsed before anything is connected. */
struct ctl_args {
	uint64_t bytes;		/* balloon */
	long number;		/* interval seconds, events count (-1: forever) */
	const char *device;	/* the balloon commands; NULL: the first */
	char first[64];		/* the host's first device, once asked */
	json_t *request;	/* raw */
};

static int ctl_connect(const char *path, bool qmp, int timeout_ms,
		       struct jsock_client **c)
{
	int ret = jsock_client_connect(c, path, qmp ? "qmp_capabilities" : NULL,
				       timeout_ms);

	if (ret)
		fprintf(stderr, "ballast ctl: cannot talk to %s at %s: %s\n",
			qmp ? "the host's QMP socket" : "the guest agent", path,
			strerror(-ret));
	return ret;
}

/* Run one command; print QMP errors as "NAME: Class: desc". */
static int ctl_exec(struct jsock_client *c, const char *name, json_t *args,
		    json_t **ret)
{
	int err = jsock_client_execute(c, name, args, ret);

	if (err == -EREMOTEIO) {
		fprintf(stderr, "ballast ctl: %s: %s: %s\n", name,
			json_string_value(json_object_get(*ret, "class")),
			json_string_value(json_object_get(*ret, "desc")));
		json_decref(*ret);
		*ret = NULL;
	} else if (err) {
		fprintf(stderr, "ballast ctl: %s: %s\n", name, strerror(-err));
	}
	return err;
}

/* A size in bytes; a negative one is a value not reported yet. */
static void print_size(const char *label, json_int_t bytes)
{
	char buf[32];

	if (bytes < 0) {
		printf("%-22s n/a\n", label);
		return;
	}
	format_size((uint64_t)bytes, buf, sizeof(buf));
	printf("%-22s %s (%" JSON_INTEGER_FORMAT " bytes)\n", label, buf, bytes);
}

static void print_int(const char *label, json_int_t v)
{
	if (v < 0)
		printf("%-22s n/a\n", label);
	else
		printf("%-22s %" JSON_INTEGER_FORMAT "\n", label, v);
}

/*
 * The device a QOM command names: --device, else the host's first balloon
 * device (ids change as guests reconnect, so "balloon0" may be gone).
 */
static int ctl_device(struct jsock_client *c, struct ctl_args *a,
		      const char *cmd, const char **id)
{
	json_t *ret, *devs, *first;

	if (!a->device) {
		if (ctl_exec(c, "x-ballast-query-balloon", NULL, &ret))
			return BALLAST_EXIT_FAIL;
		devs = json_object_get(ret, "devices");
		first = json_object_get(json_array_get(devs, 0), "id");
		if (!json_is_string(first)) {
			fprintf(stderr, "ballast ctl: %s: no balloon device is "
				"connected to the host\n", cmd);
			json_decref(ret);
			return BALLAST_EXIT_FAIL;
		}
		snprintf(a->first, sizeof(a->first), "%s",
			 json_string_value(first));
		a->device = a->first;
		json_decref(ret);
	}
	*id = a->device;
	return BALLAST_EXIT_OK;
}

static int parse_balloon(int argc, char **argv, struct ctl_args *a)
{
	if (argc != 2)
		return ballast_usage_error(CTL, "balloon takes one SIZE");
	if (parse_size(argv[1], &a->bytes) || a->bytes > INT64_MAX)
		return ballast_usage_error(CTL, "'%s' is not a size (e.g. 512M, 1G)",
					   argv[1]);
	return 0;
}

static int do_balloon(struct jsock_client *c, struct ctl_args *a)
{
	json_t *ret;
	char buf[32];

	json_t *args = json_pack("{s:I}", "value", (json_int_t)a->bytes);

	if (a->device)
		json_object_set_new(args, "device", json_string(a->device));
	if (ctl_exec(c, "balloon", args, &ret))
		return BALLAST_EXIT_FAIL;
	json_decref(ret);
	format_size(a->bytes, buf, sizeof(buf));
	printf("target: %s keeps %s\n", a->device ? a->device : "the guest",
	       buf);
	return BALLAST_EXIT_OK;
}

static int parse_none(int argc, char **argv, struct ctl_args *a)
{
	if (argc != 1)
		return ballast_usage_error(CTL, "%s takes no arguments", argv[0]);
	return 0;
}

static int do_query(struct jsock_client *c, struct ctl_args *a)
{
	json_t *ret, *dev;
	size_t i;

	if (ctl_exec(c, "query-balloon",
		     a->device ? json_pack("{s:s}", "device", a->device) : NULL,
		     &ret))
		return BALLAST_EXIT_FAIL;
	print_size("actual (guest RAM):",
		   json_integer_value(json_object_get(ret, "actual")));
	json_decref(ret);
	if (jsock_client_execute(c, "x-ballast-query-balloon", NULL, &ret))
		return BALLAST_EXIT_OK;	/* an older host: QEMU's view only */
	json_array_foreach(json_object_get(ret, "devices"), i, dev) {
		const char *id = json_string_value(json_object_get(dev, "id"));
		const char *key;
		json_t *v;

		if (!id || (a->device && strcmp(id, a->device)))
			continue;
		printf("%s:\n", id);
		json_object_foreach(dev, key, v) {
			char label[64];

			if (!json_is_integer(v))
				continue;
			snprintf(label, sizeof(label), "  %s:", key);
			if (strstr(key, "bytes"))
				print_size(label, json_integer_value(v));
			else
				print_int(label, json_integer_value(v));
		}
	}
	json_decref(ret);
	return BALLAST_EXIT_OK;
}

static int parse_stats(int argc, char **argv, struct ctl_args *a)
{
	if (argc > 2)
		return ballast_usage_error(CTL, "stats takes at most a DEVICE");
	if (argc > 1 && a->device)
		return ballast_usage_error(CTL, "stats takes the device once "
					   "(--device ID or stats ID)");
	if (argc > 1 && !*argv[1])
		return ballast_usage_error(CTL, "stats needs a device id "
					   "(e.g. balloon0)");
	if (argc > 1)
		a->device = argv[1];
	return 0;
}

static int do_stats(struct jsock_client *c, struct ctl_args *a)
{
	json_t *ret, *v;
	const char *key, *id;
	json_int_t updated;

	if (ctl_device(c, a, "stats", &id))
		return BALLAST_EXIT_FAIL;
	if (ctl_exec(c, "qom-get",
		     json_pack("{s:s, s:s}", "path", id, "property",
			       "guest-stats"), &ret))
		return BALLAST_EXIT_FAIL;
	printf("%-22s %s\n", "device:", id);
	updated = json_integer_value(json_object_get(ret, "last-update"));
	if (updated)
		print_int("last-update:", updated);
	else
		printf("%-22s never\n", "last-update:");
	json_object_foreach(json_object_get(ret, "stats"), key, v) {
		char label[64];

		snprintf(label, sizeof(label), "%s:", key);
		if (strstr(key, "memory") || strstr(key, "caches"))
			print_size(label, json_integer_value(v));
		else
			print_int(label, json_integer_value(v));
	}
	json_decref(ret);
	return BALLAST_EXIT_OK;
}

static int parse_interval(int argc, char **argv, struct ctl_args *a)
{
	char *end;

	if (argc != 2)
		return ballast_usage_error(CTL, "interval takes SECONDS");
	a->number = strtol(argv[1], &end, 10);
	if (*end || end == argv[1] || a->number < 0 || a->number > 4294967)
		return ballast_usage_error(CTL, "'%s' is not a number of seconds",
					   argv[1]);
	return 0;
}

static int do_interval(struct jsock_client *c, struct ctl_args *a)
{
	const char *id;
	json_t *ret;

	if (ctl_device(c, a, "interval", &id))
		return BALLAST_EXIT_FAIL;
	if (ctl_exec(c, "qom-set",
		     json_pack("{s:s, s:s, s:I}", "path", id, "property",
			       "guest-stats-polling-interval", "value",
			       (json_int_t)a->number), &ret))
		return BALLAST_EXIT_FAIL;
	json_decref(ret);
	return BALLAST_EXIT_OK;
}

static int parse_events(int argc, char **argv, struct ctl_args *a)
{
	a->number = -1;
	if (argc == 3 && !strcmp(argv[1], "--count")) {
		char *end;

		a->number = strtol(argv[2], &end, 10);
		if (*end || a->number <= 0)
			return ballast_usage_error(CTL, "--count needs a positive number");
	} else if (argc != 1) {
		return ballast_usage_error(CTL, "events takes [--count N]");
	}
	return 0;
}

static int do_events(struct jsock_client *c, struct ctl_args *a)
{
	long count = a->number;

	while (count) {
		json_t *ev;
		int err = jsock_client_next_event(c, 1000, &ev);
		char *text;

		if (err == -ETIMEDOUT)
			continue;
		if (err) {
			fprintf(stderr, "ballast ctl: events: %s\n", strerror(-err));
			return BALLAST_EXIT_FAIL;
		}
		text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		fflush(stdout);
		free(text);
		json_decref(ev);
		if (count > 0)
			count--;
	}
	return BALLAST_EXIT_OK;
}

static int parse_raw(int argc, char **argv, struct ctl_args *a)
{
	json_error_t jerr;

	if (argc != 2)
		return ballast_usage_error(CTL, "raw takes one JSON command");
	a->request = json_loads(argv[1], 0, &jerr);
	if (!a->request ||
	    !json_is_string(json_object_get(a->request, "execute"))) {
		json_decref(a->request);
		a->request = NULL;
		return ballast_usage_error(CTL, "'%s' is not {\"execute\": ...}",
					   argv[1]);
	}
	return 0;
}

static int do_raw(struct jsock_client *c, struct ctl_args *a)
{
	json_t *ret, *args = json_object_get(a->request, "arguments");
	const char *name = json_string_value(json_object_get(a->request,
							     "execute"));
	char *text;
	int err;

	err = jsock_client_execute(c, name, args ? json_incref(args) : NULL, &ret);
	if (err && err != -EREMOTEIO) {
		fprintf(stderr, "ballast ctl: raw: %s\n", strerror(-err));
		return BALLAST_EXIT_FAIL;
	}
	text = json_dumps(ret, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				       JSON_ENCODE_ANY);
	printf("%s: %s\n", err ? "error" : "return", text);
	free(text);
	json_decref(ret);
	return err ? BALLAST_EXIT_FAIL : BALLAST_EXIT_OK;
}

static int do_compact(struct jsock_client *c, struct ctl_args *a)
{
	json_t *ret;

	if (ctl_exec(c, "guest-compact-memory", NULL, &ret))
		return BALLAST_EXIT_FAIL;
	printf("compacted: %" JSON_INTEGER_FORMAT " pages migrated\n",
	       json_integer_value(json_object_get(ret, "migrated")));
	json_decref(ret);
	return BALLAST_EXIT_OK;
}

static const struct {
	const char *name;
	bool agent;		/* goes to the guest agent, not QMP */
	bool device;		/* acts on one balloon device (--device) */
	int (*parse)(int argc, char **argv, struct ctl_args *a);
	int (*run)(struct jsock_client *c, struct ctl_args *a);
} ctl_cmds[] = {
	{ "balloon", false, true, parse_balloon, do_balloon },
	{ "query", false, true, parse_none, do_query },
	{ "stats", false, true, parse_stats, do_stats },
	{ "interval", false, true, parse_interval, do_interval },
	{ "events", false, false, parse_events, do_events },
	{ "raw", false, false, parse_raw, do_raw },
	{ "compact", true, false, parse_none, do_compact },
};

static int ctl_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "qmp", required_argument, NULL, 'q' },
		{ "agent", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = {
		.qmp = getenv("BALLAST_QMP") ? getenv("BALLAST_QMP")
					     : "ballast-qmp.sock",
		.agent = getenv("BALLAST_AGENT") ? getenv("BALLAST_AGENT")
						 : "ballast-agent.sock",
		.timeout_ms = 10000,
	};
	struct ctl_args a = { 0 };
	struct jsock_client *c;
	size_t i;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+q:a:t:d:h", longopts,
				  NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'q':
			o.qmp = optarg;
			break;
		case 'a':
			o.agent = optarg;
			break;
		case 't':
			o.timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || o.timeout_ms <= 0)
				return ballast_usage_error(CTL,
					"--timeout needs milliseconds > 0");
			break;
		case 'd':
			if (!*optarg)
				return ballast_usage_error(CTL, "--device needs "
					"a device id (e.g. balloon0)");
			a.device = optarg;
			break;
		case 'h':
			printf("usage: ballast ctl [--qmp PATH] [--agent PATH] "
			       "[--timeout MS] [--device ID] COMMAND\n"
			       "  balloon SIZE       the guest keeps SIZE of RAM\n"
			       "  query              guest RAM now, and the host's record\n"
			       "  stats [DEVICE]     the guest's memory statistics "
			       "(n/a: not reported yet)\n"
			       "  interval SECONDS   stats polling interval (0: off)\n"
			       "  events [--count N] print QMP events as they come\n"
			       "  raw JSON           send one QMP command\n"
			       "  compact            compact the guest's memory (agent)\n"
			       "  --device ID        the balloon device of balloon, "
			       "query, stats and interval\n"
			       "                     (default: the host's first; "
			       "'ctl query' lists them)\n");
			return BALLAST_EXIT_OK;
		default:
			return ballast_usage_error(CTL, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ballast_usage_error(CTL, "missing COMMAND (try 'ballast ctl --help')");
	argc -= optind;
	argv += optind;
	for (i = 0; i < ARRAY_SIZE(ctl_cmds); i++)
		if (!strcmp(argv[0], ctl_cmds[i].name))
			break;
	if (i == ARRAY_SIZE(ctl_cmds))
		return ballast_usage_error(CTL, "unknown command '%s'", argv[0]);
	if (a.device && !ctl_cmds[i].device)
		return ballast_usage_error(CTL, "--device applies to balloon, "
					   "query, stats and interval, not %s",
					   argv[0]);
	ret = ctl_cmds[i].parse(argc, argv, &a);
	if (ret)
		return ret;
	if (ctl_connect(ctl_cmds[i].agent ? o.agent : o.qmp, !ctl_cmds[i].agent,
			o.timeout_ms, &c)) {
		json_decref(a.request);
		return BALLAST_EXIT_FAIL;
	}
	ret = ctl_cmds[i].run(c, &a);
	jsock_client_close(c);
	json_decref(a.request);
	return ret;
}

const struct ballast_cmd ballast_cmd_ctl = {
	.name = "ctl",
	.args = "[--qmp P] [--agent P] [--device ID] COMMAND ...",
	.summary = "talk to the host (QMP) or the guest agent",
	.run = ctl_run,
};
