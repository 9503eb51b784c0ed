/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TPM 2.0 backend against a scripted fake TPM on an AF_UNIX socket, for what a real swtpm
 * will not do on demand: answer TPM_RC_RETRY, hang, close mid-response, lie about a size.
 * The fake answers each command it receives with the next scripted response, and exits with
 * the number of commands it received.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "mr/tpm2.h"
#include "tap.h"

static char dir[64];
static char sock[128];

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		v = *s >= 'a' ? *s - 'a' + 10 : *s - '0';
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static int read_full(int fd, uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = read(fd, buf + done, n - done);

		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

/* One command, framed by the size in its header (swtpm's server channel does the same). */
static int read_command(int fd)
{
	uint8_t buf[TPM2_BUFFER_SIZE];
	uint32_t size;

	if (read_full(fd, buf, 10) < 0)
		return -1;
	size = (uint32_t)buf[2] << 24 | (uint32_t)buf[3] << 16 | (uint32_t)buf[4] << 8 | buf[5];
	if (size < 10 || size > sizeof(buf))
		return -1;
	return read_full(fd, buf + 10, size - 10);
}

static int listen_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(sock);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		abort();
	return fd;
}

/*
 * Serves responses (hex strings, NULL-terminated) one per command. A response ending in "!"
 * is sent and then the connection is closed. After the script, commands are counted and not
 * answered until the client goes away.
 */
static pid_t fake_tpm(const char *const *responses)
{
	int l = listen_socket();
	pid_t pid = fork();

	if (pid < 0)
		abort();
	if (pid == 0) {
		int c = accept(l, NULL, NULL), seen = 0;

		(void)signal(SIGPIPE, SIG_IGN);
		for (; c >= 0 && *responses; responses++) {
			uint8_t rsp[TPM2_BUFFER_SIZE];
			size_t n = unhex(*responses, rsp, sizeof(rsp));

			if (read_command(c) < 0)
				_exit(seen);
			seen++;
			if (write(c, rsp, n) != (ssize_t)n)
				_exit(100);
			if (strchr(*responses, '!'))
				_exit(seen);
		}
		while (c >= 0 && read_command(c) == 0)
			seen++;
		_exit(seen);
	}
	close(l);
	return pid;
}

static int commands_seen(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define RC_RETRY "8001 0000000a 00000922"
#define RC_YIELDED "8001 0000000a 00000908"
#define RC_LOCALITY "8001 0000000a 00000907"

static void test_retry_then_success(void)
{
	static const char *const script[] = { RC_RETRY, RC_RETRY,
					      "8001 00000010 00000000 0004 deadbeef", NULL };
	static const uint8_t want[] = { 0xde, 0xad, 0xbe, 0xef };
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t buf[4] = { 0 };
	pid_t pid = fake_tpm(script);
	int r;

	r = tpm2_open_socket(&t, sock, &e);
	t.retry_max = 3;
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == 0, "TPM_RC_RETRY twice, then an answer: success (%s)", r ? e.msg : "");
	tap_is_mem(buf, want, sizeof(want), "the answer after the retries is the one returned");
	tap_is_int(t.attempts, 3, "the command was sent three times");
	tpm2_close(&t);
	tap_is_int(commands_seen(pid), 3, "the fake TPM received three commands");
}

static void test_retry_gives_up(void)
{
	static const char *const script[] = { RC_YIELDED, RC_YIELDED, RC_YIELDED, NULL };
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t buf[4] = { 0 };
	pid_t pid = fake_tpm(script);
	int r;

	r = tpm2_open_socket(&t, sock, &e);
	t.retry_max = 2;
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == -EAGAIN && strstr(e.msg, "TPM_RC_YIELDED") && strstr(e.msg, "3 attempts"),
	       "TPM_RC_YIELDED on every try: -EAGAIN after 1 + 2 retries (%s)", e.msg);
	tpm2_close(&t);
	tap_is_int(commands_seen(pid), 3, "no command was sent after the last retry");
}

static void test_error_not_retried(void)
{
	static const char *const script[] = { RC_LOCALITY, NULL };
	struct mr_digests d = { .count = 1, .bank = { { .alg = HASH_SHA256 } } };
	struct error e = { 0 };
	struct tpm2 t;
	pid_t pid = fake_tpm(script);
	int r;

	r = tpm2_open_socket(&t, sock, &e);
	if (r == 0)
		r = tpm2_pcr_extend(&t, 16, &d, &e);
	tap_ok(r == -EIO && strstr(e.msg, "PCR 16: TPM2_PCR_Extend failed: TPM_RC_LOCALITY"),
	       "TPM_RC_LOCALITY is -EIO naming the PCR, command and code (%s)", e.msg);
	tap_is_int(t.last_rc, 0x907, "last_rc holds the TPM's code");
	tpm2_close(&t);
	tap_is_int(commands_seen(pid), 1, "TPM_RC_LOCALITY is not retried");
}

