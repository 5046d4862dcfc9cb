// SPDX-License-Identifier: MIT
/*
 * fuzz_balloon_dev.c - the host's virtio-balloon device (src/host/
 * balloon_dev.c, balloon_host.c) against a hostile guest: inflate and
 * deflate buffers, stats buffers, config writes, memory tables sent again,
 * resets, and guest writes to ballooned pages, with the device's QMP
 * operations and periodic work in between.
 *
 * The device runs in process behind the real vhost-user back-end on a
 * socket pair; this harness is the front-end. It does the session set-up
 * itself, so the input spends its bytes on what the device reads from
 * guest RAM rather than on vhost-user framing (fuzz_vhost_user_msg covers
 * that).
 *
 *   guest RAM: 64 pages, a memfd at gpa 0, every page backed at start
 *   0                          48          58     60     62     64
 *   [pages to balloon ........][buffers ..][ring0][ring1][ring2]
 *   ring q: desc table (its page), then avail, and used at +1 KiB
 *
 * Input: a 4-byte header, then operations until the input ends.
 *   hdr[0] features: bit 0 MUST_TELL_HOST, 1 STATS_VQ, 2 DEFLATE_ON_OOM,
 *          3 EVENT_IDX, 4 INDIRECT_DESC, 5 a back-end channel (config
 *          change messages)
 *   hdr[1] ring size 1 << (hdr[1] % 9); hdr[2] queues started (bits 0-2);
 *   hdr[3] stats polling interval (% 4 seconds)
 *   op % 10, then its bytes:
 *   0 WRITE off16 len8 bytes: raw bytes into RAM at off16 * 4
 *   1 POST q mode len8 bytes: a chain on queue q % 3 holding the bytes
 *          (mode bit 4: each byte is one le32 pfn); mode bits 0-1: 1-4
 *          descriptors; bit 2: the last one device-writable; bit 3:
 *          through an indirect table
 *   2 KICK q         3 CONFIG off len 4 bytes (SET_CONFIG, then GET_CONFIG)
 *   4 TICK dt (dt * 100 ms later)   5 QMP what le32 (a device operation)
 *   6 MEMTABLE v: the table again (same memfd), other RAM, a region not at
 *          address 0, or two regions
 *   7 TOUCH page: the guest writes to a page   8 STOP q: GET_VRING_BASE,
 *          then start it again   9 RESET: SET_STATUS 0, then set up again
 *
 * Oracle: no crash, sanitizer report or leaked descriptor; and, at every
 * hole punch (the "balloon_host.punch" test hook), every punched page is
 * in the record, the record's count matches its bitmap, and the memfd the
 * record punches is the guest RAM currently in force; after every
 * operation no punch has failed.
 */
#include "../../src/host/balloon_dev.h"
#include "../../src/virtio/internal.h"
#include "fuzz_support.h"

#include <ballast/lib/bitmap.h>
#include <ballast/lib/log.h>
#include <ballast/lib/testhook.h>

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096u
#define NR_PAGES 64u
#define RAM_SIZE (NR_PAGES * PG)
#define BUF_FIRST (48u * PG)
#define BUF_END (58u * PG)
#define RING(q) ((58u + 2u * (q)) * PG)
#define AVAIL(q) (RING(q) + PG)
#define USED(q) (AVAIL(q) + 1024u)
#define NQ 3

static struct {
	struct host host;
	struct vhost_user_server *srv;
	int sock, chan;			/* our ends */
	int memfd, other;		/* guest RAM; RAM to move to */
	ino_t ram_ino;			/* of the RAM in force */
	uint8_t *ram;
	uint64_t features;
	unsigned int qsize, qmask;
	int kick[NQ];
	uint16_t avail_idx[NQ], next_desc[NQ];
	uint32_t buf;			/* next free buffer byte */
	int64_t now;
} f;

