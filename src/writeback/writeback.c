// SPDX-License-Identifier: MIT
/*
 * writeback.c - writing dirty pages back the way filesystems do: walk the
 * dirty-tagged pages in index order; for each, lock it, clear it for I/O,
 * mark it under writeback, unlock it; accumulate runs of index-contiguous
 * pages and submit each run as one pwritev; end writeback when the I/O is
 * done. Also fdatawait and fsync.
 *
 * Invariants and locking:
 *  - A task that marked pages for writeback and has not submitted them
 *    owes their writeback (page.h rule 4). While owing, it may take page
 *    locks (blocking, as Linux's write_cache_pages does: this is the edge
 *    PG_writeback -> PG_locked that bug 5 closes into a cycle), but it
 *    never allocates and never waits on another page's writeback: with
 *    WB_SYNC_ALL, the batch is submitted first and the page lock dropped
 *    before waiting.
 *  - Submission runs between io_path_enter() and io_path_exit(): it is the
 *    I/O that reclaim with __GFP_IO may wait for. It takes only the
 *    mapping's i_pages_lock (ending writeback) and the LRU lock (rotating
 *    pages reclaim marked), and allocates nothing.
 *  - The length written is clamped to i_size, so the backing file has
 *    exactly the file's bytes. A short pwritev is continued; a failure is
 *    recorded on the mapping (errseq) and returned, and the pages end
 *    writeback clean (writeback.h rule 4).
 *  - Each page in a batch holds a reference taken at lookup, dropped after
 *    its writeback ends.
 *  - A WB_SYNC_ALL walk ends at the last page that was dirty when it
 *    started, so it terminates however fast pages are dirtied ahead of it;
 *    pages dirtied meanwhile below that index may be written too.
 */
#include "internal.h"

