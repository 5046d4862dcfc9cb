// SPDX-License-Identifier: MIT
/*
 * writeback.h - the page cache and writeback (layer 5): files backed by
 * real files in a backing directory, an address_space per file with a
 * radix-tree page index, reads through pread, writes through the cache
 * with dirty tracking, dirty throttling, a flusher task that writes
 * batches of index-contiguous pages with one pwritev each, fsync with
 * errseq error reporting, and an inode cache with a shrinker.
 *
 * Rules for users:
 *  1. A page in the cache holds one reference owned by its mapping; it
 *     has ->mapping and ->index set and is on the file LRU (reclaim.h).
 *     ->mapping and ->index change only under the page lock *and* the
 *     mapping's i_pages_lock; holding either keeps them stable.
 *  2. Never hold a page lock while allocating with direct reclaim or
 *     while waiting on writeback (of any page): the flusher and the fsync
 *     path hold writeback of some pages while they lock the next ones, and
 *     legacy memcg reclaim waits on writeback (bug 5). Allocate first (the
 *     page, the index nodes), then lock.
 *  3. PG_dirty and PG_writeback of cache pages change only through this
 *     header (set_page_dirty(), clear_page_dirty_for_io(), the writeback
 *     paths), with the page locked, so that the dirty/writeback gauges
 *     (NR_FILE_DIRTY, NR_WRITEBACK, NR_ZONE_WRITE_PENDING) and the index
 *     tags stay exact.
 *  4. An I/O error while writing back is recorded on the mapping
 *     (mapping_set_error()) and reported by the next fsync of every
 *     cursor sampled before it (vfs_fsync()); the pages are then clean, as
 *     Linux marks them. Nothing is lost silently: a closed file whose
 *     error no fsync has reported keeps its inode cached (rule 5), so the
 *     next opener's fsync reports it; writeback_exit() prints errors that
 *     were never reported.
 *  5. Open files with filemap_open() and close them with filemap_close();
 *     a closed file's address_space stays cached, with its clean pages,
 *     on the inode LRU until the inode shrinker evicts it (only with
 *     __GFP_FS, and only once no page is dirty or under writeback and
 *     every writeback error was reported) or writeback_exit().
 *  6. The page cache registers the reclaim file ops (writepage,
 *     remove_mapping, wakeup_flusher) at writeback_init(); reclaim calls
 *     them as reclaim.h describes.
 */
#ifndef BALLAST_WRITEBACK_H
#define BALLAST_WRITEBACK_H

#include <sys/types.h>
#include <ballast/alloc.h>
#include <ballast/lib/errseq.h>
#include <ballast/lockdep.h>

typedef unsigned long pgoff_t;

/* Index tags (one bit per entry, summarised up the tree). */
enum pagecache_tag {
	PAGECACHE_TAG_DIRTY,
	PAGECACHE_TAG_WRITEBACK,
	PAGECACHE_TAG_MAX
};

/* Root of a page index (the tree itself is private to the layer). */
struct page_index {
	void *root;
};

struct address_space;
struct writeback_control;

struct address_space_operations {
	/* Write one locked dirty page; returns with it unlocked. */
	int (*writepage)(struct page *page, struct writeback_control *wbc);
	/* Fill a locked page from the backing file; it stays locked. */
	int (*read_page)(struct address_space *mapping, struct page *page);
};

#define MAPPING_NAME_MAX 64

/*
 * struct address_space - one cached file. Lives in guest RAM (the
 * inode_cache slab, reclaimable).
 *
 * name, fd, gfp_mask, a_ops: immutable after filemap_open().
 * i_pages, nrpages, nrdirty, nrwriteback: i_pages_lock.
 * i_size: atomic (bytes; grows under the page lock of the page written).
 * wb_err: atomic (errseq). fsync_since: owner (filemap_fsync callers
 * serialise on fsync_mutex).
 * i_count, i_state, i_hash, i_lru: inode_lock (inode.c).
 * i_wb_list: wb_lock (flusher.c). writeback_index: atomic (a hint).
 */
struct address_space {
	char name[MAPPING_NAME_MAX];
	int fd;
	gfp_t gfp_mask;
	const struct address_space_operations *a_ops;
	spinlock_t i_pages_lock;
	struct page_index i_pages;
	unsigned long nrpages;
	unsigned long nrdirty;
	unsigned long nrwriteback;
	_Atomic(long long) i_size;
	_Atomic(errseq_t) wb_err;
	struct mutex fsync_mutex;
	errseq_t fsync_since;
	int i_count;
	unsigned int i_state;
	struct list_head i_hash;
	struct list_head i_lru;
	struct list_head i_wb_list;
	_Atomic(unsigned long) writeback_index;
};

