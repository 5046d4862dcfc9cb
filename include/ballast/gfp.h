// SPDX-License-Identifier: MIT
/*
 * gfp.h - allocation flags, with Linux's names and meanings. A definitions
 * header (no code): any layer may include it, as Linux's gfp_types.h.
 *
 * Rules for users:
 *  1. Start from a named combination (GFP_KERNEL, GFP_NOWAIT, ...); add
 *     modifiers; never build a mask from scratch.
 *  2. Do not pass GFP_NOIO / GFP_NOFS down a call chain to stop recursion
 *     into I/O or the filesystem: open a scope (memalloc_noio_save() in
 *     task.h) in the function that knows why, so allocations made deep
 *     inside other layers (page tables under vmalloc) see it too. The
 *     allocator applies scopes at its entry (current_gfp_context()).
 *  3. Reclaim modifiers: __GFP_NORETRY fails early (no OOM kill);
 *     __GFP_RETRY_MAYFAIL retries while reclaim progresses, then fails
 *     without an OOM kill; __GFP_NOFAIL never fails (retries forever; only
 *     for small orders, and only where failure cannot be handled).
 *  4. Reserves: __GFP_HIGH dips below the min watermark, and further if it
 *     cannot sleep (GFP_ATOMIC); other masks that cannot sleep (GFP_NOWAIT)
 *     stop at the min watermark; PF_MEMALLOC tasks and __GFP_MEMALLOC
 *     ignore watermarks unless __GFP_NOMEMALLOC.
 */
#ifndef BALLAST_GFP_H
#define BALLAST_GFP_H

#include <stdbool.h>

typedef unsigned int gfp_t;

/* Zone modifiers */
#define __GFP_DMA		0x00000001u	/* only from the low zone */
#define __GFP_HIGHMEM		0x00000002u	/* accepted, no effect (64-bit) */
/* Mobility (pageblock grouping) */
#define __GFP_MOVABLE		0x00000008u	/* migratable or reclaimable by moving */
#define __GFP_RECLAIMABLE	0x00000010u	/* freed through a shrinker */
/* Watermark modifiers */
#define __GFP_HIGH		0x00000020u	/* high priority: may use some reserves */
#define __GFP_MEMALLOC		0x00020000u	/* may use all reserves */
#define __GFP_NOMEMALLOC	0x00080000u	/* never use the emergency reserves */
/* Reclaim modifiers */
#define __GFP_IO		0x00000040u	/* reclaim may start physical I/O */
#define __GFP_FS		0x00000080u	/* reclaim may call into the filesystem */
#define __GFP_DIRECT_RECLAIM	0x00000400u	/* caller may sleep and reclaim */
#define __GFP_KSWAPD_RECLAIM	0x00000800u	/* wake kswapd at the low watermark */
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_RETRY_MAYFAIL	0x00004000u
#define __GFP_NOFAIL		0x00008000u
#define __GFP_NORETRY		0x00010000u
/* Action modifiers */
#define __GFP_ZERO		0x00000100u	/* return zeroed memory */
#define __GFP_WRITE		0x00001000u	/* will be dirtied (page cache) */
#define __GFP_NOWARN		0x00002000u	/* no failure report */
#define __GFP_COMP		0x00040000u	/* make a compound page */
#define __GFP_HARDWALL		0x00100000u	/* accepted, no effect (no cpusets) */
#define __GFP_ACCOUNT		0x00400000u	/* charge to the task's memcg */

#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

#define GFP_MOVABLE_MASK (__GFP_RECLAIMABLE | __GFP_MOVABLE)
/* Bits that say something about reclaim; the rest pass through scopes. */
#define GFP_RECLAIM_MASK (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | \
			  __GFP_IO | __GFP_FS | __GFP_NOWARN |          \
			  __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | \
			  __GFP_MEMALLOC | __GFP_NOMEMALLOC)
/* Bits above it are no flag: alloc_pages() reports them (debug builds). */
#define GFP_VALID_MASK (0x00800000u - 1)

/*
 * gfpflags_allow_blocking() - may an allocation with @gfp sleep (direct
 * reclaim)? Apply the task's scopes first (current_gfp_context()).
 * Context: any; no locks; never sleeps; no allocation; no reclaim.
 * Return: true if @gfp has __GFP_DIRECT_RECLAIM.
 */
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

#endif /* BALLAST_GFP_H */
