// SPDX-License-Identifier: MIT
/*
 * locks.c - spinlocks, mutexes, rw-semaphores and completions, each
 * reporting to the validator.
 *
 * Invariants and locking:
 *  - spinlock_t is a futex word: 0 free, 1 held, 2 held with sleepers.
 *    Lock is one CAS when free; a contended waiter spins SPIN_TRIES times
 *    with a pause, then swaps in 2 and sleeps on the futex; unlock swaps 0
 *    and wakes one sleeper if it saw 2. The word is released with release
 *    ordering and taken with acquire ordering, which is also what TSan
 *    sees. The other primitives wrap one C-library object each (a mutex,
 *    a writer-preferring rwlock, a mutex + condvar for completions).
 *  - The validator is told about an acquisition *before* the task may
 *    block on it (so an inversion is reported before it hangs), and about a
 *    successful trylock only after it succeeded.
 *  - Contended acquisitions and event waits are bracketed by
 *    lockdep_block_begin/end so the hung-task watchdog sees them; idle
 *    waits (wait_for_completion_idle()) and waits with a timeout (they end
 *    by themselves) are not.
 *  - Sleeping acquisitions and waits are checked for sleeping context by
 *    lock_acquire()/lock_wait() themselves, with the caller's address.
 *    complete() and complete_all() call lock_signal(): what the completer
 *    did since it last completed that class becomes a dependency of the
 *    completion. A wait with a timeout records no dependency (it ends by
 *    itself), only the sleeping context (lock_wait_timeout()).
 *  - completion.done is protected by completion.lock; UINT_MAX means
 *    complete_all() was called.
 *  - In release builds (BALLAST_LOCKDEP=0) the lock operations are inline
 *    in lockdep.h; only the initialisers and completions live here.
 */
#include <ballast/lockdep.h>

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPIN_TRIES 128

static long futex(_Atomic(int) *uaddr, int op, int val)
{
	return syscall(SYS_futex, (int *)uaddr, op | FUTEX_PRIVATE_FLAG, val,
		       NULL, NULL, 0);
}

/*
 * Contended: spin a little (the holder is usually running), then mark the
 * lock as having sleepers (2) and sleep until the holder's unlock wakes us.
 */
void __raw_spin_lock_slow(_Atomic(int) *val)
{
	for (int i = 0; i < SPIN_TRIES; i++) {
		if (atomic_load_explicit(val, memory_order_relaxed) == 0 &&
		    __raw_spin_trylock(val))
			return;
		__builtin_ia32_pause();
	}
	while (atomic_exchange_explicit(val, 2, memory_order_acquire) != 0)
		futex(val, FUTEX_WAIT, 2);
}

void __raw_spin_unlock_wake(_Atomic(int) *val)
{
	futex(val, FUTEX_WAKE, 1);
}

void __spin_lock_init(spinlock_t *lock, const char *name,
		      struct lock_class_key *key, const char *file, int line)
{
	atomic_init(&lock->val, 0);
	lockdep_init_map(&lock->dep_map, name, key, LOCKDEP_SPIN, file, line);
}

void __mutex_init(struct mutex *lock, const char *name,
		  struct lock_class_key *key, const char *file, int line)
{
	pthread_mutex_init(&lock->lock, NULL);
	atomic_init(&lock->owner, 0);
	lockdep_init_map(&lock->dep_map, name, key, LOCKDEP_MUTEX, file, line);
}

void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key, const char *file, int line)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sem->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	atomic_init(&sem->owner, 0);
	lockdep_init_map(&sem->dep_map, name, key, LOCKDEP_RWSEM, file, line);
}

#if BALLAST_LOCKDEP
static unsigned long owner_cookie(void)
{
	return (unsigned long)pthread_self();
}

void spin_lock_nested(spinlock_t *lock, unsigned int subclass)
{
	lock_acquire(&lock->dep_map, subclass, 0, LOCKDEP_EXCLUSIVE, _RET_IP_);
	if (!__raw_spin_trylock(&lock->val)) {
		lockdep_block_begin(&lock->dep_map, _RET_IP_);
		__raw_spin_lock_slow(&lock->val);
		lockdep_block_end();
	}
}