enum writeback_sync_modes {
	WB_SYNC_NONE,	/* don't wait on anything: skip busy pages */
	WB_SYNC_ALL,	/* wait on every page (fsync) */
};

/* What one writeback pass should do; owned by its caller. */
struct writeback_control {
	enum writeback_sync_modes sync_mode;
	long nr_to_write;		/* pages; decremented as written */
	bool range_cyclic;		/* start at writeback_index, wrap */
	bool for_reclaim;		/* from reclaim's writepage */
	long pages_written;		/* result */
};

/* ------------------------------------------------------------------ */
/* Set-up                                                                */
/* ------------------------------------------------------------------ */

struct writeback_config {
	const char *dir;	/* backing directory; NULL: "ballast-cache"
				 * under the working directory. Created if
				 * missing; files in it are this layer's. */
	unsigned int dirty_background_ratio;	/* % of dirtyable memory;
						 * 0: 10 */
	unsigned int dirty_ratio;		/* 0: 20 */
	unsigned int writeback_interval_ms;	/* periodic flush; 0: 500 */
	bool no_flusher;	/* don't start the flusher task (tests):
				 * throttled writers then write back
				 * themselves */
};

/**
 * writeback_init() - create the backing directory, the caches (inode_cache
 * and page_index_node, both reclaimable slabs), register the reclaim file
 * ops and the inode shrinker, and start the flusher task.
 * @cfg: settings; NULL for the defaults.
 *
 * Context: after reclaim_init(); single-threaded start-up, no locks;
 * may sleep (mkdir(2), task creation); allocates cache descriptors and
 * the flusher task from the C heap, never from ballast; no reclaim.
 * Return: 0, -EBUSY if already initialised, -EINVAL for bad ratios, or the
 * errno of mkdir/task creation.
 */
int __must_check writeback_init(const struct writeback_config *cfg);

/**
 * writeback_exit() - stop the flusher, write back and evict every cached
 * file, destroy the caches. Files still open are reported and their pages
 * dropped; a writeback error that no fsync reported (including one of this
 * final writeback) is printed with the file's name.
 *
 * Context: quiescent; takes wb_lock, inode_lock and i_pages_lock in turn;
 * may sleep (I/O, page locks); no allocation; no reclaim, and must not
 * be called from reclaim or a shrinker (it unregisters the inode
 * shrinker).
 */
void writeback_exit(void);

/**
 * writeback_dir() - the backing directory's path (immutable).
 * Context: after writeback_init(); no locks; never sleeps; no allocation;
 * no reclaim.
 * Return: the absolute path (static storage).
 */
const char *writeback_dir(void);

/* ------------------------------------------------------------------ */
/* Files                                                                 */
/* ------------------------------------------------------------------ */

/**
 * filemap_open() - open (creating if needed) the backing file @name and
 * return its address_space, shared by every opener of the same name.
 * @name: a file name inside the backing directory (no '/', no leading
 *	  '.', at most MAPPING_NAME_MAX - 1 bytes).
 * @mappingp: receives the mapping, with a reference for the caller.
 *
 * Context: takes inode_lock; may sleep (open(2)); allocates the inode
 * with GFP_KERNEL before taking any lock, so it may enter reclaim (the
 * caller holds no page lock and no lock reclaim takes).
 * Return: 0; -EINVAL for a bad name; -ENOMEM; or the errno of open(2).
 */
int __must_check filemap_open(const char *name,
			      struct address_space **mappingp);

/**
 * filemap_close() - drop the caller's reference. The last one leaves the
 * mapping cached, unused, on the inode LRU (rule 5).
 * Context: takes inode_lock; never sleeps; no allocation; no reclaim.
 */
void filemap_close(struct address_space *mapping);

/**
 * filemap_get() - take another reference on an open mapping (a mapping in
 * an address space holds one, as a VMA holds its file).
 * @mapping: a mapping the caller holds a reference on.
 *
 * Context: takes inode_lock; never sleeps; no allocation; no reclaim.
 */
void filemap_get(struct address_space *mapping);

/**
 * i_size_extend() - grow the file size to @end bytes if it is smaller
 * (a write through the cache or a shared mapping reached @end).
 * @end: new size in bytes.
 *
 * Context: caller holds the lock of the page that holds byte @end - 1 (so
 * writeback, which clamps to i_size, sees the size and the bytes
 * together); atomic; never sleeps; no allocation; no reclaim.
 */
void i_size_extend(struct address_space *mapping, loff_t end);

