// SPDX-License-Identifier: MIT
/*
 * ring_device.c - the device half of split virtqueues (vringh): guest
 * memory translation, popping and validating available chains, pushing
 * used ones, and notification suppression on the device side.
 *
 * Invariants and locking:
 *  - A struct vringh is owned by one thread (the back-end's event loop);
 *    there is no lock. Its desc/avail/used pointers were checked by
 *    vringh_init() to lie in guest RAM with room for num entries (and the
 *    event fields with EVENT_IDX), so fixed offsets into them are safe.
 *  - Untrusted: every byte of guest RAM. Each descriptor is copied once
 *    with vr_read_once() and only the copy is used; avail->idx and each
 *    avail->ring entry are read once. Every address derived from guest
 *    data goes through virtio_mem_gpa_to_hva(), which refuses a range
 *    that is not wholly inside one region, with overflow-safe arithmetic.
 *  - Index arithmetic is modulo 2^16 and slots are masked with num - 1
 *    (num is a power of two); avail->idx may be at most num ahead of
 *    last_avail_idx, anything else is a violation.
 *  - A walk visits at most num buffer descriptors in all (direct and
 *    indirect), which bounds it and catches loops; at most one indirect
 *    table per chain, the chain's last descriptor.
 *  - inflight has one bit per head: set by a successful pop, cleared by
 *    vringh_complete(); nr_inflight counts the bits. A head popped while
 *    its bit is set is a violation (the driver reused a busy chain).
 *  - broken is sticky: once set, no function reads guest memory again,
 *    and error holds the first violation. Nothing here logs: the consumer
 *    logs error once (virtio.h rule 7).
 *  - The device is the only writer of used->idx, used->ring, used->flags
 *    and avail_event. used->idx is published with release after the
 *    element. Deciding a notification is the device's half of a Dekker
 *    pair (internal.h): used->idx is stored again sequentially consistent
 *    before used_event / avail->flags is read; re-enabling kicks stores
 *    avail_event / used->flags sequentially consistent before avail->idx
 *    is read. The driver does the mirror image.
 * No function sleeps; only vringh_init() allocates (C heap).
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ballast/lib/bitmap.h>
#include <ballast/lib/log.h>

#define VRINGH_MAX_CHAIN_BYTES (1ULL << 32)

/* The three address spaces a region maps between. */
enum mem_space { MEM_GPA, MEM_UADDR, MEM_HVA };

static uint64_t region_base(const struct virtio_mem_region *r,
			    enum mem_space space)
{
	switch (space) {
	case MEM_GPA:
		return r->gpa;
	case MEM_UADDR:
		return r->uaddr;
	case MEM_HVA:
		break;
	}
	return (uint64_t)(uintptr_t)r->hva;
}

/* The back-end address of [@addr, @addr + @len) in @space, or NULL. */
static void *mem_translate(const struct virtio_mem *mem, enum mem_space space,
			   uint64_t addr, uint64_t len)
{
	unsigned int nr = min(mem->nr_regions, VIRTIO_MEM_MAX_REGIONS);

	if (!len)
		return NULL;
	for (unsigned int i = 0; i < nr; i++) {
		const struct virtio_mem_region *r = &mem->regions[i];
		uint64_t base = region_base(r, space);

		if (addr < base || addr - base >= r->size)
			continue;
		if (len > r->size - (addr - base))
			return NULL;	/* runs off the end of its region */
		return r->hva + (addr - base);
	}
	return NULL;
}

void *virtio_mem_gpa_to_hva(const struct virtio_mem *mem, uint64_t gpa,
			    uint64_t len)
{
	return mem_translate(mem, MEM_GPA, gpa, len);
}

void *virtio_mem_uaddr_to_hva(const struct virtio_mem *mem, uint64_t uaddr,
			      uint64_t len)
{
	return mem_translate(mem, MEM_UADDR, uaddr, len);
}

bool virtio_mem_hva_valid(const struct virtio_mem *mem, const void *hva,
			  uint64_t len)
{
	return mem_translate(mem, MEM_HVA, (uint64_t)(uintptr_t)hva, len);
}

/* ------------------------------------------------------------------ */

static void __printf(2, 3) vringh_set_error(struct vringh *vrh,
					    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vrh->error, sizeof(vrh->error), fmt, ap);
	va_end(ap);
}

/* A violation: the queue is broken from now on. */
#define vringh_bad(vrh, ...)                                          \
	({                                                            \
		vringh_set_error((vrh), __VA_ARGS__);                 \
		(vrh)->broken = true;                                 \
		-EPROTO;                                              \
	})

static bool ring_part_ok(const struct virtio_mem *mem, const void *p,
			 size_t align, uint64_t len)
{
	return p && IS_ALIGNED((uintptr_t)p, align) &&
	       virtio_mem_hva_valid(mem, p, len);
}

