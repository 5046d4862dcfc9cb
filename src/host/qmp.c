// SPDX-License-Identifier: MIT
/*
 * qmp.c - the QMP commands of the host, served by jsock: negotiation,
 * balloon, query-balloon, qom-get/qom-set on a balloon's QOM path,
 * query-commands, quit, and ballast's x-ballast-query-balloon.
 *
 * Invariants and locking: single-threaded (the host's event loop); the
 * device callbacks run in the same thread. Untrusted: every argument
 * (checked for presence, type, range before a device is touched).
 */
#include "qmp.h"

#include <ballast/lib/log.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define QMP_VERSION_MAJOR 9
#define QMP_VERSION_MINOR 0

struct qmp_server {
	struct jsock_server *js;
	const struct qmp_balloon_ops *ops;
	void *ctx;
	bool quit;
};

/* A balloon device named by an optional "device" argument. */
static void *find_device(struct qmp_server *q, json_t *args, json_t **err)
{
	json_t *id = jsock_arg(args, "device", JSON_STRING, false, err);
	void *dev;

	if (*err)
		return NULL;
	dev = q->ops->find(q->ctx, id ? json_string_value(id) : NULL);
	if (!dev) {
		if (id)
			*err = jsock_error(QMP_DEVICE_NOT_FOUND,
					   "Device '%s' not found",
					   json_string_value(id));
		else
			*err = jsock_error(QMP_DEVICE_NOT_ACTIVE,
					   "No balloon device has been activated");
	}
	return dev;
}

/*
 * A QOM path naming a balloon device: "/machine/peripheral/ID" or, as
 * QEMU accepts partial paths, "ID".
 */
static void *find_qom_device(struct qmp_server *q, const char *path,
			     json_t **err)
{
	static const char prefix[] = "/machine/peripheral/";
	const char *id = path;
	void *dev = NULL;

	if (!strncmp(path, prefix, sizeof(prefix) - 1))
		id = path + sizeof(prefix) - 1;
	if (*id && !strchr(id, '/'))
		dev = q->ops->find(q->ctx, id);
	if (!dev)
		*err = jsock_error(QMP_DEVICE_NOT_FOUND, "Device '%s' not found",
				   path);
	return dev;
}

static json_t *cmd_qmp_capabilities(void *ctx, struct jsock_conn *c,
				    json_t *args, json_t **err)
{
	static const char *const allowed[] = { "enable", NULL };
	json_t *enable, *cap;
	size_t i;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	enable = jsock_arg(args, "enable", JSON_ARRAY, false, err);
	if (*err)
		return NULL;
	json_array_foreach(enable, i, cap) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Capability '%s' not available",
				   json_is_string(cap) ? json_string_value(cap)
						       : "?");
		return NULL;
	}
	return json_object();
}

static json_t *cmd_balloon(void *ctx, struct jsock_conn *c, json_t *args,
			   json_t **err)
{
	static const char *const allowed[] = { "value", "device", NULL };
	struct qmp_server *q = ctx;
	json_t *value;
	json_int_t bytes;
	uint64_t ram;
	void *dev;
	int ret;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	value = jsock_arg(args, "value", JSON_INTEGER, true, err);
	if (!value)
		return NULL;
	dev = find_device(q, args, err);
	if (!dev)
		return NULL;
	bytes = json_integer_value(value);
	ram = q->ops->ram_bytes(dev);
	if (bytes < 0 || (uint64_t)bytes > ram) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Parameter 'value' expects a size between 0 "
				   "and %" PRIu64 " bytes", ram);
		return NULL;
	}
	ret = q->ops->set_target(dev, (uint64_t)bytes);
	if (ret) {
		*err = jsock_error(JSOCK_GENERIC_ERROR, "balloon: %s",
				   strerror(-ret));
		return NULL;
	}
	return json_object();
}

static json_t *cmd_query_balloon(void *ctx, struct jsock_conn *c,
				 json_t *args, json_t **err)
{
	static const char *const allowed[] = { "device", NULL };
	struct qmp_server *q = ctx;
	void *dev;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	dev = find_device(q, args, err);
	if (!dev)
		return NULL;
	return json_pack("{s:I}", "actual",
			 (json_int_t)q->ops->actual_bytes(dev));
}

static json_t *cmd_x_query(void *ctx, struct jsock_conn *c, json_t *args,
			   json_t **err)
{
	static const char *const allowed[] = { NULL };
	struct qmp_server *q = ctx;
	json_t *ids, *out, *id;
	size_t i;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	ids = q->ops->list(q->ctx);
	out = json_array();
	json_array_foreach(ids, i, id) {
		void *dev = q->ops->find(q->ctx, json_string_value(id));

		if (dev)
			json_array_append_new(out, q->ops->host_info(dev));
	}
	json_decref(ids);
	return json_pack("{s:o}", "devices", out);
}

/* The arguments qom-get and qom-set share: "path" and "property". */
static bool qom_args(json_t *args, const char *const *allowed,
		     const char **path, const char **prop, json_t **err)
{
	json_t *p, *n;

	if (!jsock_args_only(args, allowed, err))
		return false;
	p = jsock_arg(args, "path", JSON_STRING, true, err);
	if (!p)
		return false;
	n = jsock_arg(args, "property", JSON_STRING, true, err);
	if (!n)
		return false;
	*path = json_string_value(p);
	*prop = json_string_value(n);
	return true;
}