static void drain(int fd)
{
	char buf[4096];

	while (fd >= 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void run_server(void)
{
	for (int i = 0; i < 64 && vhost_user_server_poll(f.srv, 0) > 0; i++)
		drain(f.sock);
	drain(f.sock);
	drain(f.chan);
}

/*
 * Send a request and let the back-end handle it; if @reply, the first
 * @rlen bytes it answered are copied there (zeroes if it did not).
 */
static void send_req(uint32_t req, const void *payload, uint32_t size,
		     const int *fds, unsigned int nr_fds, void *reply,
		     size_t rlen)
{
	struct vhost_user_hdr hdr = { .request = req,
				      .flags = VHOST_USER_VERSION,
				      .size = size };

	if (vu_send(f.sock, &hdr, payload, fds, nr_fds, true))
		abort();	/* the back-end stopped reading: a hang */
	if (reply) {
		memset(reply, 0, rlen);
		for (int i = 0; i < 64; i++)
			if (vhost_user_server_poll(f.srv, 0) <= 0)
				break;
		if (recv(f.sock, reply, rlen, MSG_DONTWAIT) < 0)
			memset(reply, 0, rlen);
	}
	run_server();
}

static void send_msg(uint32_t req, const void *payload, uint32_t size,
		     const int *fds, unsigned int nr_fds)
{
	send_req(req, payload, size, fds, nr_fds, NULL, 0);
}

static void send_u64(uint32_t req, uint64_t v)
{
	send_msg(req, &v, sizeof(v), NULL, 0);
}

static void send_state(uint32_t req, unsigned int index, unsigned int num)
{
	struct vhost_vring_state st = { .index = index, .num = num };

	send_msg(req, &st, sizeof(st), NULL, 0);
}

static void send_mem_table(int fd, uint64_t gpa, bool two)
{
	struct vhost_user_memory m = {
		.nregions = two ? 2 : 1,
		.regions = {
			{ .guest_phys_addr = gpa, .memory_size = RAM_SIZE,
			  .userspace_addr = (uintptr_t)f.ram },
			{ .guest_phys_addr = RAM_SIZE, .memory_size = PG,
			  .userspace_addr = (uintptr_t)f.ram + RAM_SIZE },
		},
	};
	int fds[2] = { fd, fd };

	send_msg(VHOST_USER_SET_MEM_TABLE, &m, VHOST_USER_MEM_HDR_SIZE +
		 m.nregions * sizeof(m.regions[0]), fds, m.nregions);
}

/* A queue from scratch at @base; our ring indexes follow it. */
static void start_queue(unsigned int q, uint16_t base)
{
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)f.ram + RING(q),
		.avail_user_addr = (uintptr_t)f.ram + AVAIL(q),
		.used_user_addr = (uintptr_t)f.ram + USED(q),
	};
	uint64_t v = q;
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (call < 0)
		abort();
	if (f.kick[q] < 0)
		f.kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	send_state(VHOST_USER_SET_VRING_NUM, q, f.qsize);
	send_msg(VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0);
	send_state(VHOST_USER_SET_VRING_BASE, q, base);
	send_msg(VHOST_USER_SET_VRING_CALL, &v, sizeof(v), &call, 1);
	send_msg(VHOST_USER_SET_VRING_KICK, &v, sizeof(v), &f.kick[q], 1);
	send_state(VHOST_USER_SET_VRING_ENABLE, q, 1);
	close(call);
}

/* Features, memory table and queues, as after a (re)set. */
static void set_up(void)
{
	uint64_t protocol = (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) |
			    (1ULL << VHOST_USER_PROTOCOL_F_STATUS) |
			    (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ);

	send_u64(VHOST_USER_SET_FEATURES, f.features);
	send_u64(VHOST_USER_SET_PROTOCOL_FEATURES, protocol);
	send_mem_table(f.memfd, 0, false);
	for (unsigned int q = 0; q < NQ; q++) {
		memset(f.ram + RING(q), 0, 2 * PG);
		f.avail_idx[q] = 0;
		f.next_desc[q] = 0;
		if (f.qmask & (1u << q))
			start_queue(q, 0);
	}
}

