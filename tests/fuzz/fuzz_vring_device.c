// SPDX-License-Identifier: MIT
/*
 * fuzz_vring_device.c - the device-side ring walker (vringh) over a
 * hostile guest RAM image.
 *
 * Input: a 16-byte header, a 32-byte script, then the RAM image (the rest,
 * zero-filled to 64 KiB; fuzz_vring_device.options lets libFuzzer make
 * inputs that long). Guest RAM is gpa [0x10000, 0x20000); the
 * header places the three ring parts anywhere in it (or not: vringh_init
 * must refuse), picks the ring size, the features and the starting index.
 *
 *   hdr: [0] log2 size  [1] features  [2..3] base  [4..9] desc/avail/used
 *        offsets (u16)  [10..15] unused
 *   script byte i, after pop i: bit 7 set -> overwrite avail->idx with
 *        (last avail idx + (byte & 0x3f)), as a racing guest would;
 *        bit 6 -> notify_enable; bit 5 -> complete out of order (hold).
 *
 * Oracle: every iovec lies inside the RAM buffer (checked explicitly and
 * by ASan, since the buffer is exactly RAM-sized on the heap), writes to
 * writable iovecs stay inside it, nothing crashes or hangs, and a broken
 * queue stays broken.
 */
#include <ballast/virtio.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE 0x10000u
#define GPA_BASE 0x10000u
#define HDR 16
#define SCRIPT 32

static void check_iov(const struct vringh_elem *e, const uint8_t *ram)
{
	for (unsigned int i = 0; i < e->out_num + e->in_num; i++) {
		const uint8_t *b = e->iov[i].iov_base;

		if (b < ram || e->iov[i].iov_len > RAM_SIZE ||
		    b + e->iov[i].iov_len > ram + RAM_SIZE)
			abort();
	}
	for (unsigned int i = e->out_num; i < e->out_num + e->in_num; i++)
		memset(e->iov[i].iov_base, 0xee, e->iov[i].iov_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[256];
	struct vringh_elem elem = { .iov = iov, .iov_max = 256 };
	struct virtio_mem mem = { .nr_regions = 1 };
	uint8_t script[SCRIPT] = { 0 };
	uint16_t off[3], held[4];
	unsigned int num, nheld = 0;
	uint64_t features = 0;
	struct vringh vrh;
	uint8_t *ram;

	if (size < HDR)
		return 0;
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 0;
	num = 1u << (data[0] % 9);
	if (data[1] & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (data[1] & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	for (int i = 0; i < 3; i++)
		memcpy(&off[i], data + 4 + 2 * i, 2);
	if (size > HDR)
		memcpy(script, data + HDR, min(size - HDR, (size_t)SCRIPT));
	if (size > HDR + SCRIPT)
		memcpy(ram, data + HDR + SCRIPT,
		       min(size - HDR - SCRIPT, (size_t)RAM_SIZE));
	mem.regions[0] = (struct virtio_mem_region){
		.gpa = GPA_BASE, .size = RAM_SIZE, .uaddr = GPA_BASE,
		.hva = ram, .fd = -1,
	};
	if (vringh_init(&vrh, &mem, num, features, ram + off[0], ram + off[1],
			ram + off[2])) {
		free(ram);
		return 0;
	}
	vringh_set_base(&vrh, (uint16_t)(data[2] | data[3] << 8));

	for (unsigned int i = 0; i < 2 * num + 8; i++) {
		uint8_t s = script[i % SCRIPT];
		int ret = vringh_getdesc(&vrh, &elem);

		if (ret == 1) {
			check_iov(&elem, ram);
			if ((s & 0x20) && nheld < 4) {
				held[nheld++] = elem.head;
			} else if (vringh_complete(&vrh, elem.head,
					(uint32_t)elem.in_len)) {
				abort();	/* it was in flight */
			}
		} else if (ret == -EPROTO) {
			if (!vrh.broken || vringh_getdesc(&vrh, &elem) !=
						   -EPROTO)
				abort();
			break;
		} else if (ret != 0) {
			abort();
		}
		if (s & 0x80)
			vrh.avail->idx = (uint16_t)(vrh.last_avail_idx +
						    (s & 0x3f));
		if (s & 0x40 && !vringh_notify_enable(&vrh))
			vringh_notify_disable(&vrh);
		vringh_need_notify(&vrh);
	}
	while (nheld && !vrh.broken)
		if (vringh_complete(&vrh, held[--nheld], 0))
			abort();
	vringh_destroy(&vrh);
	free(ram);
	return 0;
}
