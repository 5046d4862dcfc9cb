// SPDX-License-Identifier: MIT
/*
 * agent.c - the guest agent: a jsock server in the guest process, in the
 * shape of QEMU's guest agent (no greeting, no negotiation), with
 *   guest-ping, guest-info, guest-shutdown          (QGA's names)
 *   guest-compact-memory                            (compact_memory)
 *   guest-ballast-status, guest-ballast-workload    (ballast's own)
 *
 * Invariants and locking: runs in the guest's main thread; commands read
 * atomics and counters, call compact_nodes() (which may sleep), and set
 * the workload's target. Untrusted: every argument.
 */
#include "cli.h"
#include "guest.h"

#include <ballast/alloc.h>
#include <ballast/lib/jsock.h>
#include <ballast/migrate.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

struct agent {
	struct jsock_server *js;
	struct guest *g;
	bool quit;
};

static const struct jsock_command agent_commands[];
static const size_t nr_agent_commands;

static json_t *cmd_ping(void *ctx, struct jsock_conn *c, json_t *args,
			json_t **err)
{
	static const char *const allowed[] = { NULL };

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	return json_object();
}

static json_t *cmd_info(void *ctx, struct jsock_conn *c, json_t *args,
			json_t **err)
{
	static const char *const allowed[] = { NULL };
	json_t *list;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	list = json_array();
	for (size_t i = 0; i < nr_agent_commands; i++)
		json_array_append_new(list, json_pack("{s:s, s:b}", "name",
						      agent_commands[i].name,
						      "enabled", 1));
	return json_pack("{s:s, s:o}", "version", BALLAST_VERSION,
			 "supported_commands", list);
}

static json_t *cmd_shutdown(void *ctx, struct jsock_conn *c, json_t *args,
			    json_t **err)
{
	static const char *const allowed[] = { "mode", NULL };
	struct agent *a = ctx;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	a->quit = true;
	return json_object();
}

static json_t *cmd_compact(void *ctx, struct jsock_conn *c, json_t *args,
			   json_t **err)
{
	static const char *const allowed[] = { NULL };
	unsigned long before;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	before = vm_event_sum(PGMIGRATE_SUCCESS);
	compact_nodes();
	return json_pack("{s:I}", "migrated",
			 (json_int_t)(vm_event_sum(PGMIGRATE_SUCCESS) - before));
}

static json_t *vmstat_json(void)
{
	static const enum vm_event_item events[] = {
		OOM_KILL, ALLOCSTALL_NORMAL, PGSCAN_KSWAPD, PGSCAN_DIRECT,
		PGSTEAL_KSWAPD, PGSTEAL_DIRECT, BALLOON_INFLATE, BALLOON_DEFLATE,
		BALLOON_MIGRATE, COMPACTSTALL, COMPACTSUCCESS, COMPACTFAIL,
		COMPACTMIGRATE_SCANNED, COMPACTFREE_SCANNED, COMPACTISOLATED,
		PGMIGRATE_SUCCESS, PGMIGRATE_FAIL, KCOMPACTD_WAKE,
	};
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(events); i++)
		json_object_set_new(o, vm_event_name(events[i]),
				    json_integer((json_int_t)vm_event_sum(events[i])));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		json_object_set_new(o, node_stat_name((enum node_stat_item)i),
				    json_integer(node_page_state(
					    (enum node_stat_item)i)));
	json_object_set_new(o, "nr_free_pages",
			    json_integer((json_int_t)nr_free_pages()));
	return o;
}

static json_t *cmd_status(void *ctx, struct jsock_conn *c, json_t *args,
			  json_t **err)
{
	static const char *const allowed[] = { NULL };
	struct agent *a = ctx;
	struct guest *g = a->g;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}",
			 "ram-bytes", (json_int_t)g->ram_bytes,
			 "managed-bytes",
			 (json_int_t)(totalram_pages() << PAGE_SHIFT),
			 "free-bytes",
			 (json_int_t)(nr_free_pages() << PAGE_SHIFT),
			 "workload", workload_status(&g->workload),
			 "devices", g->devices_status ? g->devices_status(g)
						      : json_object(),
			 "vmstat", vmstat_json());
}

static json_t *cmd_workload(void *ctx, struct jsock_conn *c, json_t *args,
			    json_t **err)
{
	static const char *const allowed[] = { "target-bytes", NULL };
	struct agent *a = ctx;
	json_t *target;
	json_int_t bytes;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	target = jsock_arg(args, "target-bytes", JSON_INTEGER, true, err);
	if (!target)
		return NULL;
	bytes = json_integer_value(target);
	/* Overcommit is allowed (the OOM killer is there for it): each
	 * worker's region is as large as RAM. */
	if (bytes < 0 || (uint64_t)bytes > a->g->workload_max_bytes) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Parameter 'target-bytes' expects a size "
				   "between 0 and %" PRIu64, a->g->workload_max_bytes);
		return NULL;
	}
	workload_set_target(&a->g->workload, (unsigned long)bytes >> PAGE_SHIFT);
	return json_object();
}

static const struct jsock_command agent_commands[] = {
	{ "guest-ping", cmd_ping },
	{ "guest-info", cmd_info },
	{ "guest-shutdown", cmd_shutdown },
	{ "guest-compact-memory", cmd_compact },
	{ "guest-ballast-status", cmd_status },
	{ "guest-ballast-workload", cmd_workload },
};
static const size_t nr_agent_commands = ARRAY_SIZE(agent_commands);

int agent_create(struct agent **ap, const char *path, struct guest *g)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct jsock_config cfg = {
		.commands = agent_commands,
		.nr_commands = ARRAY_SIZE(agent_commands),
	};
	int ret;

	if (!a)
		return -ENOMEM;
	a->g = g;
	cfg.ctx = a;
	ret = jsock_server_create(&a->js, path, &cfg);
	if (ret) {
		free(a);
		return ret;
	}
	*ap = a;
	return 0;
}

void agent_destroy(struct agent *a)
{
	if (!a)
		return;
	jsock_server_destroy(a->js);
	free(a);
}

int agent_poll(struct agent *a, int timeout_ms)
{
	return jsock_server_poll(a->js, timeout_ms);
}

bool agent_quit_requested(const struct agent *a)
{
	return a->quit;
}
