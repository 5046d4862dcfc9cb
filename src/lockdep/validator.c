// SPDX-License-Identifier: MIT
/*
 * validator.c - placeholder engine of the dependency validator: accepts
 * every annotation and checks nothing yet. Replaced by the real engine
 * (lock classes, dependency graph, reclaim and event dependencies).
 */
#include <ballast/lockdep.h>

#if BALLAST_LOCKDEP
void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key, enum lockdep_kind kind,
		      const char *file, int line)
{
	map->name = name;
	map->key = key;
	map->kind = kind;
	map->file = file;
	map->line = line;
}

void lock_acquire(struct lockdep_map *map, unsigned int subclass, int trylock,
		  int read, unsigned long ip) {}
void lock_release(struct lockdep_map *map, unsigned long ip) {}
void lock_wait(struct lockdep_map *map, unsigned long ip) {}
void lockdep_event_owe(struct lockdep_map *map, unsigned long ip) {}
void lockdep_event_discharge(struct lockdep_map *map) {}
bool lock_is_held(const struct lockdep_map *map) { return true; }
void __might_sleep(const char *file, int line) {}
void lockdep_atomic_enter(void) {}
void lockdep_atomic_exit(void) {}
void lockdep_block_begin(const struct lockdep_map *map, unsigned long ip) {}
void lockdep_block_end(void) {}
void lockdep_alloc_scope_push(unsigned int allowed, const char *what,
			      unsigned long ip) {}
void lockdep_alloc_scope_pop(void) {}
void lockdep_alloc_check(unsigned int bits, const char *what,
			 unsigned long ip) {}
void lockdep_set_task_name(const char *name) {}
#endif
