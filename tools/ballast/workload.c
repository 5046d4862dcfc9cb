// SPDX-License-Identifier: MIT
/*
 * workload.c - what the guest runs while the balloon moves:
 *  - anonymous workers: each thread has its own address space and an
 *    anonymous region; it touches pages through the software MMU (each
 *    first touch is a fault), unmaps pages to shrink, and keeps its pages
 *    dirty by rewriting them in place;
 *  - a page-cache worker: it rewrites a file of the backing directory in
 *    64 KiB writes through the page cache (dirty pages, the flusher,
 *    throttling) and reads pages back, so reclaim has clean cache to take.
 *
 * Invariants and locking:
 *  - Each thread owns its address space, region and counters (owner only);
 *    totals shared with readers are atomics.
 *  - Every anonymous page carries a tag (thread, page number) in its first
 *    and last 8 bytes, and every file page its file offset; a mismatch on
 *    verification counts a verify error (memory that changed under its
 *    owner: a lost page, a bad migration, a wrong discard).
 *  - A worker the OOM killer chose sees fatal_signal_pending() (or
 *    -EINTR from the MMU) and exits; its share is not given to the others.
 */
#include "guest.h"

#include <ballast/alloc.h>
#include <ballast/vm.h>
#include <ballast/writeback.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORKLOAD_BATCH 64
#define WORKLOAD_BASE (1UL << 36)		/* region of thread 0 */
#define WORKLOAD_SPAN (1UL << 37)		/* between thread regions */
#define PC_CHUNK (64UL << 10)

struct workload_thread {
	struct workload *w;
	struct task *task;
	unsigned int id;
	unsigned long base;		/* owner only */
	unsigned long nr_pages;		/* touched: owner only */
	unsigned long mapped_pages;	/* mapped from base: owner only */
	unsigned long next_dirty;	/* owner only */
	uint64_t seq;			/* owner only */
};

static uint64_t tag_of(const struct workload_thread *t, unsigned long i)
{
	return ((uint64_t)t->id << 48) | i;
}

/* Write page @i's tag (and, with @fill, rewrite the whole page). */
static int write_page(struct workload_thread *t, unsigned long i, bool fill)
{
	unsigned long addr = t->base + i * PAGE_SIZE;
	uint64_t tag = tag_of(t, i);
	struct vm_pin pin;
	uint64_t *p;
	int ret;

	ret = vm_access(current, addr, PAGE_SIZE, VM_ACCESS_WRITE, &pin);
	if (ret)
		return ret;
	p = pin.addr;
	if (fill)
		memset(p, (int)(t->seq++ & 0xff), PAGE_SIZE);
	p[0] = tag;
	p[PAGE_SIZE / 8 - 1] = tag;
	vm_access_put(&pin);
	return 0;
}

static void verify_page(struct workload_thread *t, unsigned long i)
{
	uint64_t head = 0, tail = 0, tag = tag_of(t, i);
	unsigned long addr = t->base + i * PAGE_SIZE;

	if (vm_read(current, addr, &head, 8) != 8 ||
	    vm_read(current, addr + PAGE_SIZE - 8, &tail, 8) != 8)
		return;		/* killed: nothing to verify */
	if (head != tag || tail != tag)
		atomic_fetch_add(&t->w->verify_errors, 1);
}

static unsigned long share_of(const struct workload_thread *t)
{
	unsigned long target = atomic_load(&t->w->target_pages);
	unsigned int n = t->w->nr_threads;

	/* The remainder goes to the first threads: shares add up. */
	return target / n + (t->id < target % n);
}

/*
 * The region is mapped as it grows and unmapped as it shrinks, in chunks:
 * make page @i's chunk mapped. Return 0 or the errno of vm_mmap().
 */
static int map_upto(struct workload_thread *t, struct mm_struct *mm,
		    unsigned long i)
{
	unsigned long addr, len = WORKLOAD_BATCH * PAGE_SIZE;
	int ret;

	if (i < t->mapped_pages)
		return 0;
	if ((t->mapped_pages + WORKLOAD_BATCH) * PAGE_SIZE > t->w->region_bytes)
		return -ENOMEM;
	ret = vm_mmap(mm, t->base + t->mapped_pages * PAGE_SIZE, len,
		      VM_READ | VM_WRITE, NULL, 0, &addr);
	if (ret)
		return ret;
	t->mapped_pages += WORKLOAD_BATCH;
	return 0;
}