/* Guest RAM: the test's pages hold a pattern, every page is backed. */
static int new_ram(void)
{
	int fd = memfd_create("fuzz-balloon-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, RAM_SIZE) < 0)
		abort();
	return fd;
}

static void map_ram(int fd)
{
	struct stat st;

	if (mmap(f.ram, RAM_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0) != f.ram ||
	    fstat(fd, &st) < 0)
		abort();
	f.ram_ino = st.st_ino;
}

/*
 * The oracle at each hole punch: the pages are recorded, the count agrees
 * with the bitmap, and the descriptor is the guest RAM in force.
 */
static void check_punch(const char *name, void *arg, void *ctx)
{
	const struct balloon_host_punch *p = arg;
	const struct balloon_host *bh = p->bh;
	uint32_t set = 0;
	struct stat st;

	if (fstat(bh->memfd, &st) < 0 || st.st_ino != f.ram_ino)
		abort();	/* a stale or foreign descriptor */
	if (!p->count || p->start + p->count > bh->nr_pfns)
		abort();
	for (uint32_t pfn = p->start; pfn < p->start + p->count; pfn++)
		if (!bitmap_test(bh->ballooned, pfn))
			abort();	/* discarding a page not recorded */
	for (uint32_t pfn = 0; pfn < bh->nr_pfns; pfn++)
		set += bitmap_test(bh->ballooned, pfn);
	if (set != bh->nr_ballooned)
		abort();
}

static void check_device(void)
{
	void *dev = balloon_qmp_ops.find(&f.host, NULL);
	json_t *info;

	if (!dev)
		return;
	info = balloon_qmp_ops.host_info(dev);
	if (json_integer_value(json_object_get(info, "punch-errors")) ||
	    json_integer_value(json_object_get(info, "host-ballooned-bytes")) >
		    json_integer_value(json_object_get(info, "ram-bytes")))
		abort();
	json_decref(info);
}

/* Write @n descriptors of a chain over @len bytes at buffer @off. */
static void write_chain(struct vring_desc *d, unsigned int n, uint32_t off,
			uint32_t len, uint8_t mode, bool chained_ids,
			uint16_t first)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t a = len * i / n, b = len * (i + 1) / n;
		uint16_t flags = 0;
		uint16_t id = chained_ids ? (uint16_t)((first + i) % f.qsize)
					  : (uint16_t)i;

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		if (i + 1 == n && (mode & 4))
			flags |= VRING_DESC_F_WRITE;
		d[id] = (struct vring_desc){
			.addr = htole64(off + a),
			.len = htole32(b - a),
			.flags = htole16(flags),
			.next = htole16(chained_ids ? (first + i + 1) % f.qsize
						    : i + 1),
		};
	}
}

/* A chain on queue @q carrying @bytes (expanded to pfns if asked). */
static void post(unsigned int q, uint8_t mode, const uint8_t *bytes,
		 uint32_t len)
{
	struct vring_desc *desc = (struct vring_desc *)(f.ram + RING(q));
	struct vring_avail *avail = (struct vring_avail *)(f.ram + AVAIL(q));
	unsigned int n = (mode & 3) + 1;
	uint32_t size = mode & 0x10 ? len * 4 : len;
	uint32_t off, table;
	uint16_t head = f.next_desc[q];

	if (f.buf + size + n * 16 > BUF_END)
		f.buf = BUF_FIRST;
	off = f.buf;
	if (mode & 0x10) {
		for (uint32_t i = 0; i < len; i++) {
			uint32_t pfn = htole32(bytes[i]);

			memcpy(f.ram + off + 4 * i, &pfn, 4);
		}
	} else {
		memcpy(f.ram + off, bytes, len);
	}
	table = (off + size + 15) & ~15u;
	f.buf = table + n * 16;
	if (mode & 8) {
		write_chain((struct vring_desc *)(f.ram + table), n, off, size,
			    mode, false, 0);
		desc[head] = (struct vring_desc){
			.addr = htole64(table),
			.len = htole32(n * 16),
			.flags = htole16(VRING_DESC_F_INDIRECT),
		};
		f.next_desc[q] = (uint16_t)((head + 1) % f.qsize);
	} else {
		write_chain(desc, n, off, size, mode, true, head);
		f.next_desc[q] = (uint16_t)((head + n) % f.qsize);
	}
	avail->ring[f.avail_idx[q] % f.qsize] = htole16(head);
	avail->idx = htole16(++f.avail_idx[q]);
}