#include <ballast/lib/testhook.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int write_iov(int fd, struct iovec *iov, int cnt, loff_t pos)
{
	while (cnt > 0) {
		int fault = writeback_fault_tick();
		struct iovec save = { 0 };
		int save_idx = -1;
		ssize_t n;

		if (fault < 0)
			return fault;
		if (fault == 1) {
			/* Injected short write: offer only half the bytes. */
			size_t total = 0, half, acc = 0;

			for (int i = 0; i < cnt; i++)
				total += iov[i].iov_len;
			half = total / 2 ? total / 2 : total;
			for (int i = 0; i < cnt; i++) {
				if (acc + iov[i].iov_len >= half) {
					save = iov[i];
					save_idx = i;
					iov[i].iov_len = half - acc;
					break;
				}
				acc += iov[i].iov_len;
			}
			n = pwritev(fd, iov, save_idx + 1, pos);
			iov[save_idx] = save;
			wb_count(short_writes, 1);
		} else {
			n = pwritev(fd, iov, cnt, pos);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		pos += n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int writeback_submit(struct address_space *mapping, struct page **pages,
		     unsigned int nr)
{
	struct iovec iov[WB_BATCH_PAGES];
	loff_t pos = (loff_t)pages[0]->index << PAGE_SHIFT;
	loff_t size = i_size_read(mapping);
	int cnt = 0, err;

	for (unsigned int i = 0; i < nr; i++) {
		loff_t off = pos + ((loff_t)i << PAGE_SHIFT);

		if (off >= size)
			break;
		iov[cnt].iov_base = page_address(pages[i]);
		iov[cnt].iov_len = (size_t)min((loff_t)PAGE_SIZE, size - off);
		cnt++;
	}
	io_path_enter();
	/* Test builds: a test may take a lock here, as a block driver's
	 * submission path would (bug 4). Runs on the I/O path, pages owed. */
	TEST_HOOK("writeback.submit", mapping);
	err = cnt ? write_iov(mapping->fd, iov, cnt, pos) : 0;
	io_path_exit();
	if (err) {
		mapping_set_error(mapping, err);
		wb_count(write_errors, 1);
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (err)
			set_page_bit(pages[i], PG_error);
		page_end_writeback(pages[i]);
		put_page(pages[i]);
	}
	wb_count(batches, 1);
	wb_count(pages_written, nr);
	dirty_throttle_wake();
	return err;
}

#define WB_LOOKUP 16

int write_cache_pages(struct address_space *mapping,
		      struct writeback_control *wbc)
{
	struct page *batch[WB_BATCH_PAGES];
	void *found[WB_LOOKUP];
	pgoff_t idx[WB_LOOKUP];
	pgoff_t index = 0, end = ULONG_MAX;
	unsigned int nr = 0;
	bool wrapped = true, done = false;
	int ret = 0, err;

	might_sleep();
	if (wbc->range_cyclic) {
		index = atomic_load(&mapping->writeback_index);
		wrapped = index == 0;
	}
	if (wbc->sync_mode == WB_SYNC_ALL) {
		/*
		 * Walk no further than the last page dirty now: a writer
		 * dirtying pages ahead of the walk must not keep fsync going
		 * forever (Linux tags the pages to write TOWRITE first).
		 */
		spin_lock(&mapping->i_pages_lock);
		if (!page_index_last_tagged(&mapping->i_pages,
					    PAGECACHE_TAG_DIRTY, &end))
			done = true;
		spin_unlock(&mapping->i_pages_lock);
	}
#define SUBMIT()                                                       \
	do {                                                           \
		if (nr) {                                              \
			err = writeback_submit(mapping, batch, nr);    \
			if (err && !ret)                               \
				ret = err;                             \
			nr = 0;                                        \
		}                                                      \
	} while (0)

	while (!done) {
		unsigned int n;

		spin_lock(&mapping->i_pages_lock);
		n = page_index_gang_lookup(&mapping->i_pages, index,
					   PAGECACHE_TAG_DIRTY, found, idx,
					   WB_LOOKUP);
		while (n && idx[n - 1] > end)
			n--;	/* dirtied after a sync walk began */
		for (unsigned int i = 0; i < n; i++)
			get_page(found[i]);
		spin_unlock(&mapping->i_pages_lock);
		if (!n) {
			if (wrapped)
				break;
			wrapped = true;
			index = 0;
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			struct page *page = found[i];

			if (done) {
				put_page(page);
				continue;
			}
			/* Only index-contiguous runs share a pwritev. */
			if (nr && idx[i] != batch[0]->index + nr)
				SUBMIT();
			/*
			 * Test builds: the moment a flusher that may owe the
			 * batch's writeback blocks on the next page (bug 5).
			 */
			TEST_HOOK("writeback.lock_page", page);
			lock_page(page);
again:
			if (page->mapping != mapping || !PageDirty(page)) {
				unlock_page(page);
				put_page(page);
				continue;
			}
			if (PageWriteback(page)) {
				if (wbc->sync_mode == WB_SYNC_NONE) {
					unlock_page(page);
					put_page(page);
					continue;
				}
				/*
				 * fsync must wait; never while holding the
				 * page lock or owing writeback (rule of this
				 * file): submit, unlock, wait, relock.
				 */
				unlock_page(page);
				SUBMIT();
				wait_on_page_writeback(page);
				lock_page(page);
				goto again;
			}
			if (!clear_page_dirty_for_io(page)) {
				unlock_page(page);
				put_page(page);
				continue;
			}
			page_start_writeback(page);
			unlock_page(page);
			batch[nr++] = page;
			if (nr == WB_BATCH_PAGES)
				SUBMIT();
			wbc->pages_written++;
			if (--wbc->nr_to_write <= 0 &&
			    wbc->sync_mode == WB_SYNC_NONE)
				done = true;
		}
		index = idx[n - 1] + 1;
	}
	SUBMIT();
#undef SUBMIT
	if (wbc->range_cyclic)
		atomic_store(&mapping->writeback_index, done ? index : 0);
	return ret;
}

int filemap_fdatawait(struct address_space *mapping)
{
	void *found[WB_LOOKUP];
	pgoff_t idx[WB_LOOKUP], index = 0;
	unsigned int n;

	might_sleep();
	do {
		spin_lock(&mapping->i_pages_lock);
		n = page_index_gang_lookup(&mapping->i_pages, index,
					   PAGECACHE_TAG_WRITEBACK, found, idx,
					   WB_LOOKUP);
		for (unsigned int i = 0; i < n; i++)
			get_page(found[i]);
		spin_unlock(&mapping->i_pages_lock);
		for (unsigned int i = 0; i < n; i++) {
			wait_on_page_writeback(found[i]);
			put_page(found[i]);
		}
		if (n)
			index = idx[n - 1] + 1;
	} while (n == WB_LOOKUP);
	return 0;
}

int filemap_write_and_wait(struct address_space *mapping)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_ALL,
		.nr_to_write = LONG_MAX,
	};
	int err = write_cache_pages(mapping, &wbc);

	filemap_fdatawait(mapping);
	return err;
}

errseq_t filemap_sample_wb_err(struct address_space *mapping)
{
	return errseq_sample(&mapping->wb_err);
}

int vfs_fsync(struct address_space *mapping, errseq_t *since)
{
	int err, err2 = 0;

	filemap_write_and_wait(mapping);
	if (fdatasync(mapping->fd) < 0)
		err2 = -errno;
	err = errseq_check_and_advance(&mapping->wb_err, since);
	return err ? err : err2;
}

int filemap_fsync(struct address_space *mapping)
{
	int err;

	mutex_lock(&mapping->fsync_mutex);
	err = vfs_fsync(mapping, &mapping->fsync_since);
	mutex_unlock(&mapping->fsync_mutex);
	return err;
}
