// SPDX-License-Identifier: MIT
/*
 * inode.c - cached files: the inode hash by name, open and close, the LRU
 * of unused inodes and its shrinker (ballast's shrinkable slab user: each
 * unused inode pins a reclaimable slab object, an open file descriptor
 * and its clean page cache), eviction, and the layer's set-up.
 *
 * Invariants and locking:
 *  - inode_lock (spinlock) protects the hash buckets, every i_count,
 *    i_state, i_lru, inode_lru and nr_unused.
 *  - An inode is in the hash from creation until its eviction completes.
 *    i_count > 0: in use, not on inode_lru. i_count == 0: unused, on
 *    inode_lru, unless I_FREEING (being evicted: no new reference may be
 *    taken; filemap_open() of that name waits with memalloc_retry_wait()).
 *  - Eviction (the shrinker, only with __GFP_FS: it closes files) takes
 *    only clean inodes (no dirty or writeback pages) whose writeback
 *    errors some fsync has reported: an unreported error lives only in
 *    the mapping's errseq, so the inode stays cached until the next
 *    opener's fsync reports it (writeback.h rule 4); writeback_exit()
 *    prints any still unreported. Eviction drops pages with trylocks only
 *    (invalidate_mapping_pages: a shrinker must not sleep on a page lock),
 *    and if any page stays (locked or referenced elsewhere) gives the
 *    inode back to the LRU. Evicted pages count in PGINODESTEAL
 *    (KSWAPD_INODESTEAL from kswapd).
 *  - Lock order: wb_lock -> inode_lock -> i_pages_lock. The inode object
 *    is allocated (GFP_KERNEL) and the file opened before inode_lock is
 *    taken; a racing open of the same name is resolved under the lock.
 *  - File names are caller input: checked (no '/', no leading '.',
 *    bounded length), never trusted.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INODE_HASH_BITS 8
#define INODE_HASH_SIZE (1u << INODE_HASH_BITS)

DEFINE_SPINLOCK(inode_lock);
static struct list_head inode_hash[INODE_HASH_SIZE];	/* inode_lock */
static LIST_HEAD(inode_lru);				/* inode_lock */
static unsigned long nr_unused;				/* inode_lock */
static struct kmem_cache *inode_cachep;
static struct shrinker inode_shrinker;
static struct lock_class_key i_pages_key, fsync_key;
static char backing_dir[PATH_MAX];
static int backing_dirfd = -1;
static bool wb_initialised;

struct writeback_counters wb_counters;

static unsigned int name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 0x100000001b3ull;
	return (unsigned int)(h >> (64 - INODE_HASH_BITS));
}

static struct address_space *hash_find(const char *name)
{
	struct address_space *m;