/**
 * i_size_read() - file size in bytes.
 * Context: any; lockless (atomic read); never sleeps; no allocation; no
 * reclaim, callable from reclaim.
 * Return: the size in bytes.
 */
static inline loff_t i_size_read(struct address_space *mapping)
{
	return (loff_t)atomic_load_explicit(&mapping->i_size,
					    memory_order_acquire);
}

/* ------------------------------------------------------------------ */
/* Page cache                                                            */
/* ------------------------------------------------------------------ */

/**
 * find_get_page() - the cached page at @index, with a reference.
 * Context: takes i_pages_lock; never sleeps; no allocation; no reclaim,
 * callable from reclaim.
 * Return: the page (caller put_page()s it), or NULL if not cached.
 */
struct page *find_get_page(struct address_space *mapping, pgoff_t index);

/**
 * find_lock_page() - as find_get_page(), and locked; a page truncated
 * while we waited for its lock is not returned.
 * Context: caller holds no page lock (the lock is taken blocking) and no
 * spinlock; may sleep (lock_page); no allocation; no reclaim, but must
 * not be called from reclaim (blocking page lock).
 * Return: the locked page with a reference, or NULL.
 */
struct page *find_lock_page(struct address_space *mapping, pgoff_t index);

/**
 * find_or_create_page() - the page at @index, locked, with a reference;
 * created (not uptodate) and added to the cache and the file LRU if
 * absent.
 * @gfp: mask for the new page (the mapping's mask is added; pass
 *	 GFP_KERNEL or a scope-restricted mask). __GFP_ACCOUNT is added, so
 *	 a memcg charges it. The page and the index nodes are allocated
 *	 before the page lock is taken (rule 2).
 *
 * Context: caller holds no page lock and no lock reclaim takes; takes
 * i_pages_lock and the LRU lock; may sleep; allocates with @gfp before
 * taking the page lock, so may enter reclaim; not callable from reclaim.
 * Return: the locked page, or NULL if no memory under @gfp.
 */
struct page *find_or_create_page(struct address_space *mapping,
				 pgoff_t index, gfp_t gfp);

/**
 * filemap_read_page() - the page at @index, uptodate (read from the file
 * if needed), unlocked, with a reference.
 *
 * Context: as find_or_create_page() with @gfp; may do read I/O.
 * Return: 0 and *@pagep; -ENOMEM; -EIO if the read failed.
 */
int __must_check filemap_read_page(struct address_space *mapping,
				   pgoff_t index, gfp_t gfp,
				   struct page **pagep);

/**
 * filemap_read() - copy up to @len bytes at @pos out of the file, through
 * the cache (pages are read in and marked accessed).
 *
 * Context: caller holds no page lock; takes page locks one at a time
 * (the copy is made under the page lock, so it never sees a page
 * half-written by filemap_write()); may sleep (read I/O); allocates with
 * GFP_KERNEL before each page lock, so may enter reclaim; not callable
 * from reclaim.
 * Return: bytes copied (short at end of file), or a negative errno if
 * nothing was copied (-ENOMEM, -EIO).
 */
ssize_t filemap_read(struct address_space *mapping, loff_t pos, void *buf,
		     size_t len);

/**
 * filemap_write() - copy @len bytes to the file at @pos through the cache:
 * each page is found or created (read in first if partly overwritten),
 * written under its lock, marked dirty; the file grows as needed. After
 * each page the writer is throttled if dirty memory is over the limit
 * (balance_dirty_pages_ratelimited()).
 *
 * Context: caller holds no page lock; takes page locks one at a time;
 * may sleep (throttling, read I/O); allocates with GFP_KERNEL before each
 * page lock, so may enter reclaim; not callable from reclaim.
 * Return: bytes written, or a negative errno if none were (-ENOMEM,
 * -EIO, -EFBIG past the index range).
 */
ssize_t filemap_write(struct address_space *mapping, loff_t pos,
		      const void *buf, size_t len);

/**
 * set_page_dirty() - mark a locked cache page dirty: PG_dirty, the index
 * tag, the gauges, and the mapping on the flusher's list.
 * Context: caller holds the page lock; takes i_pages_lock and wb_lock;
 * never sleeps; no allocation; no reclaim.
 * Return: true if the page was clean.
 */
bool set_page_dirty(struct page *page);

/**
 * clear_page_dirty_for_io() - about to write a locked page: clear
 * PG_dirty, its tag and the dirty gauges.
 * Context: caller holds the page lock; takes i_pages_lock; never sleeps;
 * no allocation; no reclaim.
 * Return: true if it was dirty (the caller must then write it).
 */
bool clear_page_dirty_for_io(struct page *page);