int vringh_init(struct vringh *vrh, const struct virtio_mem *mem,
		unsigned int num, uint64_t features, void *desc, void *avail,
		void *used)
{
	uint64_t event;

	memset(vrh, 0, sizeof(*vrh));
	vrh->mem = mem;
	vrh->num = num;
	vrh->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vrh->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	event = vrh->event_idx ? sizeof(uint16_t) : 0;

	if (!num || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1))) {
		vringh_set_error(vrh, "ring size %u is not a power of two "
				 "in 1..%u", num, VIRTQUEUE_MAX_SIZE);
		return -EINVAL;
	}
	if (!ring_part_ok(mem, desc, VRING_DESC_ALIGN_SIZE,
			  (uint64_t)num * sizeof(struct vring_desc))) {
		vringh_set_error(vrh, "descriptor table %p misaligned or "
				 "outside guest RAM", desc);
		return -EINVAL;
	}
	if (!ring_part_ok(mem, avail, VRING_AVAIL_ALIGN_SIZE,
			  sizeof(struct vring_avail) +
				  (uint64_t)num * sizeof(uint16_t) + event)) {
		vringh_set_error(vrh, "available ring %p misaligned or "
				 "outside guest RAM", avail);
		return -EINVAL;
	}
	if (!ring_part_ok(mem, used, VRING_USED_ALIGN_SIZE,
			  sizeof(struct vring_used) +
				  (uint64_t)num *
					  sizeof(struct vring_used_elem) +
				  event)) {
		vringh_set_error(vrh, "used ring %p misaligned or outside "
				 "guest RAM", used);
		return -EINVAL;
	}
	vrh->inflight = calloc(BITS_TO_LONGS(num), sizeof(unsigned long));
	if (!vrh->inflight)
		return -ENOMEM;
	vrh->desc = desc;
	vrh->avail = avail;
	vrh->used = used;
	/* Continue where a previous device left the used ring. */
	vrh->last_used_idx = vr_load16(&vrh->used->idx);
	return 0;
}

void vringh_destroy(struct vringh *vrh)
{
	free(vrh->inflight);
	vrh->inflight = NULL;
	vrh->desc = NULL;
	vrh->avail = NULL;
	vrh->used = NULL;
	vrh->broken = true;
}

void vringh_set_base(struct vringh *vrh, uint16_t last_avail_idx)
{
	vrh->last_avail_idx = last_avail_idx;
}

/* Where a walk is: the table being read and its size in entries. */
struct walk {
	const struct vring_desc *table;
	unsigned int size;
	bool indirect;
};

/* Switch @w to the indirect table described by @d (a local copy). */
static int walk_enter_indirect(struct vringh *vrh, struct walk *w,
			       uint16_t head, uint64_t addr, uint32_t len,
			       uint16_t flags)
{
	const void *table;

	if (w->indirect)
		return vringh_bad(vrh, "chain %u: indirect descriptor inside "
				  "an indirect table", head);
	if (!vrh->indirect)
		return vringh_bad(vrh, "chain %u: indirect descriptor, but "
				  "VIRTIO_RING_F_INDIRECT_DESC was not "
				  "negotiated", head);
	if (flags & VRING_DESC_F_NEXT)
		return vringh_bad(vrh, "chain %u: indirect descriptor with "
				  "VRING_DESC_F_NEXT", head);
	if (!len || len % sizeof(struct vring_desc))
		return vringh_bad(vrh, "chain %u: indirect table length %u "
				  "is not a non-zero multiple of 16", head,
				  len);
	if (len / sizeof(struct vring_desc) > vrh->num)
		return vringh_bad(vrh, "chain %u: indirect table of %zu "
				  "entries exceeds ring size %u", head,
				  len / sizeof(struct vring_desc), vrh->num);
	table = virtio_mem_gpa_to_hva(vrh->mem, addr, len);
	if (!table)
		return vringh_bad(vrh, "chain %u: indirect table [%#llx, "
				  "+%u) outside guest RAM", head,
				  (unsigned long long)addr, len);
	w->table = table;
	w->size = len / sizeof(struct vring_desc);
	w->indirect = true;
	return 0;
}

/* Walk the chain at @head into @elem; nothing is committed on failure. */
static int vringh_walk(struct vringh *vrh, uint16_t head,
		       struct vringh_elem *elem)
{
	struct walk w = { .table = vrh->desc, .size = vrh->num };
	unsigned int i = head, nbufs = 0;
	uint64_t total = 0;