static void kick(unsigned int q)
{
	uint64_t one = 1;

	if (f.kick[q] >= 0 && write(f.kick[q], &one, sizeof(one)) < 0)
		abort();
	run_server();
}

static void config(const uint8_t *b)
{
	struct vhost_user_config c = { .offset = b[0] % 12u,
				       .size = b[1] % 9u };

	memcpy(c.region, b + 2, 4);
	send_msg(VHOST_USER_SET_CONFIG, &c, VHOST_USER_CONFIG_HDR_SIZE + c.size,
		 NULL, 0);
	c.offset = 0;
	c.size = sizeof(struct virtio_balloon_config);
	send_msg(VHOST_USER_GET_CONFIG, &c, VHOST_USER_CONFIG_HDR_SIZE + c.size,
		 NULL, 0);
}

static void qmp_op(uint8_t what, uint32_t v)
{
	void *dev = balloon_qmp_ops.find(&f.host, NULL);
	uint64_t ram;

	if (!dev)
		return;
	ram = balloon_qmp_ops.ram_bytes(dev);
	switch (what % 5) {
	case 0:
		/* QMP checks the range before the device sees it. */
		if ((uint64_t)v * PG <= ram)
			(void)balloon_qmp_ops.set_target(dev, (uint64_t)v * PG);
		run_server();
		break;
	case 1:
		(void)balloon_qmp_ops.set_stats_interval(dev, v % 5);
		break;
	case 2:
		json_decref(balloon_qmp_ops.guest_stats(dev));
		break;
	case 3:
		json_decref(balloon_qmp_ops.list(&f.host));
		break;
	default:
		if (balloon_qmp_ops.actual_bytes(dev) > ram)
			abort();
		break;
	}
}

static void mem_table(uint8_t v)
{
	switch (v % 4) {
	case 0:
		send_mem_table(f.memfd, 0, false);
		break;
	case 1: {
		/* The guest moves to other RAM, contents and all. */
		int old = f.memfd;

		if (pwrite(f.other, f.ram, RAM_SIZE, 0) != RAM_SIZE)
			abort();
		f.memfd = f.other;
		f.other = old;
		map_ram(f.memfd);
		send_mem_table(f.memfd, 0, false);
		break;
	}
	case 2:
		send_mem_table(f.memfd, 1 << 20, false);
		break;
	default:
		send_mem_table(f.memfd, 0, true);
		break;
	}
}

