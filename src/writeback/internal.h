// SPDX-License-Identifier: MIT
/* internal.h - shared between the writeback layer's files only. */
#ifndef BALLAST_WRITEBACK_INTERNAL_H
#define BALLAST_WRITEBACK_INTERNAL_H

#include <ballast/reclaim.h>
#include <ballast/slab.h>
#include <ballast/task.h>
#include <ballast/writeback.h>

/* ------------------------------------------------------------------ */
/* page_index.c: a radix tree of 64-way nodes with per-slot tags          */
/* ------------------------------------------------------------------ */

#define PI_SHIFT 6
#define PI_SLOTS (1u << PI_SHIFT)
#define PI_MASK (PI_SLOTS - 1)
#define PI_MAX_LEVELS 11		/* ceil(64 / 6) */

struct pi_node {
	struct pi_node *parent;
	uint8_t shift;			/* 0 for leaves */
	uint8_t offset;			/* slot in parent */
	uint8_t count;			/* non-NULL slots */
	void *slots[PI_SLOTS];
	uint64_t tags[PAGECACHE_TAG_MAX];
};

/* Nodes allocated before taking the tree's lock (radix_tree_preload). */
struct pi_preload {
	int nr;
	struct pi_node *nodes[2 * PI_MAX_LEVELS];
};

int page_index_cache_init(void);
void page_index_cache_destroy(void);
/* Nodes an insert at @index may need (caller holds the tree lock). */
int page_index_nodes_needed(struct page_index *pi, pgoff_t index);
/* Fill @pl up to @nr nodes with @gfp (no lock held). */
int page_index_preload(struct pi_preload *pl, int nr, gfp_t gfp);
void page_index_preload_end(struct pi_preload *pl);
void *page_index_lookup(struct page_index *pi, pgoff_t index);
/* Swap the entry at @index from @old to @entry; false if it is not @old. */
bool page_index_replace(struct page_index *pi, pgoff_t index, void *old,
			void *entry);
/* 0, -EEXIST, or -ENOMEM if @pl ran short (nothing changed then). */
int page_index_insert(struct page_index *pi, pgoff_t index, void *entry,
		      struct pi_preload *pl);
/* Remove @index; emptied nodes are pushed on *@freed (free after unlock). */
void *page_index_delete(struct page_index *pi, pgoff_t index,
			struct pi_node **freed);
void page_index_free_nodes(struct pi_node *freed);
void page_index_tag_set(struct page_index *pi, pgoff_t index, int tag);
void page_index_tag_clear(struct page_index *pi, pgoff_t index, int tag);
bool page_index_tag_get(struct page_index *pi, pgoff_t index, int tag);
bool page_index_tagged(struct page_index *pi, int tag);
/* The highest index tagged @tag in *@index; false if none is. */
bool page_index_last_tagged(struct page_index *pi, int tag, pgoff_t *index);
/* Entries at indices >= @start (tag < 0: any), in index order. */
unsigned int page_index_gang_lookup(struct page_index *pi, pgoff_t start,
				    int tag, void **entries,
				    pgoff_t *indices, unsigned int max);
/* Check structure; call @fn per entry. Returns violations. */
unsigned long page_index_check(struct page_index *pi,
			       void (*fn)(pgoff_t index, void *entry,
					  void *arg),
			       void *arg);

/* ------------------------------------------------------------------ */
/* filemap.c                                                             */
/* ------------------------------------------------------------------ */

extern const struct address_space_operations backing_file_aops;
extern const struct reclaim_ops pagecache_reclaim_ops;
void delete_from_page_cache_locked(struct address_space *mapping,
				   struct page *page, struct pi_node **freed);
void pagecache_account_dirty(struct page *page, long delta);
void page_start_writeback(struct page *page);
void page_end_writeback(struct page *page);
int backing_read_page(struct address_space *mapping, struct page *page);

/* writeback.c (submission, write_cache_pages) */
int writeback_submit(struct address_space *mapping, struct page **pages,
		     unsigned int nr);

/* inode.c */
int inode_cache_init(void);
void inode_cache_exit(void);
bool mapping_try_pin_locked(struct address_space *mapping);
void mapping_unpin(struct address_space *mapping);
extern spinlock_t inode_lock;
struct list_head *inode_hash_bucket(unsigned int i);	/* inode_lock */
unsigned int inode_hash_size(void);

/* i_state bits (inode_lock) */
#define I_FREEING 0x1			/* being evicted: no new references */

/* flusher.c */
extern spinlock_t wb_lock;
void mapping_mark_dirty(struct address_space *mapping);
int flusher_start(unsigned int interval_ms);
void flusher_stop(void);
bool flusher_running(void);
void dirty_throttle_wake(void);
void dirty_limits_set(unsigned int background_ratio, unsigned int ratio);

/* stats */
struct writeback_counters {
	_Atomic(unsigned long) batches, pages_written, write_errors,
		short_writes, throttled, flusher_passes, inodes_evicted,
		pages_read;
};
extern struct writeback_counters wb_counters;
#define wb_count(field, n) \
	atomic_fetch_add_explicit(&wb_counters.field, (n), memory_order_relaxed)

/* fault.c (test builds) */
#if BALLAST_TESTING
/* 0: normal; -errno: fail this submission; 1: write only half. */
int writeback_fault_tick(void);
#else
static inline int writeback_fault_tick(void)
{
	return 0;
}
#endif

#endif
