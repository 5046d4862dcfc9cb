// SPDX-License-Identifier: MIT
/*
 * testhook.c - the table of installed test hooks.
 *
 * Invariants and locking: a slot's name and function are published with
 * release stores (name last on set, first cleared on clear) and read with
 * acquire loads; tests install hooks before starting the threads that hit
 * them and clear them after joining, so no slot changes while it runs.
 */
#include <ballast/lib/testhook.h>

#if BALLAST_TESTING
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

struct hook_slot {
	_Atomic(const char *) name;
	_Atomic(test_hook_fn) fn;
	_Atomic(void *) ctx;
};

static struct hook_slot slots[TEST_HOOK_MAX];
_Atomic(int) test_hooks_installed;

int test_hook_set(const char *name, test_hook_fn fn, void *ctx)
{
	for (int i = 0; i < TEST_HOOK_MAX; i++) {
		if (atomic_load(&slots[i].name))
			continue;
		atomic_store(&slots[i].fn, fn);
		atomic_store(&slots[i].ctx, ctx);
		atomic_store(&slots[i].name, name);
		atomic_fetch_add(&test_hooks_installed, 1);
		return 0;
	}
	return -EBUSY;
}

void test_hook_clear(const char *name)
{
	for (int i = 0; i < TEST_HOOK_MAX; i++) {
		const char *n = atomic_load(&slots[i].name);

		if (n && !strcmp(n, name)) {
			atomic_store(&slots[i].name, NULL);
			atomic_fetch_sub(&test_hooks_installed, 1);
		}
	}
}

void __test_hook(const char *name, void *arg)
{
	for (int i = 0; i < TEST_HOOK_MAX; i++) {
		const char *n = atomic_load(&slots[i].name);

		if (n && !strcmp(n, name))
			atomic_load(&slots[i].fn)(name, arg,
						  atomic_load(&slots[i].ctx));
	}
}
#endif