/**
 * page_cache_migrate() - move the page-cache page @src to the new page
 * @dst (migration, layer 8): its bytes, its index entry, ->mapping and
 * ->index, the cache's reference, its state flags (uptodate, dirty,
 * referenced, active, workingset, error, reclaim) and the dirty accounting
 * of its zone. Afterwards @src holds only the caller's isolation reference
 * and @dst one reference for the cache plus the caller's.
 * @dst: a new page from the allocator (one reference), locked.
 * @src: locked, isolated from its LRU (isolate_lru_page()), not mapped,
 *	 not under writeback.
 *
 * Context: caller holds both page locks; takes the mapping's
 * i_pages_lock; never sleeps; no allocation; no reclaim.
 * Return: 0; -EAGAIN if someone else holds a reference on @src (try
 * later); -EBUSY if @src is mapped or under writeback; -EINVAL if @src is
 * not in a page cache.
 */
int __must_check page_cache_migrate(struct page *dst, struct page *src);

/**
 * mapping_set_error() - record a writeback error on @mapping (rule 4).
 * Context: any (no locks, atomic); never sleeps; no allocation; no
 * reclaim.
 */
void mapping_set_error(struct address_space *mapping, int err);

/**
 * invalidate_mapping_pages() - drop the clean, unlocked, unmapped pages of
 * @mapping that are not under writeback (trylocks only).
 * Context: takes i_pages_lock and the LRU lock, trylocks page locks;
 * never sleeps; no allocation; no reclaim, callable from a shrinker.
 * Return: pages dropped.
 */
unsigned long invalidate_mapping_pages(struct address_space *mapping);

/* ------------------------------------------------------------------ */
/* Writeback and fsync                                                   */
/* ------------------------------------------------------------------ */

/**
 * write_cache_pages() - write back dirty pages of @mapping as @wbc says:
 * each page is locked, cleared for I/O, marked for writeback and unlocked;
 * runs of index-contiguous pages are submitted as one pwritev each (at
 * most WB_BATCH_PAGES), whose completion ends their writeback. With
 * WB_SYNC_ALL the walk ends at the last page that was dirty when the call
 * began, so a writer dirtying pages ahead of it cannot keep it going.
 *
 * Context: caller holds no page lock; takes page locks (blocking) and
 * i_pages_lock; may sleep (page locks, I/O, and with WB_SYNC_ALL
 * writeback waits, made with no page lock held and no writeback owed);
 * no allocation; no reclaim, and not callable from reclaim (blocking page
 * locks: reclaim writes single pages through its writepage op).
 * Return: 0, or the first I/O error of this call (also recorded on the
 * mapping).
 */
int write_cache_pages(struct address_space *mapping,
		      struct writeback_control *wbc);

#define WB_BATCH_PAGES 64

/**
 * filemap_fdatawait() - wait until no page of @mapping is under writeback.
 * Context: caller holds no page lock; takes i_pages_lock; may sleep
 * (writeback waits); no allocation; no reclaim, and not callable from
 * reclaim.
 * Return: 0.
 */
int filemap_fdatawait(struct address_space *mapping);

/**
 * filemap_write_and_wait() - write back every dirty page (WB_SYNC_ALL) and
 * wait for all writeback. Context: as write_cache_pages().
 * Return: 0 or the I/O error of this writeback.
 */
int filemap_write_and_wait(struct address_space *mapping);

/**
 * filemap_sample_wb_err() - an fsync cursor for @mapping (errseq_sample).
 * Context: any; lockless (atomic); never sleeps; no allocation; no
 * reclaim.
 * Return: the cursor: errors recorded after it, and one recorded before
 * that no fsync has seen yet, are reported to it by vfs_fsync().
 */
errseq_t filemap_sample_wb_err(struct address_space *mapping);

/**
 * vfs_fsync() - make the file durable: write back and wait for every
 * dirty page, fdatasync(2) the backing file, and report any writeback
 * error recorded since *@since (then advance it).
 *
 * Context: caller holds no page lock; takes page locks and i_pages_lock
 * as write_cache_pages(); may sleep (I/O); no allocation; no reclaim, and
 * not callable from reclaim.
 * Return: 0, or the negative errno of an error since *@since (an
 * injected or real pwritev failure: -EIO, -ENOSPC, ...).
 */
int vfs_fsync(struct address_space *mapping, errseq_t *since);

/**
 * filemap_fsync() - vfs_fsync() with the mapping's own cursor (taken when
 * the inode was created): each error is reported to one fsync caller.
 * Context: caller holds no page lock; takes the mapping's fsync_mutex,
 * then the locks of vfs_fsync(); may sleep (I/O); no allocation; no
 * reclaim, and not callable from reclaim.
 * Return: as vfs_fsync(): 0, or the negative errno of a writeback error
 * (or of fdatasync(2)) not yet reported to this cursor.
 */
