/* siglongjmp out of the SIGBUS handler back into memguard_copy. The fault
 * is synchronous (our own memcpy), so this is the one safe use of a jump
 * out of a signal handler; SA_NODEFER keeps SIGBUS unblocked afterwards,
 * which saves a sigprocmask call per copy on the hot path. */
#include "ocsp/memguard.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

static __thread sigjmp_buf *volatile guard;

static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	sigjmp_buf *jb = guard;

	if (jb != NULL) {
		guard = NULL;
		siglongjmp(*jb, 1);
	}
	/* Not a guarded copy: a real bug, die as the default would. */
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

int memguard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}

/* SIGBUS unblocked again after a fault: SA_NODEFER keeps it unblocked
 * already, but not every runtime honours it (ThreadSanitizer's does not),
 * and a second fault with SIGBUS blocked would kill the process. Only the
 * fault path pays for the system call. */
static void unblock_sigbus(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int memguard_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		unblock_sigbus();
		return -1;
	}
	guard = &jb;
	memcpy(dst, src, n);
	guard = NULL;
	return 0;
}
