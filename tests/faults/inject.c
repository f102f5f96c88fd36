/*
 * inject.c: an LD_PRELOAD shim that makes I/O fail on purpose, to test the
 * error paths of the tools.  Controlled by the environment:
 *
 *   SGP_FAULT_WRITE_FD=N      fd whose writes fail (default: any fd > 2
 *                             when SGP_FAULT_WRITE_PATH is set, else 1)
 *   SGP_FAULT_WRITE_PATH=S    fail writes to files whose path contains S
 *   SGP_FAULT_WRITE_AFTER=B   let B bytes through first (default 0)
 *   SGP_FAULT_WRITE_ERRNO=E   errno to fail with: ENOSPC (default), EIO, EPIPE
 *   SGP_FAULT_READ_FD=N       fd whose reads fail with EIO ...
 *   SGP_FAULT_READ_AFTER=B    ... after B bytes
 *   SGP_FAULT_FSYNC=1         fsync fails with EIO
 *   SGP_FAULT_FSYNC_PATH=S    fsync fails with EIO only on files whose path
 *                             contains S (a state file, not the output)
 *   SGP_FAULT_RENAME=1        rename fails with EIO
 *
 * Build: cc -shared -fPIC -o inject.so inject.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long long written, nread;
static int path_fd = -1, fsync_fd = -1;

static long long env_ll(const char *name, long long dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoll(v) : dflt;
}

static int errno_from_env(void)
{
	const char *v = getenv("SGP_FAULT_WRITE_ERRNO");

	if (v == NULL || strcmp(v, "ENOSPC") == 0)
		return ENOSPC;
	if (strcmp(v, "EIO") == 0)
		return EIO;
	if (strcmp(v, "EPIPE") == 0)
		return EPIPE;
	return ENOSPC;
}

static int write_fails(int fd, size_t n, size_t *allowed)
{
	const char *path = getenv("SGP_FAULT_WRITE_PATH");
	long long target = env_ll("SGP_FAULT_WRITE_FD", path ? -1 : 1);
	long long after = env_ll("SGP_FAULT_WRITE_AFTER", 0);

	if (path && fd != path_fd)
		return 0;
	if (!path && fd != target)
		return 0;
	if (getenv("SGP_FAULT_WRITE_PATH") == NULL && getenv("SGP_FAULT_WRITE_FD") == NULL)
		return 0;
	if (written + (long long)n <= after) {
		written += (long long)n;
		return 0;
	}
	*allowed = after > written ? (size_t)(after - written) : 0;
	return 1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	size_t allowed;

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (write_fails(fd, n, &allowed)) {
		if (allowed > 0) {
			ssize_t k = real(fd, buf, allowed);
			if (k > 0)
				written += k;
			return k;
		}
		errno = errno_from_env();
		return -1;
	}
	return real(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	long long target = env_ll("SGP_FAULT_READ_FD", -1);
	ssize_t k;

	if (!real)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (fd == target) {
		long long after = env_ll("SGP_FAULT_READ_AFTER", 0);

		if (nread >= after) {
			errno = EIO;
			return -1;
		}
		if ((long long)n > after - nread)
			n = (size_t)(after - nread);
	}
	k = real(fd, buf, n);
	if (k > 0 && fd == target)
		nread += k;
	return k;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	const char *match = getenv("SGP_FAULT_WRITE_PATH");
	mode_t mode = 0;
	int fd;

	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = real(path, flags, mode);
	if (fd >= 0 && match && strstr(path, match) && (flags & (O_WRONLY | O_RDWR)))
		path_fd = fd;
	match = getenv("SGP_FAULT_FSYNC_PATH");
	if (fd >= 0 && match && *match && strstr(path, match))
		fsync_fd = fd;
	return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (env_ll("SGP_FAULT_FSYNC", 0) || (fsync_fd >= 0 && fd == fsync_fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int rename(const char *a, const char *b)
{
	static int (*real)(const char *, const char *);

	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (env_ll("SGP_FAULT_RENAME", 0)) {
		errno = EIO;
		return -1;
	}
	return real(a, b);
}