/*
 * TPM2_Quote by an AK at 0x80000000 of PCRs 0..23 in the SHA-256 bank over 32 bytes; the
 * script's responses, timeout_ms and retry_max as given. Returns the result, e set.
 */
static int quote_with(const char *const *script, unsigned retry_max, int *seen, struct error *e)
{
	static struct tpm2_quote quote;
	const struct tpm2_ak ak = { .handle = 0x80000000 };
	uint8_t qualifying[32] = { 0 };
	struct tpm2 t;
	pid_t pid = fake_tpm(script);
	int r;

	r = tpm2_open_socket(&t, sock, e);
	t.retry_max = retry_max;
	t.timeout_ms = 300;
	if (r == 0)
		r = tpm2_quote(&t, &ak, TPM2_ALG_SHA256, 0xffffff, qualifying, sizeof(qualifying),
			       &quote, e);
	tpm2_close(&t);
	*seen = commands_seen(pid);
	return r;
}

static void test_quote_errors(void)
{
	static const char *const locality[] = { RC_LOCALITY, NULL };
	static const char *const yielded[] = { RC_YIELDED, RC_YIELDED, RC_YIELDED, NULL };
	static const char *const retry[] = { RC_RETRY, RC_LOCALITY, NULL };
	/* The header says 460 bytes (a quote by a 2048-bit key), then 10 or 14 arrive. */
	static const char *const cut[] = { "8002 000001cc 00000000 !", NULL };
	static const char *const short_size[] = { "8002 000001cc 00000000 000001b9", NULL };
	struct error e = { 0 };
	int r, seen;

	r = quote_with(locality, 3, &seen, &e);
	tap_ok(r == -EIO && strstr(e.msg, "quote of bank 0x000b") &&
		       strstr(e.msg, "TPM2_Quote failed: TPM_RC_LOCALITY"),
	       "quote: TPM_RC_LOCALITY is -EIO naming the bank, command and code (%s)", e.msg);
	tap_is_int(seen, 1, "quote: TPM_RC_LOCALITY is not retried");

	r = quote_with(yielded, 2, &seen, &e);
	tap_ok(r == -EAGAIN && strstr(e.msg, "TPM2_Quote") && strstr(e.msg, "TPM_RC_YIELDED") &&
		       strstr(e.msg, "3 attempts"),
	       "quote: TPM_RC_YIELDED on every try is -EAGAIN after 1 + 2 retries (%s)", e.msg);
	tap_is_int(seen, 3, "quote: sent three times");

	r = quote_with(retry, 3, &seen, &e);
	tap_ok(r == -EIO && strstr(e.msg, "TPM_RC_LOCALITY"),
	       "quote: TPM_RC_RETRY, then an error: the error is the one reported (%s)", e.msg);
	tap_is_int(seen, 2, "quote: sent again once after TPM_RC_RETRY");

	r = quote_with(cut, 3, &seen, &e);
	tap_ok(r == -ECONNRESET && strstr(e.msg, "TPM2_Quote") && strstr(e.msg, "after 10 bytes"),
	       "quote: a response ended after its header is -ECONNRESET naming the command (%s)",
	       e.msg);

	r = quote_with(short_size, 3, &seen, &e);
	tap_ok(r == -ETIMEDOUT && strstr(e.msg, "TPM2_Quote") && strstr(e.msg, "14 bytes received"),
	       "quote: a responseSize beyond what arrives is -ETIMEDOUT at the deadline, with the "
	       "bytes received (%s)",
	       e.msg);
}

static void test_extend_response_lost(void)
{
	static const char *const cut[] = { "8002 00000013 00000000 !", NULL };
	static const char *const short_size[] = { "8002 00000053 00000000 00000000 0000010000",
						  NULL };
	struct mr_digests d = { .count = 1, .bank = { { .alg = HASH_SHA256 } } };
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t out[32];
	pid_t pid;
	int r;

	pid = fake_tpm(cut);
	r = tpm2_open_socket(&t, sock, &e);
	if (r == 0)
		r = tpm2_pcr_extend(&t, 16, &d, &e);
	tap_ok(r == -ECONNRESET && strstr(e.msg, "PCR 16: TPM2_PCR_Extend") &&
		       strstr(e.msg, "after 10 bytes"),
	       "extend: a response ended after its header is -ECONNRESET naming PCR and command "
	       "(%s)",
	       e.msg);
	r = tpm2_pcr_read(&t, 16, TPM2_ALG_SHA256, out, sizeof(out), NULL, &e);
	tap_ok(r == -ENOTCONN,
	       "extend: the register cannot be asked over the dropped connection, so the caller "
	       "cannot take the extend for done or undone (%s)",
	       e.msg);
	tpm2_close(&t);
	commands_seen(pid);

	pid = fake_tpm(short_size);
	r = tpm2_open_socket(&t, sock, &e);
	t.timeout_ms = 300;
	if (r == 0)
		r = tpm2_pcr_extend(&t, 16, &d, &e);
	tap_ok(r == -ETIMEDOUT && strstr(e.msg, "TPM2_PCR_Extend") &&
		       strstr(e.msg, "19 bytes received"),
	       "extend: a responseSize of 83 where 19 bytes come is -ETIMEDOUT (%s)", e.msg);
	tpm2_close(&t);
	commands_seen(pid);
}