static int anon_worker(void *arg)
{
	struct workload_thread *t = arg;
	struct workload *w = t->w;
	struct mm_struct *mm;

	if (mm_create(&mm))
		return -ENOMEM;
	use_mm(mm);
	mmput(mm);	/* the task's reference is the only one */
	t->base = WORKLOAD_BASE + t->id * WORKLOAD_SPAN;
	while (!task_should_stop() && !fatal_signal_pending(current)) {
		unsigned long share = share_of(t);
		unsigned long n;

		if (t->nr_pages < share) {
			for (n = 0; n < WORKLOAD_BATCH && t->nr_pages < share; n++) {
				int ret = map_upto(t, mm, t->nr_pages);

				if (!ret)
					ret = write_page(t, t->nr_pages, false);

				if (ret == -EINTR)
					break;
				if (ret) {
					atomic_fetch_add(&w->failures, 1);
					task_sleep_ms(10);
					break;
				}
				t->nr_pages++;
				atomic_fetch_add(&w->held_pages, 1);
			}
		} else if (t->nr_pages > share) {
			/* Give back whole chunks from the top: unmap them. */
			unsigned long keep = ALIGN_UP(share, WORKLOAD_BATCH);

			n = min(t->nr_pages - share, (unsigned long)WORKLOAD_BATCH);
			for (unsigned long i = t->nr_pages - n; i < t->nr_pages; i++)
				verify_page(t, i);
			t->nr_pages -= n;
			atomic_fetch_sub(&w->held_pages, n);
			if (t->mapped_pages > keep &&
			    !vm_munmap(mm, t->base + keep * PAGE_SIZE,
				       (t->mapped_pages - keep) * PAGE_SIZE))
				t->mapped_pages = keep;
		} else {
			/* At target: keep the oldest pages dirty. */
			for (n = 0; n < WORKLOAD_BATCH && t->nr_pages; n++) {
				unsigned long i = t->next_dirty++ % t->nr_pages;

				verify_page(t, i);
				if (write_page(t, i, true))
					break;
			}
			atomic_fetch_add(&w->dirtied, n);
			task_sleep_ms(5);
		}
	}
	if (fatal_signal_pending(current)) {
		atomic_fetch_add(&w->killed, 1);
		atomic_fetch_sub(&w->held_pages, t->nr_pages);
		t->nr_pages = 0;
	} else {
		for (unsigned long i = 0; i < t->nr_pages; i++)
			verify_page(t, i);
		atomic_fetch_sub(&w->held_pages, t->nr_pages);
	}
	exit_mm();	/* frees the region */
	return 0;
}

/* The page-cache worker: rewrite a file, read it back, verify offsets. */
static int pagecache_worker(void *arg)
{
	struct workload *w = arg;
	struct address_space *m;
	uint64_t *buf = malloc(PC_CHUNK);
	unsigned long pos = 0, chunks = w->file_bytes / PC_CHUNK;

	if (!buf || !chunks || filemap_open("workload-data", &m)) {
		free(buf);
		return -ENOMEM;
	}
	while (!task_should_stop() && !fatal_signal_pending(current)) {
		loff_t off = (loff_t)(pos % chunks) * PC_CHUNK;

		for (size_t i = 0; i < PC_CHUNK / 8; i += PAGE_SIZE / 8)
			buf[i] = (uint64_t)off + i * 8;	/* each page: its offset */
		if (filemap_write(m, off, buf, PC_CHUNK) == (ssize_t)PC_CHUNK)
			atomic_fetch_add(&w->file_written, PC_CHUNK);
		/* Read back the chunk written half a file ago. */
		off = (loff_t)((pos + chunks / 2) % chunks) * PC_CHUNK;
		if (pos >= chunks / 2 &&
		    filemap_read(m, off, buf, PC_CHUNK) == (ssize_t)PC_CHUNK) {
			atomic_fetch_add(&w->file_read, PC_CHUNK);
			for (size_t i = 0; i < PC_CHUNK / 8; i += PAGE_SIZE / 8)
				if (buf[i] != (uint64_t)off + i * 8)
					atomic_fetch_add(&w->verify_errors, 1);
		}
		if (++pos % chunks == 0 && !filemap_fsync(m))
			atomic_fetch_add(&w->fsyncs, 1);
		task_sleep_ms(2);
	}
	filemap_close(m);
	free(buf);
	return 0;
}

int workload_start(struct workload *w, unsigned int nr_threads,
		   uint64_t region_bytes, uint64_t file_bytes)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->region_bytes = region_bytes;
	w->file_bytes = file_bytes;
	w->nr_threads = clamp(nr_threads, 1u, (unsigned int)WORKLOAD_MAX_THREADS);
	for (unsigned int i = 0; i < w->nr_threads; i++) {
		struct workload_thread *t = calloc(1, sizeof(*t));

		if (!t) {
			w->nr_threads = i;
			workload_stop(w);
			return -ENOMEM;
		}
		t->w = w;
		t->id = i;
		ret = task_create(&t->task, "workload", anon_worker, t, 0);
		if (ret) {
			free(t);
			w->nr_threads = i;
			workload_stop(w);
			return ret;
		}
		w->threads[i] = t;
	}
	if (file_bytes) {
		ret = task_create(&w->pagecache, "workload-file", pagecache_worker,
				  w, 0);
		if (ret) {
			workload_stop(w);
			return ret;
		}
	}
	return 0;
}

void workload_set_target(struct workload *w, unsigned long pages)
{
	atomic_store(&w->target_pages, pages);
}

void workload_stop(struct workload *w)
{
	for (unsigned int i = 0; i < w->nr_threads; i++) {
		task_destroy(w->threads[i]->task);
		free(w->threads[i]);
		w->threads[i] = NULL;
	}
	w->nr_threads = 0;
	if (w->pagecache) {
		task_destroy(w->pagecache);
		w->pagecache = NULL;
	}
}

json_t *workload_status(struct workload *w)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:I, s:{s:I, s:I, s:I, s:I}}",
			 "target-bytes",
			 (json_int_t)(atomic_load(&w->target_pages) << PAGE_SHIFT),
			 "held-bytes",
			 (json_int_t)(atomic_load(&w->held_pages) << PAGE_SHIFT),
			 "alloc-failures", (json_int_t)atomic_load(&w->failures),
			 "dirtied-pages", (json_int_t)atomic_load(&w->dirtied),
			 "verify-errors",
			 (json_int_t)atomic_load(&w->verify_errors),
			 "threads", (int)w->nr_threads,
			 "killed-threads", (json_int_t)atomic_load(&w->killed),
			 "pagecache",
			 "file-bytes", (json_int_t)w->file_bytes,
			 "written-bytes", (json_int_t)atomic_load(&w->file_written),
			 "read-bytes", (json_int_t)atomic_load(&w->file_read),
			 "fsyncs", (json_int_t)atomic_load(&w->fsyncs));
}
