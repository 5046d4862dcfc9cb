// SPDX-License-Identifier: MIT
/*
 * balloon_e2e.h - two-process balloon tests: the real host process
 * ($BALLAST_BIN host) spawned into a private directory under /tmp, driven
 * through QMP, and this test process as the guest: its memory core booted
 * as `ballast guest` boots it, the vhost-user front-end, and either the
 * real virtio-balloon driver or the test's own raw queues.
 *
 *   test process (guest)                     ballast host (spawned)
 *   ─────────────────────                    ──────────────────────
 *   page RAM memfd ── SET_MEM_TABLE ──────►  maps it, punches holes
 *   virtio-balloon driver ◄── vhost-user ──► balloon device
 *   jsock client ─────────── QMP ─────────►  balloon, query-balloon, ...
 *
 * Rules for users:
 *  1. e2e_guest_boot() before anything that allocates guest memory;
 *     e2e_guest_shutdown() last: it fails the test unless every page is
 *     free again and the allocator's invariants hold.
 *  2. e2e_host_stop() asks the host to quit over QMP and fails the test
 *     unless it exits with status 0 (a crash or a sanitizer report in the
 *     host fails the test); its log is printed on failure only (and on
 *     success too with BALLAST_E2E_SHOW_LOG=1).
 *  3. Waits block on the QMP socket (BALLOON_CHANGE events) or re-check a
 *     host-side condition between short blocking reads of it; their
 *     deadlines (E2E_TIMEOUT_MS) are failure detectors, never the way a
 *     test synchronises.
 *  4. Helpers fail the calling test through cmocka; they return only on
 *     success.
 */
#ifndef BALLAST_TEST_BALLOON_E2E_H
#define BALLAST_TEST_BALLOON_E2E_H

#include "fragment.h"
#include "test_support.h"

#include <ballast/drivers.h>
#include <ballast/lib/jsock.h>
#include <ballast/vhost_user.h>

#include <sys/types.h>

#define E2E_TIMEOUT_MS 60000		/* failure detector for every wait */
#define E2E_QUEUE_SIZE 256

/* e2e_guest_boot() flags */
#define E2E_KSWAPD	0x1		/* start kswapd */
#define E2E_COMPACTION	0x2		/* compaction_init(): kcompactd */

struct balloon_e2e {
	char dir[64];			/* private directory under /tmp */
	char vhost_path[96], qmp_path[96], log_path[96];
	pid_t host_pid;
	struct jsock_client *qmp;	/* negotiated */
	struct virtio_device *vdev;	/* the driver's transport */
	struct virtio_balloon *vb;	/* the real driver, when started */
	size_t backed_empty;		/* memfd bytes backed, balloon empty,
					 * after touch_free_memory() */
};

/* Guest memory core: RAM, allocator, slab, reclaim, balloon framework. */
void e2e_guest_boot(size_t ram_bytes, unsigned int flags);
void e2e_guest_shutdown(void);
/* Stop kcompactd early (a quiescent point); shutdown then skips it. */
void e2e_compaction_stop(void);

/*
 * Start the host with "host --vhost P --qmp P --quiet" plus @extra
 * (NULL-terminated, may be NULL) and connect a negotiated QMP client.
 */
void e2e_host_start(struct balloon_e2e *e, const char *const *extra);
void e2e_host_stop(struct balloon_e2e *e);
/*
 * e2e_host_kill() - SIGKILL the host, as a crash, and reap it.
 * e2e_host_restart() - a new host on the same sockets (the front-end
 * reconnects with vhost_user_frontend_reconnect()); e2e_host_stop() then
 * ends it as usual.
 */
void e2e_host_kill(struct balloon_e2e *e);
void e2e_host_restart(struct balloon_e2e *e, const char *const *extra);

/* A front-end to the host's vhost-user socket (the caller owns it). */
int e2e_frontend_create(struct balloon_e2e *e, struct virtio_device **vdevp);

/*
 * The real driver over a new front-end; records backed_empty after
 * touching free memory. e2e_driver_stop() removes the driver (giving every
 * page back) and destroys the front-end.
 */
void e2e_driver_start(struct balloon_e2e *e);
void e2e_driver_stop(struct balloon_e2e *e);

/* Run a QMP command that must succeed; returns "return" (new reference). */
json_t *e2e_qmp(struct balloon_e2e *e, const char *cmd, json_t *args);
/* Run a QMP command that must fail with @cls and a desc containing @desc. */
void e2e_qmp_error(struct balloon_e2e *e, const char *cmd, json_t *args,
		   const char *cls, const char *desc);

/* The host's record of its newest device (x-ballast-query-balloon). */
json_t *e2e_host_device(struct balloon_e2e *e);
int64_t e2e_host_int(struct balloon_e2e *e, const char *key);

/* query-balloon's actual, in bytes. */
uint64_t e2e_actual(struct balloon_e2e *e);

/*
 * Wait until @cond holds, re-checking it after every QMP event and at
 * least every @poll_ms (0: only on events). Fails the test after
 * E2E_TIMEOUT_MS, naming @what.
 */
void e2e_wait(struct balloon_e2e *e, bool (*cond)(struct balloon_e2e *, void *),
	      void *arg, int poll_ms, const char *what);

/* QMP "balloon" to @guest_bytes, then wait until actual equals it. */
void e2e_balloon(struct balloon_e2e *e, uint64_t guest_bytes);

/*
 * Everything agrees: the driver's num_pages and list (virtballoon_check),
 * NR_BALLOON_PAGES, the host's record, the guest's `actual` as the host
 * got it, query-balloon's actual, and - after touching free memory - the
 * memfd's backed size (backed_empty minus the ballooned bytes). With
 * @clean, the host also saw no protocol violation of any kind.
 */
void e2e_assert_agree(struct balloon_e2e *e, bool clean);

/* Print the host's log (for failures). */
void e2e_print_host_log(struct balloon_e2e *e);

#endif
