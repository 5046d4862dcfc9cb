// SPDX-License-Identifier: MIT
/*
 * fuzz_qmp.c - the host's QMP server (src/host/qmp.c on src/lib/jsock.c)
 * fed hostile bytes by a client on a socket pair, in front of a table of
 * fake balloon devices: framing (values split across reads or several per
 * read, the input bound), negotiation, dispatch, argument checks, events,
 * and a client that does not read (the output bound).
 *
 * Input: hdr[0]: bits 0-1 the number of devices (% 3), bit 2 a slow client
 * that reads replies only when told; then records until the input ends:
 *   kind % 5, then:
 *   0 SEND len bytes          send the bytes
 *   1 REPEAT n16 len bytes    send the bytes n16 times (256 KiB sent at
 *                             most per input, all records together)
 *   2 EVENT len bytes         the devices emit BALLOON_CHANGE
 *   3 CLOSE len bytes         the client hangs up; a new one connects
 *   4 READ len bytes          a slow client reads what came
 * The server runs until idle after every record; a client the server
 * closed is replaced by a new one.
 *
 * Oracle: no crash, sanitizer report, leak (libFuzzer's leak check) or
 * leaked descriptor; every line the server writes is one JSON object: a
 * greeting, a return, an event, or an error whose class and desc are
 * strings.
 */
#include "../../src/host/qmp.h"
#include "fuzz_support.h"

#include <ballast/lib/log.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAM (1ULL << 30)
/* Enough to pass the input bound, and the output bound by replies. */
#define MAX_SENT_BYTES (256u << 10)	/* per input */

struct fake_dev {
	char id[16];
	uint64_t target;
	int64_t interval;
};

static struct fake_dev devs[2];
static size_t nr_devs;
static struct qmp_server *q;
static int client = -1;
static char *rbuf;			/* what the client read, not parsed */
static size_t rlen;

static void *f_find(void *ctx, const char *id)
{
	for (size_t i = 0; i < nr_devs; i++)
		if (!id || !strcmp(id, devs[i].id))
			return &devs[i];
	return NULL;
}

static json_t *f_list(void *ctx)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nr_devs; i++)
		json_array_append_new(a, json_string(devs[i].id));
	return a;
}

static uint64_t f_ram(void *dev)
{
	return RAM;
}

/* A target the fake cannot reach fails, to exercise the error path. */
static int f_set_target(void *dev, uint64_t target)
{
	if (target % 4096)
		return -EINVAL;
	((struct fake_dev *)dev)->target = target;
	return 0;
}

static uint64_t f_actual(void *dev)
{
	return ((struct fake_dev *)dev)->target;
}

static json_t *f_stats(void *dev)
{
	return json_pack("{s:{s:I, s:I}, s:I}", "stats", "stat-free-memory",
			 (json_int_t)-1, "stat-total-memory", (json_int_t)RAM,
			 "last-update", (json_int_t)0);
}

static int64_t f_interval(void *dev)
{
	return ((struct fake_dev *)dev)->interval;
}

static int f_set_interval(void *dev, int64_t secs)
{
	((struct fake_dev *)dev)->interval = secs;
	return 0;
}

static json_t *f_info(void *dev)
{
	struct fake_dev *d = dev;

	return json_pack("{s:s, s:I}", "id", d->id, "target-bytes",
			 (json_int_t)d->target);
}

static const struct qmp_balloon_ops fake_ops = {
	.find = f_find, .list = f_list, .ram_bytes = f_ram,
	.set_target = f_set_target, .actual_bytes = f_actual,
	.guest_stats = f_stats, .stats_interval = f_interval,
	.set_stats_interval = f_set_interval, .host_info = f_info,
};

/* One line from the server must be one of QMP's messages. */
static void check_line(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, 0, &jerr);
	json_t *err;

	if (!json_is_object(msg))
		abort();
	err = json_object_get(msg, "error");
	if (err) {
		if (!json_is_string(json_object_get(err, "class")) ||
		    !json_is_string(json_object_get(err, "desc")))
			abort();
	} else if (!json_object_get(msg, "return") &&
		   !json_object_get(msg, "event") &&
		   !json_object_get(msg, "QMP")) {
		abort();
	}
	json_decref(msg);
}