static void test_fewer_random_bytes(void)
{
	static const char *const script[] = {
		"8001 0000002c 00000000 0020" /* 32 of the 40 asked */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"8001 00000014 00000000 0008 2021222324252627", /* the 8 left */
		NULL
	};
	uint8_t buf[40] = { 0 }, want[40];
	struct error e = { 0 };
	struct tpm2 t;
	pid_t pid = fake_tpm(script);
	int r;

	for (int i = 0; i < 40; i++)
		want[i] = (uint8_t)i;
	r = tpm2_open_socket(&t, sock, &e);
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == 0, "GetRandom answered in two parts: success (%s)", r ? e.msg : "");
	tap_is_mem(buf, want, sizeof(want), "the two parts, in order");
	tpm2_close(&t);
	tap_is_int(commands_seen(pid), 2, "a second command asked for the rest");
}

static void test_broken_responses(void)
{
	static const char *const closing[] = { "8001 00000014 00000000 0000 !", NULL };
	static const char *const huge[] = { "8001 00010000 00000000", NULL };
	uint8_t buf[4] = { 0 };
	struct error e = { 0 };
	struct tpm2 t;
	pid_t pid;
	int r;

	pid = fake_tpm(closing);
	r = tpm2_open_socket(&t, sock, &e);
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == -ECONNRESET && strstr(e.msg, "after 12 bytes") && strstr(e.msg, sock),
	       "a peer closing mid-response: -ECONNRESET naming the socket (%s)", e.msg);
	r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == -ENOTCONN, "the next command fails: the connection was dropped (%s)", e.msg);
	tpm2_close(&t);
	commands_seen(pid);

	pid = fake_tpm(huge);
	r = tpm2_open_socket(&t, sock, &e);
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == -EBADMSG && strstr(e.msg, "size 65536"),
	       "a header claiming 65536 bytes is -EBADMSG (%s)", e.msg);
	tpm2_close(&t);
	commands_seen(pid);
}

static void test_dead_tpm_times_out(void)
{
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t buf[4] = { 0 };
	int64_t start, took;
	int l = listen_socket(); /* a TPM that accepts into the backlog and never answers */
	int r;

	r = tpm2_open_socket(&t, sock, &e);
	t.timeout_ms = 300;
	start = now_ms();
	if (r == 0)
		r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	took = now_ms() - start;
	tap_ok(r == -ETIMEDOUT && strstr(e.msg, "no response") && strstr(e.msg, sock),
	       "a TPM that never answers: -ETIMEDOUT naming the socket (%s)", e.msg);
	tap_ok(took >= 290 && took < 1500, "it gave up after the 300 ms timeout (%lld ms)",
	       (long long)took);
	tpm2_close(&t);
	close(l);
}

static void test_open_errors(void)
{
	char path[256], want[256];
	struct error e = { 0 };
	struct tpm2 t;
	uint8_t buf[4] = { 0 };
	int r, fd;

	unlink(sock);
	r = tpm2_open_socket(&t, sock, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, sock), "a missing socket: -ENOENT naming it (%s)",
	       e.msg);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	r = tpm2_open_socket(&t, path, &e);
	tap_is_int(r, -ENAMETOOLONG, "a socket path longer than sun_path is refused");

	snprintf(want, sizeof(want), "%s/dev/tpmrm0", dir);
	r = tpm2_open_device(&t, dir, NULL, &e);
	tap_ok(r == -ENOENT && strstr(e.msg, want),
	       "no TPM device: -ENOENT naming <root>/dev/tpmrm0 (%s)", e.msg);

	/* A node that takes a command and answers nothing, as an empty fixture file does. */
	snprintf(path, sizeof(path), "%s/dev", dir);
	mkdir(path, 0755);
	fd = open(want, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	r = tpm2_open_device(&t, dir, NULL, &e);
	tap_is_int(r, 0, "the fixture device opens");
	r = tpm2_get_random(&t, buf, sizeof(buf), &e);
	tap_ok(r == -ECONNRESET && strstr(e.msg, want),
	       "a device that returns no response is an error naming it (%s)", e.msg);
	tpm2_close(&t);
	unlink(want);
	rmdir(path);

	r = tpm2_pcr_read(&t, 24, TPM2_ALG_SHA256, buf, sizeof(buf), NULL, &e);
	tap_ok(r == -ERANGE && strstr(e.msg, "PCR 24"),
	       "PCR 24 is refused before anything is sent (%s)", e.msg);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mrboot-tpm2-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/tpm.sock", dir);

	test_retry_then_success();
	test_retry_gives_up();
	test_error_not_retried();
	test_quote_errors();
	test_extend_response_lost();
	test_fewer_random_bytes();
	test_broken_responses();
	test_dead_tpm_times_out();
	test_open_errors();

	unlink(sock);
	rmdir(dir);
	return tap_done();
}