int filemap_fsync(struct address_space *mapping);

/* ------------------------------------------------------------------ */
/* Dirty throttling and the flusher                                      */
/* ------------------------------------------------------------------ */

/**
 * global_dirty_limits() - the background and foreground thresholds, in
 * pages: the configured ratios of dirtyable memory (free pages + file
 * pages - the high watermarks).
 * Context: any; lockless (atomic reads of the gauges); never sleeps; no
 * allocation; no reclaim.
 */
void global_dirty_limits(unsigned long *background, unsigned long *dirty);

/**
 * balance_dirty_pages_ratelimited() - called after dirtying a page: above
 * the background threshold (dirty + writeback pages) wake the flusher;
 * above the foreground threshold sleep (bounded pauses, woken by flusher
 * progress) until under it. Without a flusher the writer writes back
 * pages of @mapping itself.
 *
 * Context: caller holds no page lock and no spinlock; may sleep; no
 * allocation; no reclaim (may do writeback I/O itself without a flusher).
 */
void balance_dirty_pages_ratelimited(struct address_space *mapping);

/**
 * wakeup_flusher_threads() - ask the flusher to write about @nr_pages
 * (0: everything dirty).
 * Context: any (atomics and a completion); never sleeps; no allocation;
 * no reclaim, callable from reclaim (the file ops use it).
 */
void wakeup_flusher_threads(unsigned long nr_pages);

/**
 * flusher_sync() - wake the flusher and wait until it finished one pass
 * writing back every dirty page, started after this call (tests and
 * benchmarks).
 * @timeout_ms: failure detector; 0 waits forever.
 * Context: caller holds no lock (no page lock, nothing the flusher
 * takes); takes the flusher's mutex; may sleep; no allocation; no
 * reclaim, and not callable from reclaim.
 * Return: 0, -ENOENT if no flusher runs, -ETIMEDOUT.
 */
int __must_check flusher_sync(unsigned long timeout_ms);

/* ------------------------------------------------------------------ */
/* Checks, statistics, fault injection                                   */
/* ------------------------------------------------------------------ */

#define WRITEBACK_CHECK_QUIESCENT 0x1	/* no I/O or dirtying meanwhile */

/**
 * writeback_check() - verify every cached mapping: the index is well
 * formed (parents, offsets, counts, tags summarised correctly), every
 * entry is a page whose ->mapping and ->index match, nrpages/nrdirty/
 * nrwriteback match the entries; the mappings add up to NR_FILE_PAGES.
 * With WRITEBACK_CHECK_QUIESCENT also: the DIRTY and WRITEBACK tags
 * match PG_dirty and PG_writeback, every page has a reference and is
 * uptodate or locked-free, and the gauges NR_FILE_DIRTY, NR_WRITEBACK and
 * NR_ZONE_WRITE_PENDING equal the counts. Violations are printed.
 *
 * Context: takes inode_lock, then each mapping's i_pages_lock; never
 * sleeps; no allocation; no reclaim.
 * Return: number of violations.
 */
unsigned long __must_check writeback_check(unsigned int flags);

struct writeback_stats {
	unsigned long batches;		/* pwritev submissions */
	unsigned long pages_written;
	unsigned long write_errors;	/* failed submissions */
	unsigned long short_writes;	/* pwritev that wrote less */
	unsigned long throttled;	/* writer pauses over the limit */
	unsigned long flusher_passes;
	unsigned long inodes_evicted;
	unsigned long pages_read;
};

/**
 * writeback_get_stats() - snapshot (atomic counters).
 * Context: any; lockless atomic reads; never sleeps; no allocation; no
 * reclaim.
 */
void writeback_get_stats(struct writeback_stats *stats);

/*
 * Fault injection (test builds): every Nth pwritev submission fails with
 * -@fail_errno (default -EIO) or writes only half of what it was given
 * (the rest is then written by the retry loop). 0 turns a knob off.
 */
struct writeback_fault_config {
	unsigned long fail_nth;
	int fail_errno;
	unsigned long short_nth;
};
#if BALLAST_TESTING
/**
 * writeback_fault_set() - set the fault-injection knobs from @cfg (NULL
 * turns every knob off) and restart the submission count.
 * Context: any; no locks (atomic stores); never sleeps; no allocation; no
 * reclaim.
 */
void writeback_fault_set(const struct writeback_fault_config *cfg);
#endif

#endif /* BALLAST_WRITEBACK_H */