	elem->out_num = elem->in_num = 0;
	elem->out_len = elem->in_len = 0;
	for (;;) {
		struct vring_desc d;
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		void *hva;
		int ret;

		vr_read_once(&d, &w.table[i], sizeof(d));
		addr = le64toh(d.addr);
		len = le32toh(d.len);
		flags = le16toh(d.flags);
		next = le16toh(d.next);

		if (flags & VRING_DESC_F_INDIRECT) {
			ret = walk_enter_indirect(vrh, &w, head, addr, len,
						  flags);
			if (ret)
				return ret;
			i = 0;
			continue;
		}
		if (++nbufs > vrh->num)
			return vringh_bad(vrh, "chain %u: more than %u "
					  "descriptors (a loop?)", head,
					  vrh->num);
		if (!len)
			return vringh_bad(vrh, "chain %u: zero-length "
					  "descriptor", head);
		hva = virtio_mem_gpa_to_hva(vrh->mem, addr, len);
		if (!hva)
			return vringh_bad(vrh, "chain %u: buffer [%#llx, +%u) "
					  "outside guest RAM", head,
					  (unsigned long long)addr, len);
		total += len;
		if (total > VRINGH_MAX_CHAIN_BYTES)
			return vringh_bad(vrh, "chain %u: more than 4 GiB",
					  head);
		if (flags & VRING_DESC_F_WRITE) {
			elem->in_num++;
			elem->in_len += len;
		} else {
			if (elem->in_num)
				return vringh_bad(vrh, "chain %u: readable "
						  "descriptor after a "
						  "writable one", head);
			elem->out_num++;
			elem->out_len += len;
		}
		elem->iov[nbufs - 1].iov_base = hva;
		elem->iov[nbufs - 1].iov_len = len;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		if (next >= w.size)
			return vringh_bad(vrh, "chain %u: next index %u "
					  "outside a table of %u", head, next,
					  w.size);
		i = next;
	}
}

int vringh_getdesc(struct vringh *vrh, struct vringh_elem *elem)
{
	uint16_t avail_idx, pending, head;
	int ret;

	if (vrh->broken)
		return -EPROTO;
	if (elem->iov_max < vrh->num)
		return -EINVAL;

	avail_idx = vr_load16_sc(&vrh->avail->idx);
	pending = (uint16_t)(avail_idx - vrh->last_avail_idx);
	if (!pending)
		return 0;
	if (pending > vrh->num)
		return vringh_bad(vrh, "available index %u is %u entries "
				  "ahead of %u (ring size %u)", avail_idx,
				  pending, vrh->last_avail_idx, vrh->num);

	head = vr_load16(&vrh->avail->ring[vrh->last_avail_idx &
					   (vrh->num - 1)]);
	if (head >= vrh->num)
		return vringh_bad(vrh, "available slot %u names head %u, "
				  "outside ring size %u", vrh->last_avail_idx,
				  head, vrh->num);
	if (bitmap_test(vrh->inflight, head))
		return vringh_bad(vrh, "chain %u made available again while "
				  "the device still holds it", head);
	ret = vringh_walk(vrh, head, elem);
	if (ret)
		return ret;
	elem->head = head;
	bitmap_set_bit(vrh->inflight, head);
	vrh->nr_inflight++;
	vrh->last_avail_idx++;
	return 1;
}

int vringh_complete(struct vringh *vrh, uint16_t head, uint32_t len)
{
	struct vring_used_elem *ue;

	if (vrh->broken)
		return -EPROTO;
	if (head >= vrh->num || !bitmap_test(vrh->inflight, head)) {
		report_misuse("chain %u completed but not in flight", head);
		return -EINVAL;
	}
	ue = &vrh->used->ring[vrh->last_used_idx & (vrh->num - 1)];
	vr_store32(&ue->id, head);
	vr_store32(&ue->len, len);
	vrh->last_used_idx++;
	vr_store16_release(&vrh->used->idx, vrh->last_used_idx);
	bitmap_clear_bit(vrh->inflight, head);
	vrh->nr_inflight--;
	return 0;
}

bool vringh_need_notify(struct vringh *vrh)
{
	uint16_t old = vrh->signalled_used, now = vrh->last_used_idx;
	bool valid = vrh->signalled_used_valid;

	if (vrh->broken || (valid && old == now))
		return false;
	vrh->signalled_used = now;
	vrh->signalled_used_valid = true;
	/* Dekker: publish used->idx, then read the driver's wish. */
	vr_store16_sc(&vrh->used->idx, now);
	if (!vrh->event_idx)
		return !(vr_load16_sc(&vrh->avail->flags) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	return vring_need_event(
		vr_load16_sc(vr_used_event(vrh->avail, vrh->num)), now, old);
}

bool vringh_notify_enable(struct vringh *vrh)
{
	if (vrh->broken)
		return true;
	/* Dekker: publish the wish, then look for buffers that raced. */
	if (vrh->event_idx)
		vr_store16_sc(vr_avail_event(vrh->used, vrh->num),
			      vrh->last_avail_idx);
	else
		vr_store16_sc(&vrh->used->flags, 0);
	return vr_load16_sc(&vrh->avail->idx) == vrh->last_avail_idx;
}

void vringh_notify_disable(struct vringh *vrh)
{
	if (!vrh->broken && !vrh->event_idx)
		vr_store16(&vrh->used->flags, VRING_USED_F_NO_NOTIFY);
}