	list_for_each_entry(m, &inode_hash[name_hash(name)], i_hash)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

static bool name_valid(const char *name)
{
	size_t len = name ? strnlen(name, MAPPING_NAME_MAX) : 0;

	return len > 0 && len < MAPPING_NAME_MAX && name[0] != '.' &&
	       !strchr(name, '/');
}

bool mapping_try_pin_locked(struct address_space *mapping)
{
	lockdep_assert_held(&inode_lock);
	if (mapping->i_state & I_FREEING)
		return false;
	if (mapping->i_count++ == 0) {
		list_del_init(&mapping->i_lru);
		nr_unused--;
	}
	return true;
}

void mapping_unpin(struct address_space *mapping)
{
	spin_lock(&inode_lock);
	if (WARN_ON_ONCE(mapping->i_count <= 0)) {
		spin_unlock(&inode_lock);
		return;
	}
	if (--mapping->i_count == 0) {
		list_add(&mapping->i_lru, &inode_lru);
		nr_unused++;
	}
	spin_unlock(&inode_lock);
}

static void mapping_init(struct address_space *m, const char *name, int fd,
			 loff_t size)
{
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->fd = fd;
	m->gfp_mask = GFP_HIGHUSER_MOVABLE;
	m->a_ops = &backing_file_aops;
	spin_lock_init_key(&m->i_pages_lock, "mapping->i_pages_lock",
			   &i_pages_key);
	m->i_pages.root = NULL;
	m->nrpages = m->nrdirty = m->nrwriteback = 0;
	atomic_init(&m->i_size, size);
	atomic_init(&m->wb_err, 0);
	mutex_init_key(&m->fsync_mutex, "mapping->fsync_mutex", &fsync_key);
	m->fsync_since = 0;
	m->i_count = 1;
	m->i_state = 0;
	INIT_LIST_HEAD(&m->i_hash);
	INIT_LIST_HEAD(&m->i_lru);
	INIT_LIST_HEAD(&m->i_wb_list);
	atomic_init(&m->writeback_index, 0);
}

int filemap_open(const char *name, struct address_space **mappingp)
{
	struct address_space *m, *new;
	struct stat st;
	int fd;

	might_alloc(GFP_KERNEL);
	if (!name_valid(name))
		return -EINVAL;
	for (;;) {
		spin_lock(&inode_lock);
		m = hash_find(name);
		if (m && mapping_try_pin_locked(m)) {
			spin_unlock(&inode_lock);
			*mappingp = m;
			return 0;
		}
		spin_unlock(&inode_lock);
		if (!m)
			break;
		memalloc_retry_wait(GFP_KERNEL);	/* being evicted */
	}

	new = kmem_cache_alloc(inode_cachep, GFP_KERNEL | __GFP_ZERO);
	if (!new)
		return -ENOMEM;
	fd = openat(backing_dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		kmem_cache_free(inode_cachep, new);
		return err;
	}
	mapping_init(new, name, fd, st.st_size);

	spin_lock(&inode_lock);
	m = hash_find(name);
	if (m) {
		/* Lost a race with another opener: use theirs. */
		spin_unlock(&inode_lock);
		mutex_destroy(&new->fsync_mutex);
		close(fd);
		kmem_cache_free(inode_cachep, new);
		return filemap_open(name, mappingp);
	}
	list_add(&new->i_hash, &inode_hash[name_hash(name)]);
	spin_unlock(&inode_lock);
	*mappingp = new;
	return 0;
}

void filemap_get(struct address_space *mapping)
{
	spin_lock(&inode_lock);
	if (WARN_ON_ONCE(mapping->i_count <= 0 ||
			 (mapping->i_state & I_FREEING)))
		report_misuse("filemap_get on %s, which is not open",
			      mapping->name);
	else
		mapping->i_count++;
	spin_unlock(&inode_lock);
}

void filemap_close(struct address_space *mapping)
{
	mapping_unpin(mapping);
}

/* The mapping is I_FREEING and has no pages: unhash and free it. */
static void destroy_inode(struct address_space *m)
{
	spin_lock(&wb_lock);
	if (!list_empty(&m->i_wb_list))
		list_del_init(&m->i_wb_list);
	spin_unlock(&wb_lock);
	spin_lock(&inode_lock);
	list_del_init(&m->i_hash);
	spin_unlock(&inode_lock);
	close(m->fd);
	mutex_destroy(&m->fsync_mutex);
	kmem_cache_free(inode_cachep, m);
	wb_count(inodes_evicted, 1);
}

/*
 * Evict an unused inode marked I_FREEING: drop its pages; free it if all
 * went, else give it back. Returns true if freed.
 */
static bool evict(struct address_space *m)
{
	unsigned long dropped = invalidate_mapping_pages(m);
	unsigned long left;

	count_vm_events(task_flags(current) & PF_KSWAPD ? KSWAPD_INODESTEAL
							: PGINODESTEAL,
			dropped);
	spin_lock(&m->i_pages_lock);
	left = m->nrpages;
	spin_unlock(&m->i_pages_lock);
	if (left) {
		spin_lock(&inode_lock);
		m->i_state &= ~I_FREEING;
		if (m->i_count == 0) {
			list_add(&m->i_lru, &inode_lru);
			nr_unused++;
		}
		spin_unlock(&inode_lock);
		return false;
	}
	destroy_inode(m);
	return true;
}

static bool mapping_busy(struct address_space *m)
{
	bool busy;

	spin_lock(&m->i_pages_lock);
	busy = m->nrdirty || m->nrwriteback;
	spin_unlock(&m->i_pages_lock);
	return busy;
}

/*
 * The errno of a writeback error of @m that no fsync has reported yet
 * (errseq_sample() gives 0 while the error is unseen), or 0.
 */
static int mapping_unreported_error(struct address_space *m)
{
	return errseq_check(&m->wb_err, errseq_sample(&m->wb_err));
}

static unsigned long inode_shrink_count(struct shrinker *s,
					struct shrink_control *sc)
{
	unsigned long n;

	spin_lock(&inode_lock);
	n = nr_unused;
	spin_unlock(&inode_lock);
	return n;
}

static unsigned long inode_shrink_scan(struct shrinker *s,
				       struct shrink_control *sc)
{
	unsigned long freed = 0;