/* Read what the server wrote and check every complete line. */
static void client_read(void)
{
	size_t off = 0;
	char *eol;

	for (;;) {
		ssize_t n = recv(client, rbuf + rlen, JSOCK_MAX_OUTPUT - rlen,
				 MSG_DONTWAIT);

		if (n <= 0)
			break;
		rlen += (size_t)n;
		while ((eol = memmem(rbuf + off, rlen - off, "\r\n", 2))) {
			check_line(rbuf + off, (size_t)(eol - (rbuf + off)));
			off = (size_t)(eol - rbuf) + 2;
		}
		memmove(rbuf, rbuf + off, rlen - off);
		rlen -= off;
		off = 0;
		if (rlen == JSOCK_MAX_OUTPUT)
			abort();	/* a line longer than the server may queue */
	}
}

static void client_connect(void)
{
	int sv[2];

	if (client >= 0)
		close(client);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0 ||
	    qmp_server_add_conn(q, sv[0]))
		abort();
	client = sv[1];
	rlen = 0;
}

/* Run the server until it has nothing to do (or 64 rounds). */
static void run(bool slow)
{
	struct pollfd pfd = { .fd = qmp_server_fd(q), .events = POLLIN };

	for (int i = 0; i < 64 && poll(&pfd, 1, 0) > 0; i++) {
		if (qmp_server_poll(q, 0))
			abort();
		if (!slow)
			client_read();
	}
	if (!qmp_server_nr_clients(q))
		client_connect();	/* the server hung up on us */
}

/* Send @len bytes @times times, running the server when the pipe fills. */
static void client_send(const uint8_t *p, size_t len, size_t times, bool slow)
{
	size_t total = len * times, done = 0;
	int stalls = 0;

	while (done < total && stalls < 4) {
		size_t at = done % len;
		ssize_t n = send(client, p + at, len - at,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			done += (size_t)n;
			stalls = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;		/* the server closed us */
		run(slow);
		stalls++;
	}
	run(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	size_t pos = 1, budget = MAX_SENT_BYTES;
	bool slow;
	int before;

	if (size < 1)
		return 0;
	if (!once) {
		/* Closing misbehaving clients is logged: keep errors only. */
		log_set_level(LOG_ERR);
		rbuf = malloc(JSOCK_MAX_OUTPUT);
		if (!rbuf)
			abort();
		once = true;
	}
	before = count_fds();
	nr_devs = data[0] % 3;
	slow = data[0] & 4;
	for (size_t i = 0; i < 2; i++) {
		snprintf(devs[i].id, sizeof(devs[i].id), "balloon%zu", i);
		devs[i].target = RAM;
		devs[i].interval = 0;
	}
	if (qmp_server_create(&q, NULL, &fake_ops, NULL))
		abort();
	client_connect();
	run(slow);

	while (pos + 2 <= size) {
		uint8_t kind = data[pos] % 5;
		size_t times = 1, len;

		pos++;
		if (kind == 1) {
			if (pos + 3 > size)
				break;
			times = data[pos] | (size_t)data[pos + 1] << 8;
			pos += 2;
		}
		len = min((size_t)data[pos], size - pos - 1);
		pos++;
		switch (kind) {
		case 0:
		case 1:
			times = len ? min(times, budget / len) : 0;
			if (times) {
				client_send(data + pos, len, times, slow);
				budget -= len * times;
			}
			break;
		case 2: {
			json_int_t v = 0;

			memcpy(&v, data + pos, min(len, sizeof(v)));
			qmp_server_event(q, "BALLOON_CHANGE",
					 json_pack("{s:I}", "actual", v));
			run(slow);
			break;
		}
		case 3:
			client_connect();
			run(slow);
			break;
		default:
			client_read();
			run(slow);
			break;
		}
		pos += len;
	}
	client_read();
	qmp_server_destroy(q);
	q = NULL;
	close(client);
	client = -1;
	if (count_fds() != before)
		abort();	/* a descriptor leaked */
	return 0;
}
