// SPDX-License-Identifier: MIT
/*
 * testhook.h - named pause points for tests that must force a race
 * deterministically (isolation racing deflation, a fault racing
 * writeback). Compiled only into test builds (BALLAST_TESTING).
 *
 * Rules for users:
 *  1. Code marks a critical point with TEST_HOOK("layer.point", arg); in
 *     release builds the macro is empty.
 *  2. A test installs a function for a name with test_hook_set() and
 *     removes it with test_hook_clear(); the function runs in the context
 *     of the code that reached the point, with whatever locks it holds
 *     (documented at each point), so it may only do what that context
 *     allows.
 *  3. At most TEST_HOOK_MAX hooks are installed at once.
 */
#ifndef BALLAST_LIB_TESTHOOK_H
#define BALLAST_LIB_TESTHOOK_H

#include <stdatomic.h>
#include <ballast/lib/compiler.h>

#define TEST_HOOK_MAX 8

typedef void (*test_hook_fn)(const char *name, void *arg, void *ctx);

#if BALLAST_TESTING
/**
 * test_hook_set() / test_hook_clear() - install or remove the function of
 * the hook point @name. Context: no locks; never sleeps.
 * Return (set): 0, or -EBUSY if TEST_HOOK_MAX hooks are installed.
 */
int test_hook_set(const char *name, test_hook_fn fn, void *ctx);
void test_hook_clear(const char *name);

/*
 * __test_hook() - run the function installed for @name; use TEST_HOOK().
 * Context: that of the hook point (rule 2); takes no lock, never sleeps
 * and never allocates itself: the installed function decides.
 */
void __test_hook(const char *name, void *arg);
extern _Atomic(int) test_hooks_installed;
#define TEST_HOOK(name, arg)                                             \
	do {                                                             \
		if (unlikely(atomic_load_explicit(&test_hooks_installed, \
						  memory_order_acquire)))   \
			__test_hook((name), (arg));                      \
	} while (0)
#else
#define TEST_HOOK(name, arg) ((void)(arg))
#endif

#endif