static json_t *cmd_qom_get(void *ctx, struct jsock_conn *c, json_t *args,
			   json_t **err)
{
	static const char *const allowed[] = { "path", "property", NULL };
	struct qmp_server *q = ctx;
	const char *path, *name;
	void *dev;

	if (!qom_args(args, allowed, &path, &name, err))
		return NULL;
	dev = find_qom_device(q, path, err);
	if (!dev)
		return NULL;
	if (!strcmp(name, "guest-stats"))
		return q->ops->guest_stats(dev);
	if (!strcmp(name, "guest-stats-polling-interval"))
		return json_integer(q->ops->stats_interval(dev));
	*err = jsock_error(JSOCK_GENERIC_ERROR,
			   "Property 'virtio-balloon-device.%s' not found", name);
	return NULL;
}

static json_t *cmd_qom_set(void *ctx, struct jsock_conn *c, json_t *args,
			   json_t **err)
{
	static const char *const allowed[] = { "path", "property", "value",
					       NULL };
	struct qmp_server *q = ctx;
	const char *path, *name;
	json_t *value;
	json_int_t secs;
	void *dev;

	if (!qom_args(args, allowed, &path, &name, err))
		return NULL;
	if (!json_object_get(args, "value")) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Parameter 'value' is missing");
		return NULL;
	}
	dev = find_qom_device(q, path, err);
	if (!dev)
		return NULL;
	if (strcmp(name, "guest-stats-polling-interval")) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "Property 'virtio-balloon-device.%s' not found",
				   name);
		return NULL;
	}
	value = jsock_arg(args, "value", JSON_INTEGER, true, err);
	if (!value)
		return NULL;
	secs = json_integer_value(value);
	if (secs < 0) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "timer value must be greater than zero");
		return NULL;
	}
	if (secs > UINT32_MAX / 1000) {
		*err = jsock_error(JSOCK_GENERIC_ERROR, "timer value is too big");
		return NULL;
	}
	if (q->ops->set_stats_interval(dev, secs)) {
		*err = jsock_error(JSOCK_GENERIC_ERROR,
				   "cannot set the polling interval");
		return NULL;
	}
	return json_object();
}

static json_t *cmd_quit(void *ctx, struct jsock_conn *c, json_t *args,
			json_t **err)
{
	static const char *const allowed[] = { NULL };
	struct qmp_server *q = ctx;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	q->quit = true;
	return json_object();
}

static json_t *cmd_query_commands(void *ctx, struct jsock_conn *c,
				  json_t *args, json_t **err);

static const struct jsock_command commands[] = {
	{ "qmp_capabilities", cmd_qmp_capabilities },
	{ "query-commands", cmd_query_commands },
	{ "balloon", cmd_balloon },
	{ "query-balloon", cmd_query_balloon },
	{ "qom-get", cmd_qom_get },
	{ "qom-set", cmd_qom_set },
	{ "quit", cmd_quit },
	{ "x-ballast-query-balloon", cmd_x_query },
};

static json_t *cmd_query_commands(void *ctx, struct jsock_conn *c,
				  json_t *args, json_t **err)
{
	static const char *const allowed[] = { NULL };
	json_t *list;

	if (!jsock_args_only(args, allowed, err))
		return NULL;
	list = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		json_array_append_new(list, json_pack("{s:s}", "name",
						      commands[i].name));
	return list;
}

static json_t *greeting(void *ctx)
{
	return json_pack("{s:{s:{s:{s:i, s:i, s:i}, s:s}, s:[]}}", "QMP",
			 "version", "qemu", "micro", 0, "minor",
			 QMP_VERSION_MINOR, "major", QMP_VERSION_MAJOR,
			 "package", "ballast", "capabilities");
}

int qmp_server_create(struct qmp_server **qp, const char *path,
		      const struct qmp_balloon_ops *ops, void *ctx)
{
	struct qmp_server *q = calloc(1, sizeof(*q));
	struct jsock_config cfg = {
		.commands = commands,
		.nr_commands = ARRAY_SIZE(commands),
		.greeting = greeting,
		.negotiation = "qmp_capabilities",
	};
	int ret;

	if (!q)
		return -ENOMEM;
	q->ops = ops;
	q->ctx = ctx;
	cfg.ctx = q;
	ret = jsock_server_create(&q->js, path, &cfg);
	if (ret) {
		free(q);
		return ret;
	}
	*qp = q;
	return 0;
}

void qmp_server_destroy(struct qmp_server *q)
{
	if (!q)
		return;
	jsock_server_destroy(q->js);
	free(q);
}

int qmp_server_add_conn(struct qmp_server *q, int fd)
{
	return jsock_server_add_conn(q->js, fd);
}

int qmp_server_fd(const struct qmp_server *q)
{
	return jsock_server_fd(q->js);
}

int qmp_server_poll(struct qmp_server *q, int timeout_ms)
{
	return jsock_server_poll(q->js, timeout_ms);
}

bool qmp_server_quit_requested(const struct qmp_server *q)
{
	return q->quit;
}

void qmp_server_event(struct qmp_server *q, const char *name, json_t *data)
{
	jsock_server_event(q->js, name, data);
}

size_t qmp_server_nr_clients(const struct qmp_server *q)
{
	return jsock_server_nr_clients(q->js);
}
