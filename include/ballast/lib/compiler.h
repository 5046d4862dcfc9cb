// SPDX-License-Identifier: MIT
/*
 * compiler.h - compiler helpers shared by the whole tree.
 *
 * Rules for users:
 *  1. Build levels come from the command line: BALLAST_DEBUG (0 release,
 *     1 debug, 2 full), BALLAST_LOCKDEP (validator compiled in) and
 *     BALLAST_TESTING (fault-injection points and test hooks compiled in).
 *  2. Assertions never have side effects; release builds drop them.
 */
#ifndef BALLAST_LIB_COMPILER_H
#define BALLAST_LIB_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifndef BALLAST_DEBUG
#define BALLAST_DEBUG 0
#endif
#ifndef BALLAST_LOCKDEP
#define BALLAST_LOCKDEP 0
#endif
#ifndef BALLAST_TESTING
#define BALLAST_TESTING 0
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __must_check __attribute__((warn_unused_result))
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))
#define __cacheline_aligned __attribute__((aligned(64)))
#define __maybe_unused __attribute__((unused))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max((v), (lo)), (hi))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define BIT(n) (1UL << (n))

#define _RET_IP_ ((unsigned long)__builtin_return_address(0))
#define _THIS_IP_ ({ __label__ __here; __here: (unsigned long)&&__here; })

#endif /* BALLAST_LIB_COMPILER_H */