/* GET_VRING_BASE stops queue @q; it starts again where the device got. */
static void stop_queue(unsigned int q)
{
	struct vhost_vring_state st = { .index = q };
	struct {
		struct vhost_user_hdr hdr;
		struct vhost_vring_state st;
	} __attribute__((packed)) reply;

	if (!(f.qmask & (1u << q)))
		return;
	send_req(VHOST_USER_GET_VRING_BASE, &st, sizeof(st), NULL, 0, &reply,
		 sizeof(reply));
	start_queue(q, (uint16_t)reply.st.num);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	int sv[2], ch[2], before;
	size_t pos = 4;

	if (size < 4)
		return 0;
	if (!once) {
		/* Refusals are expected by the thousand: keep errors only. */
		log_set_level(LOG_ERR);
		if (test_hook_set("balloon_host.punch", check_punch, NULL))
			abort();
		once = true;
	}
	before = count_fds();
	memset(&f, 0, sizeof(f));
	INIT_LIST_HEAD(&f.host.devices);
	f.host.quiet = true;
	f.host.stats_interval_s = data[3] % 4;
	f.features = (1ULL << VIRTIO_F_VERSION_1) |
		     (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
		     (uint64_t)(data[0] & 7);	/* the three balloon bits */
	if (data[0] & 8)
		f.features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (data[0] & 16)
		f.features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	f.qsize = 1u << (data[1] % 9);
	f.qmask = data[2] & 7;
	for (int q = 0; q < NQ; q++)
		f.kick[q] = -1;
	f.chan = -1;
	f.buf = BUF_FIRST;

	f.memfd = new_ram();
	f.other = new_ram();
	f.ram = mmap(NULL, RAM_SIZE + PG, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f.ram == MAP_FAILED)
		abort();
	map_ram(f.memfd);
	memset(f.ram, 0x5a, RAM_SIZE);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    vhost_user_server_create(&f.srv, NULL, &balloon_dev_ops,
				     &f.host) ||
	    vhost_user_server_add_conn(f.srv, sv[0]))
		abort();
	f.sock = sv[1];
	set_up();
	if (data[0] & 32) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0)
			abort();
		send_msg(VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0, &ch[1], 1);
		close(ch[1]);
		f.chan = ch[0];
	}

	while (pos < size) {
		uint8_t op = data[pos++] % 10;
		const uint8_t *a = data + pos;
		size_t left = size - pos, len;

		switch (op) {
		case 0:		/* WRITE off16 len8 bytes */
			if (left < 3)
				goto out;
			len = min((size_t)a[2], left - 3);
			{
				uint32_t off = (uint32_t)(a[0] | a[1] << 8) * 4 %
					       RAM_SIZE;

				len = min(len, (size_t)(RAM_SIZE - off));
				memcpy(f.ram + off, a + 3, len);
			}
			pos += 3 + len;
			break;
		case 1:		/* POST q mode len8 bytes */
			if (left < 3)
				goto out;
			len = min((size_t)a[2], left - 3);
			if (f.qmask & (1u << (a[0] % NQ)))
				post(a[0] % NQ, a[1], a + 3, (uint32_t)len);
			pos += 3 + len;
			break;
		case 2:		/* KICK q */
			if (left < 1)
				goto out;
			kick(a[0] % NQ);
			pos += 1;
			break;
		case 3:		/* CONFIG off len 4 bytes */
			if (left < 6)
				goto out;
			config(a);
			pos += 6;
			break;
		case 4:		/* TICK dt */
			if (left < 1)
				goto out;
			f.now += (int64_t)a[0] * 100;
			balloon_dev_tick(&f.host, f.now);
			run_server();
			pos += 1;
			break;
		case 5:		/* QMP what le32 */
			if (left < 5)
				goto out;
			qmp_op(a[0], (uint32_t)a[1] | (uint32_t)a[2] << 8 |
					     (uint32_t)a[3] << 16 |
					     (uint32_t)a[4] << 24);
			pos += 5;
			break;
		case 6:		/* MEMTABLE v */
			if (left < 1)
				goto out;
			mem_table(a[0]);
			pos += 1;
			break;
		case 7:		/* TOUCH page */
			if (left < 1)
				goto out;
			f.ram[(a[0] % NR_PAGES) * PG + 8] ^= 0xff;
			pos += 1;
			break;
		case 8:		/* STOP q */
			if (left < 1)
				goto out;
			stop_queue(a[0] % NQ);
			pos += 1;
			break;
		default:	/* RESET */
			send_u64(VHOST_USER_SET_STATUS, 0);
			set_up();
			break;
		}
		check_device();
	}
out:
	vhost_user_server_destroy(f.srv);
	if (!list_empty(&f.host.devices))
		abort();
	munmap(f.ram, RAM_SIZE + PG);
	close(f.memfd);
	close(f.other);
	close(f.sock);
	if (f.chan >= 0)
		close(f.chan);
	for (int q = 0; q < NQ; q++)
		if (f.kick[q] >= 0)
			close(f.kick[q]);
	if (count_fds() != before)
		abort();	/* a descriptor leaked */
	return 0;
}
