/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * file_read_full(), file_write_all() and file_write_once() on pipes, whose reads and writes
 * come short when the other end is slow, while a timer's signal (installed without
 * SA_RESTART) interrupts every blocking call every few milliseconds. A child process is the
 * other end; it checks or sends a byte pattern the test defines, and each assertion also
 * checks that signals did arrive during the call, so that the interrupted paths were taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/file.h"
#include "tap.h"

static volatile sig_atomic_t interruptions;

static void on_alarm(int sig)
{
	(void)sig;
	interruptions++;
}

/* A signal every 2 ms, which interrupts blocking reads and writes (no SA_RESTART). */
static void interrupts_start(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval every = { { 0, 2000 }, { 0, 2000 } };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	interruptions = 0;
	setitimer(ITIMER_REAL, &every, NULL);
}

/* Stops them before the TAP output, which must not be interrupted itself. */
static void interrupts_stop(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Byte i of the test's pattern: not periodic in any power of two a pipe might cut at. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
}

/*
 * Child: writes n pattern bytes to fds[1] in pieces of piece bytes, pause_ms apart, then
 * exits. The parent keeps fds[0] only.
 */
static pid_t spawn_writer(const int fds[2], size_t n, size_t piece, long pause_ms)
{
	int fd = fds[1];
	pid_t pid = fork();

	if (pid != 0) {
		close(fds[1]);
		return pid;
	}
	close(fds[0]);
	for (size_t done = 0; done < n;) {
		unsigned char buf[4096];
		size_t k = n - done < piece ? n - done : piece;

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(done + i);
		if (file_write_all(fd, buf, k) < 0)
			_exit(3);
		done += k;
		sleep_ms(pause_ms);
	}
	_exit(0);
}

/*
 * Child: waits delay_ms, then reads fds[0] to the end in pieces of piece bytes, pause_ms
 * apart; exits 0 when it read total bytes, the last n of them the pattern. The parent keeps
 * fds[1] only.
 */
static pid_t spawn_reader(const int fds[2], size_t total, size_t n, long delay_ms, size_t piece,
			  long pause_ms)
{
	int fd = fds[0];
	pid_t pid = fork();
	unsigned char *all;
	size_t got = 0, cap = 1 << 20;

	if (pid != 0) {
		close(fds[0]);
		return pid;
	}
	close(fds[1]);
	all = malloc(cap);
	if (!all)
		_exit(3);
	sleep_ms(delay_ms);
	for (;;) {
		ssize_t k = read(fd, all + got, cap - got < piece ? cap - got : piece);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		sleep_ms(pause_ms);
	}
	if (got != total)
		_exit(1);
	for (size_t i = 0; i < n; i++)
		if (all[got - n + i] != pattern(i))
			_exit(2);
	_exit(0);
}

static int child_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int pattern_at(const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern(i))
			return 0;
	return 1;
}

static void test_read_full_through_short_reads_and_signals(void)
{
	static unsigned char buf[8192];
	int fds[2];
	pid_t pid;
	ssize_t r;

	if (pipe(fds) < 0) {
		tap_skip("pipe() failed");
		return;
	}
	/* 3000 bytes in pieces of 100, 10 ms apart: every read is short, every wait signalled. */
	pid = spawn_writer(fds, 3000, 100, 10);
	interrupts_start();
	r = file_read_full(fds[0], buf, sizeof(buf));
	interrupts_stop();
	close(fds[0]);
	tap_is_int(r, 3000, "file_read_full() reads a pipe fed in pieces to its end");
	tap_ok(r == 3000 && pattern_at(buf, 3000), "and the bytes are the writer's, in order");
	tap_ok(interruptions > 0, "signals interrupted the read (%d of them)", (int)interruptions);
	tap_is_int(child_status(pid), 0, "the writer wrote everything");
}

static void test_read_full_stops_at_size(void)
{
	unsigned char buf[1000];
	int fds[2];
	pid_t pid;
	ssize_t r;

	if (pipe(fds) < 0) {
		tap_skip("pipe() failed");
		return;
	}
	pid = spawn_writer(fds, 1500, 300, 5);
	interrupts_start();
	r = file_read_full(fds[0], buf, sizeof(buf));
	interrupts_stop();
	close(fds[0]);
	tap_ok(r == (ssize_t)sizeof(buf) && pattern_at(buf, sizeof(buf)),
	       "file_read_full() stops when the buffer is full");
	child_status(pid);
}

static void test_write_all_through_short_writes_and_signals(void)
{
	size_t n = 256 * 1024;
	unsigned char *buf = malloc(n);
	int fds[2], r;
	pid_t pid;

	if (!buf || pipe(fds) < 0) {
		tap_skip("malloc() or pipe() failed");
		free(buf);
		return;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(i);
	/*
	 * Four times a pipe's 64 KiB, read slowly: the writes block, and a signal that ends a
	 * write which has taken some bytes makes it return short.
	 */
	pid = spawn_reader(fds, n, n, 0, 4096, 1);
	interrupts_start();
	r = file_write_all(fds[1], buf, n);
	interrupts_stop();
	close(fds[1]);
	tap_is_int(r, 0, "file_write_all() writes 256 KiB to a slow pipe");
	tap_ok(interruptions > 0, "signals interrupted the writes (%d of them)",
	       (int)interruptions);
	tap_is_int(child_status(pid), 0, "the reader got every byte, in order");
	free(buf);
}

static void test_write_once_repeated_after_an_interruption(void)
{
	unsigned char record[100], filler[4096];
	size_t filled = 0;
	int fds[2], flags;
	ssize_t r, k;
	pid_t pid;

	if (pipe(fds) < 0) {
		tap_skip("pipe() failed");
		return;
	}
	/* A full pipe: a write of up to PIPE_BUF bytes blocks until it fits whole. */
	memset(filler, 0, sizeof(filler));
	flags = fcntl(fds[1], F_GETFL);
	fcntl(fds[1], F_SETFL, flags | O_NONBLOCK);
	while ((k = write(fds[1], filler, sizeof(filler))) > 0)
		filled += (size_t)k;
	while ((k = write(fds[1], filler, 1)) > 0)
		filled += (size_t)k;
	fcntl(fds[1], F_SETFL, flags);
	for (size_t i = 0; i < sizeof(record); i++)
		record[i] = pattern(i);
	/* The reader starts 100 ms later: until then every signal ends the blocked write. */
	pid = spawn_reader(fds, filled + sizeof(record), sizeof(record), 100, 65536, 0);
	interrupts_start();
	r = file_write_once(fds[1], record, sizeof(record));
	interrupts_stop();
	close(fds[1]);
	tap_is_int(r, (intmax_t)sizeof(record),
		   "file_write_once() writes the record whole after interruptions (EINTR)");
	tap_ok(interruptions > 0, "signals interrupted the write (%d of them)", (int)interruptions);
	tap_is_int(child_status(pid), 0, "the record is the last thing in the pipe, once");
}

int main(void)
{
	test_read_full_through_short_reads_and_signals();
	test_read_full_stops_at_size();
	test_write_all_through_short_writes_and_signals();
	test_write_once_repeated_after_an_interruption();
	return tap_done();
}