void spin_unlock(spinlock_t *lock)
{
	lock_release(&lock->dep_map, _RET_IP_);
	__raw_spin_unlock(&lock->val);
}

bool spin_trylock(spinlock_t *lock)
{
	if (!__raw_spin_trylock(&lock->val))
		return false;
	lock_acquire(&lock->dep_map, 0, 1, LOCKDEP_EXCLUSIVE, _RET_IP_);
	return true;
}

void mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	lock_acquire(&lock->dep_map, subclass, 0, LOCKDEP_EXCLUSIVE, _RET_IP_);
	if (pthread_mutex_trylock(&lock->lock) != 0) {
		lockdep_block_begin(&lock->dep_map, _RET_IP_);
		pthread_mutex_lock(&lock->lock);
		lockdep_block_end();
	}
	atomic_store_explicit(&lock->owner, owner_cookie(),
			      memory_order_relaxed);
}

bool mutex_trylock(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->lock) != 0)
		return false;
	lock_acquire(&lock->dep_map, 0, 1, LOCKDEP_EXCLUSIVE, _RET_IP_);
	atomic_store_explicit(&lock->owner, owner_cookie(),
			      memory_order_relaxed);
	return true;
}

void mutex_unlock(struct mutex *lock)
{
	if (atomic_load_explicit(&lock->owner, memory_order_relaxed) !=
	    owner_cookie()) {
		lockdep_report_misuse("%s unlocked by a task that does not "
				      "hold it", lock->dep_map.name);
		return;
	}
	atomic_store_explicit(&lock->owner, 0, memory_order_relaxed);
	lock_release(&lock->dep_map, _RET_IP_);
	pthread_mutex_unlock(&lock->lock);
}

void down_read_nested(struct rw_semaphore *sem, unsigned int subclass)
{
	lock_acquire(&sem->dep_map, subclass, 0, LOCKDEP_SHARED, _RET_IP_);
	if (pthread_rwlock_tryrdlock(&sem->lock) != 0) {
		lockdep_block_begin(&sem->dep_map, _RET_IP_);
		pthread_rwlock_rdlock(&sem->lock);
		lockdep_block_end();
	}
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	if (pthread_rwlock_tryrdlock(&sem->lock) != 0)
		return false;
	lock_acquire(&sem->dep_map, 0, 1, LOCKDEP_SHARED, _RET_IP_);
	return true;
}

void up_read(struct rw_semaphore *sem)
{
	lock_release(&sem->dep_map, _RET_IP_);
	pthread_rwlock_unlock(&sem->lock);
}

void down_write_nested(struct rw_semaphore *sem, unsigned int subclass)
{
	lock_acquire(&sem->dep_map, subclass, 0, LOCKDEP_EXCLUSIVE, _RET_IP_);
	if (pthread_rwlock_trywrlock(&sem->lock) != 0) {
		lockdep_block_begin(&sem->dep_map, _RET_IP_);
		pthread_rwlock_wrlock(&sem->lock);
		lockdep_block_end();
	}
	atomic_store_explicit(&sem->owner, owner_cookie(),
			      memory_order_relaxed);
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	if (pthread_rwlock_trywrlock(&sem->lock) != 0)
		return false;
	lock_acquire(&sem->dep_map, 0, 1, LOCKDEP_EXCLUSIVE, _RET_IP_);
	atomic_store_explicit(&sem->owner, owner_cookie(),
			      memory_order_relaxed);
	return true;
}

void up_write(struct rw_semaphore *sem)
{
	atomic_store_explicit(&sem->owner, 0, memory_order_relaxed);
	lock_release(&sem->dep_map, _RET_IP_);
	pthread_rwlock_unlock(&sem->lock);
}
#endif /* BALLAST_LOCKDEP */

#if !BALLAST_LOCKDEP
/* Release builds: mutex and rwsem operations without the validator. */
void mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	pthread_mutex_lock(&lock->lock);
}

bool mutex_trylock(struct mutex *lock)
{
	return pthread_mutex_trylock(&lock->lock) == 0;
}

void mutex_unlock(struct mutex *lock)
{
	pthread_mutex_unlock(&lock->lock);
}