	/* Evicting closes files and drops page cache: fs work. */
	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	for (unsigned long i = 0; i < sc->nr_to_scan; i++) {
		struct address_space *m;

		spin_lock(&inode_lock);
		if (list_empty(&inode_lru)) {
			spin_unlock(&inode_lock);
			sc->nr_scanned = i;
			break;
		}
		m = list_last_entry(&inode_lru, struct address_space, i_lru);
		if (mapping_busy(m) || mapping_unreported_error(m)) {
			/*
			 * Dirty: the flusher's. An unreported error: the
			 * next opener's fsync must see it, and a new inode
			 * would not. Look again later.
			 */
			list_move(&m->i_lru, &inode_lru);
			spin_unlock(&inode_lock);
			continue;
		}
		m->i_state |= I_FREEING;
		list_del_init(&m->i_lru);
		nr_unused--;
		spin_unlock(&inode_lock);
		if (evict(m))
			freed++;
	}
	return freed;
}

int inode_cache_init(void)
{
	for (unsigned int i = 0; i < INODE_HASH_SIZE; i++)
		INIT_LIST_HEAD(&inode_hash[i]);
	nr_unused = 0;
	inode_cachep = kmem_cache_create("inode_cache",
					 sizeof(struct address_space), 0,
					 SLAB_RECLAIM_ACCOUNT, NULL);
	if (!inode_cachep)
		return -ENOMEM;
	memset(&inode_shrinker, 0, sizeof(inode_shrinker));
	inode_shrinker.count_objects = inode_shrink_count;
	inode_shrinker.scan_objects = inode_shrink_scan;
	inode_shrinker.seeks = DEFAULT_SEEKS;
	return register_shrinker(&inode_shrinker, "inode_cache");
}

/*
 * Write back, drop and free every cached inode (writeback_exit()); a
 * writeback error no fsync reported is printed, as the last chance.
 */
void inode_cache_exit(void)
{
	for (;;) {
		struct address_space *m = NULL;
		int err;

		spin_lock(&inode_lock);
		for (unsigned int i = 0; i < INODE_HASH_SIZE && !m; i++)
			if (!list_empty(&inode_hash[i]))
				m = list_first_entry(&inode_hash[i],
						     struct address_space,
						     i_hash);
		if (m) {
			if (m->i_count) {
				report_misuse("writeback_exit: %s still open "
					      "(%d references)", m->name,
					      m->i_count);
				m->i_count = 0;
			} else {
				list_del_init(&m->i_lru);
				nr_unused--;
			}
			m->i_state |= I_FREEING;
		}
		spin_unlock(&inode_lock);
		if (!m)
			break;
		err = filemap_write_and_wait(m);
		if (!err)
			err = mapping_unreported_error(m);
		if (err)
			pr_err("writeback_exit: %s: writeback error %d never "
			       "reported by fsync; its data may be lost",
			       m->name, err);
		if (!evict(m)) {
			pr_err("writeback_exit: %s keeps %lu pages; leaked",
			       m->name, m->nrpages);
			spin_lock(&inode_lock);
			list_del_init(&m->i_hash);
			list_del_init(&m->i_lru);
			spin_unlock(&inode_lock);
		}
	}
	unregister_shrinker(&inode_shrinker);
	kmem_cache_destroy(inode_cachep);
	inode_cachep = NULL;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                                */
/* ------------------------------------------------------------------ */

/* For writeback_check(), which walks the hash under inode_lock. */
struct list_head *inode_hash_bucket(unsigned int i)
{
	return &inode_hash[i];
}

unsigned int inode_hash_size(void)
{
	return INODE_HASH_SIZE;
}

const char *writeback_dir(void)
{
	return backing_dir;
}

int writeback_init(const struct writeback_config *cfg)
{
	struct writeback_config def = { 0 };
	const char *dir;
	int ret;

	if (wb_initialised)
		return -EBUSY;
	if (!cfg)
		cfg = &def;
	if (cfg->dirty_ratio > 100 || cfg->dirty_background_ratio > 100)
		return -EINVAL;
	dir = cfg->dir ? cfg->dir : "ballast-cache";
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (!realpath(dir, backing_dir))
		return -errno;
	backing_dirfd = open(backing_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (backing_dirfd < 0)
		return -errno;
	memset(&wb_counters, 0, sizeof(wb_counters));
	dirty_limits_set(cfg->dirty_background_ratio ? cfg->dirty_background_ratio
						     : 10,
			 cfg->dirty_ratio ? cfg->dirty_ratio : 20);
	ret = page_index_cache_init();
	if (ret)
		goto out_dir;
	ret = inode_cache_init();
	if (ret)
		goto out_index;
	reclaim_set_ops(&pagecache_reclaim_ops);
	if (!cfg->no_flusher) {
		ret = flusher_start(cfg->writeback_interval_ms
					    ? cfg->writeback_interval_ms
					    : 500);
		if (ret)
			goto out_ops;
	}
	wb_initialised = true;
	return 0;

out_ops:
	reclaim_clear_ops(&pagecache_reclaim_ops);
	inode_cache_exit();
out_index:
	page_index_cache_destroy();
out_dir:
	close(backing_dirfd);
	backing_dirfd = -1;
	return ret;
}

void writeback_exit(void)
{
	if (!wb_initialised)
		return;
	flusher_stop();
	inode_cache_exit();
	reclaim_clear_ops(&pagecache_reclaim_ops);
	page_index_cache_destroy();
	close(backing_dirfd);
	backing_dirfd = -1;
	wb_initialised = false;
}

void writeback_get_stats(struct writeback_stats *s)
{
#define GET(f) s->f = atomic_load_explicit(&wb_counters.f, memory_order_relaxed)
	GET(batches);
	GET(pages_written);
	GET(write_errors);
	GET(short_writes);
	GET(throttled);
	GET(flusher_passes);
	GET(inodes_evicted);
	GET(pages_read);
#undef GET
}