void down_read_nested(struct rw_semaphore *sem, unsigned int subclass)
{
	pthread_rwlock_rdlock(&sem->lock);
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	return pthread_rwlock_tryrdlock(&sem->lock) == 0;
}

void up_read(struct rw_semaphore *sem)
{
	pthread_rwlock_unlock(&sem->lock);
}

void down_write_nested(struct rw_semaphore *sem, unsigned int subclass)
{
	pthread_rwlock_wrlock(&sem->lock);
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	return pthread_rwlock_trywrlock(&sem->lock) == 0;
}

void up_write(struct rw_semaphore *sem)
{
	pthread_rwlock_unlock(&sem->lock);
}
#endif

void mutex_destroy(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->lock) != 0) {
		lockdep_report_misuse("destroying a held mutex");
		return;
	}
	pthread_mutex_unlock(&lock->lock);
	pthread_mutex_destroy(&lock->lock);
}

/* ------------------------------------------------------------------ */
/* Completions                                                           */
/* ------------------------------------------------------------------ */

void __init_completion(struct completion *x, const char *name,
		       struct lock_class_key *key, const char *file, int line)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&x->wait, &attr);
	pthread_condattr_destroy(&attr);
	x->done = 0;
	lockdep_init_map(&x->dep_map, name, key, LOCKDEP_COMPLETION, file,
			 line);
}

void reinit_completion(struct completion *x)
{
	pthread_mutex_lock(&x->lock);
	x->done = 0;
	pthread_mutex_unlock(&x->lock);
}

static void consume_locked(struct completion *x)
{
	if (x->done != UINT_MAX)
		x->done--;
}

static void __wait_for_completion(struct completion *x, bool idle,
				  unsigned long ip)
{
	lock_wait(&x->dep_map, ip);
	pthread_mutex_lock(&x->lock);
	if (!x->done) {
		/* An idle wait is not a hang: the watchdog does not see it. */
		if (!idle)
			lockdep_block_begin(&x->dep_map, ip);
		while (!x->done)
			pthread_cond_wait(&x->wait, &x->lock);
		if (!idle)
			lockdep_block_end();
	}
	consume_locked(x);
	pthread_mutex_unlock(&x->lock);
}

void wait_for_completion(struct completion *x)
{
	__wait_for_completion(x, false, _RET_IP_);
}

void wait_for_completion_idle(struct completion *x)
{
	__wait_for_completion(x, true, _RET_IP_);
}

bool wait_for_completion_timeout(struct completion *x,
				 unsigned long timeout_ms)
{
	struct timespec deadline;
	bool done = true;

	lock_wait_timeout(&x->dep_map, _RET_IP_);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(timeout_ms / 1000);
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->lock);
	/* Ends by itself: not a hang (a worker's sleep between passes). */
	while (!x->done) {
		if (pthread_cond_timedwait(&x->wait, &x->lock, &deadline) ==
		    ETIMEDOUT) {
			done = x->done != 0;
			break;
		}
	}
	if (done)
		consume_locked(x);
	pthread_mutex_unlock(&x->lock);
	return done;
}

bool try_wait_for_completion(struct completion *x)
{
	bool ret = false;

	pthread_mutex_lock(&x->lock);
	if (x->done) {
		consume_locked(x);
		ret = true;
	}
	pthread_mutex_unlock(&x->lock);
	return ret;
}

void complete(struct completion *x)
{
	lock_signal(&x->dep_map, _RET_IP_);
	pthread_mutex_lock(&x->lock);
	if (x->done != UINT_MAX)
		x->done++;
	pthread_cond_signal(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

void complete_all(struct completion *x)
{
	lock_signal(&x->dep_map, _RET_IP_);
	pthread_mutex_lock(&x->lock);
	x->done = UINT_MAX;
	pthread_cond_broadcast(&x->wait);
	pthread_mutex_unlock(&x->lock);
}

bool completion_done(struct completion *x)
{
	bool ret;

	pthread_mutex_lock(&x->lock);
	ret = x->done != 0;
	pthread_mutex_unlock(&x->lock);
	return ret;
}
