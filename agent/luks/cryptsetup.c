/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks/cryptsetup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/file.h"
#include "basic/macro.h"
#include "net/deadline.h"
#include "basic/secret.h"

/* Where the child's pipe ends wait while the final descriptors are arranged (see child_run). */
#define CHILD_FD_PARK 16

struct pipe_pair {
	int r, w;
};

/* What the parent holds while the child runs. */
struct run {
	const struct cryptsetup_command *c;
	pid_t pid;
	int in[CRYPTSETUP_INPUTS_MAX]; /* write ends, -1 once done */
	size_t in_off[CRYPTSETUP_INPUTS_MAX];
	int out, err; /* read ends, -1 at EOF */
	char *out_buf;
	size_t out_len, out_cap;
	char err_buf[CRYPTSETUP_STDERR_MAX + 1];
	size_t err_len;
};

static void pipe_close(struct pipe_pair *p)
{
	closep(&p->r);
	closep(&p->w);
	p->r = p->w = -1;
}

/*
 * In the child, between fork and exec: only async-signal-safe calls. The pipe ends are first
 * parked above every target so that no dup2() overwrites one still to be moved, then put on
 * their descriptors (dup2 clears close-on-exec there; everything else mrboot opened here is
 * close-on-exec and disappears with the exec).
 */
static _Noreturn void child_run(const struct cryptsetup_command *c, const struct pipe_pair *in,
				int out_w, int err_w, int status_w)
{
	const struct sigaction dfl = { .sa_handler = SIG_DFL };
	int parked[CRYPTSETUP_INPUTS_MAX + 2];
	int devnull = -1, err;
	bool stdin_given = false;

	/* mrboot ignores SIGPIPE while it feeds the pipes; cryptsetup gets the default. */
	(void)sigaction(SIGPIPE, &dfl, NULL);
	for (size_t i = 0; i < c->n_inputs; i++)
		parked[i] = fcntl(c->inputs[i].data ? in[i].r : c->inputs[i].pass_fd,
				  F_DUPFD_CLOEXEC, CHILD_FD_PARK);
	parked[c->n_inputs] = fcntl(out_w, F_DUPFD_CLOEXEC, CHILD_FD_PARK);
	parked[c->n_inputs + 1] = fcntl(err_w, F_DUPFD_CLOEXEC, CHILD_FD_PARK);
	for (size_t i = 0; i < c->n_inputs + 2; i++)
		if (parked[i] < 0)
			goto fail;
	if (dup2(parked[c->n_inputs], STDOUT_FILENO) < 0 ||
	    dup2(parked[c->n_inputs + 1], STDERR_FILENO) < 0)
		goto fail;
	for (size_t i = 0; i < c->n_inputs; i++)
		if (dup2(parked[i], c->inputs[i].fd) < 0)
			goto fail;
	for (size_t i = 0; i < c->n_inputs; i++)
		stdin_given |= c->inputs[i].fd == STDIN_FILENO;
	if (!stdin_given) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0)
			goto fail;
	}
	execvp(c->argv[0], (char *const *)c->argv);
fail:
	err = errno;
	(void)!write(status_w, &err, sizeof(err));
	_exit(127);
}

static int run_spawn(struct run *run, struct error *e)
{
	const struct cryptsetup_command *c = run->c;
	struct pipe_pair in[CRYPTSETUP_INPUTS_MAX], out = { -1, -1 }, err = { -1, -1 },
						    status = { -1, -1 };
	int fds[2], r = 0, child_errno = 0;
	ssize_t n;

	for (size_t i = 0; i < CRYPTSETUP_INPUTS_MAX; i++)
		in[i] = (struct pipe_pair){ -1, -1 };
	for (size_t i = 0; i < c->n_inputs && r == 0; i++) {
		if (!c->inputs[i].data)
			continue;
		r = pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
		if (r == 0)
			in[i] = (struct pipe_pair){ fds[0], fds[1] };
	}
	if (r == 0)
		r = pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
	if (r == 0) {
		out = (struct pipe_pair){ fds[0], fds[1] };
		r = pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
	}
	if (r == 0) {
		err = (struct pipe_pair){ fds[0], fds[1] };
		r = pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
	}
	if (r == 0) {
		status = (struct pipe_pair){ fds[0], fds[1] };
		run->pid = fork();
		if (run->pid < 0)
			r = -errno;
		else if (run->pid == 0)
			child_run(c, in, out.w, err.w, status.w);
	}
	if (r < 0) {
		error_set_errno(e, r, "%s: cannot start", c->argv[0]);
		goto out;
	}
	/* The parent's ends; a write end left open here would keep the reader from its EOF. */
	closep(&status.w);
	status.w = -1;
	for (size_t i = 0; i < c->n_inputs; i++) {
		run->in[i] = take_fd(&in[i].w);
		if (run->in[i] >= 0)
			(void)fcntl(run->in[i], F_SETFL, O_NONBLOCK);
	}
	run->out = take_fd(&out.r);
	run->err = take_fd(&err.r);
	/* EOF here: the exec succeeded and closed the status pipe. */
	n = file_read_full(status.r, &child_errno, sizeof(child_errno));
	if (n == (ssize_t)sizeof(child_errno)) {
		r = child_errno > 0 ? -child_errno : -EIO;
		error_set_errno(e, r, "%s: cannot execute", c->argv[0]);
	}
out:
	for (size_t i = 0; i < CRYPTSETUP_INPUTS_MAX; i++)
		pipe_close(&in[i]);
	pipe_close(&out);
	pipe_close(&err);
	pipe_close(&status);
	return r;
}

/* More of one input, as much as the pipe takes now. */
static void run_write(struct run *run, size_t i)
{
	const struct cryptsetup_input *input = &run->c->inputs[i];
	ssize_t n;

	if (run->in_off[i] < input->len) {
		n = write(run->in[i], (const char *)input->data + run->in_off[i],
			  input->len - run->in_off[i]);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EPIPE: the child stopped reading; its exit status says why. */
		if (n > 0)
			run->in_off[i] += (size_t)n;
		if (n > 0 && run->in_off[i] < input->len)
			return;
	}
	closep(&run->in[i]);
	run->in[i] = -1;
}

static int run_read(struct run *run, int *fd, bool is_out, struct error *e)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		closep(fd);
		*fd = -1;
		return 0;
	}
	if (!is_out) {
		size_t keep = (size_t)n;

		if (keep > CRYPTSETUP_STDERR_MAX - run->err_len)
			keep = CRYPTSETUP_STDERR_MAX - run->err_len;
		memcpy(run->err_buf + run->err_len, chunk, keep);
		run->err_len += keep;
		return 0;
	}
	if (run->c->output_secret) {
		int r = secret_append(run->c->output_secret, chunk, (size_t)n, e);

		explicit_bzero(chunk, sizeof(chunk));
		return r < 0 ? error_prefix(e, "%s: output", run->c->argv[0]) : 0;
	}
	if (!run->c->output)
		return 0;
	if ((size_t)n > CRYPTSETUP_OUTPUT_MAX - run->out_len)
		return error_set(e, -EMSGSIZE, "%s: more than %u bytes of output", run->c->argv[0],
				 CRYPTSETUP_OUTPUT_MAX);
	if (run->out_len + (size_t)n + 1 > run->out_cap) {
		size_t cap = 2 * (run->out_len + (size_t)n + 1);
		char *p = realloc(run->out_buf, cap);

		if (!p)
			return error_set_errno(e, -ENOMEM, "%s: output", run->c->argv[0]);
		run->out_buf = p;
		run->out_cap = cap;
	}
	memcpy(run->out_buf + run->out_len, chunk, (size_t)n);
	run->out_len += (size_t)n;
	run->out_buf[run->out_len] = '\0';
	return 0;
}

/* Feeds the inputs and drains the outputs until the child has closed both outputs. */
static int run_io(struct run *run, struct error *e)
{
	const struct cryptsetup_command *c = run->c;

	while (run->out >= 0 || run->err >= 0) {
		struct pollfd pfd[CRYPTSETUP_INPUTS_MAX + 2];
		nfds_t n = 0;
		int r, left = deadline_left_ms(c->deadline);

		if (left == 0)
			return error_set(e, -ETIMEDOUT, "%s %s: did not finish before the deadline",
					 c->argv[0], c->argv[1] ? c->argv[1] : "");
		for (size_t i = 0; i < c->n_inputs; i++)
			pfd[n++] = (struct pollfd){ .fd = run->in[i], .events = POLLOUT };
		pfd[n++] = (struct pollfd){ .fd = run->out, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = run->err, .events = POLLIN };
		r = poll(pfd, n, left);
		if (r < 0 && errno != EINTR)
			return error_set_errno(e, -errno, "%s: poll", c->argv[0]);
		if (r <= 0)
			continue;
		for (size_t i = 0; i < c->n_inputs; i++)
			if (run->in[i] >= 0 && pfd[i].revents)
				run_write(run, i);
		if (run->out >= 0 && pfd[c->n_inputs].revents)
			r = run_read(run, &run->out, true, e);
		if (r >= 0 && run->err >= 0 && pfd[c->n_inputs + 1].revents)
			r = run_read(run, &run->err, false, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The last non-empty line of what the child wrote to stderr, for the message. */
static const char *run_last_line(struct run *run)
{
	char *end, *start;

	run->err_buf[run->err_len] = '\0';
	end = run->err_buf + run->err_len;
	while (end > run->err_buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > run->err_buf && start[-1] != '\n')
		start--;
	return *start ? start : "no message";
}

/*
 * Reaps the child: killed first on failure; else waited for until the deadline (it has
 * closed its outputs, so it is exiting), and killed at it.
 */
static int run_wait(struct run *run, bool kill_it, struct error *e)
{
	const struct cryptsetup_command *c = run->c;
	const char *verb = c->argv[1] ? c->argv[1] : "";
	pid_t p;
	int status;

	if (kill_it)
		kill(run->pid, SIGKILL);
	for (;;) {
		p = waitpid(run->pid, &status, kill_it ? 0 : WNOHANG);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return error_set_errno(e, -errno, "%s: waitpid", c->argv[0]);
		if (p > 0)
			break;
		if (deadline_left_ms(c->deadline) == 0) {
			kill(run->pid, SIGKILL);
			kill_it = true;
			continue;
		}
		usleep(10000);
	}
	run->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return error_set(e, -EIO, "%s %s failed (exit %d): %s", c->argv[0], verb,
				 WEXITSTATUS(status), run_last_line(run));
	return error_set(e, kill_it ? -ETIMEDOUT : -EIO, "%s %s was killed (signal %d)%s",
			 c->argv[0], verb, WTERMSIG(status), kill_it ? " at the deadline" : "");
}

int cryptsetup_run(const struct cryptsetup_command *c, struct error *e)
{
	struct run run = { .c = c, .out = -1, .err = -1 };
	struct sigaction ignore = { .sa_handler = SIG_IGN }, saved;
	int r;

	if (c->n_inputs > CRYPTSETUP_INPUTS_MAX)
		return error_set(e, -EINVAL, "%s: more than %d inputs", c->argv[0],
				 CRYPTSETUP_INPUTS_MAX);
	for (size_t i = 0; i < c->n_inputs; i++)
		if (c->inputs[i].fd != STDIN_FILENO &&
		    (c->inputs[i].fd <= STDERR_FILENO || c->inputs[i].fd >= CHILD_FD_PARK))
			return error_set(e, -EINVAL, "%s: input on descriptor %d", c->argv[0],
					 c->inputs[i].fd);
	for (size_t i = 0; i < CRYPTSETUP_INPUTS_MAX; i++)
		run.in[i] = -1;
	/* A child that exits before it has read everything must not take mrboot with it. */
	sigaction(SIGPIPE, &ignore, &saved);
	r = run_spawn(&run, e);
	if (r == 0)
		r = run_io(&run, e);
	for (size_t i = 0; i < CRYPTSETUP_INPUTS_MAX; i++)
		closep(&run.in[i]);
	closep(&run.out);
	closep(&run.err);
	if (run.pid > 0) {
		struct error ignored = { 0 };

		/* After a failure, the first error is the one worth reporting. */
		int w = run_wait(&run, r < 0, r < 0 ? &ignored : e);

		if (r == 0)
			r = w;
	}
	sigaction(SIGPIPE, &saved, NULL);
	if (r == 0 && c->output) {
		if (!run.out_buf)
			run.out_buf = calloc(1, 1);
		if (!run.out_buf)
			return error_set_errno(e, -ENOMEM, "%s: output", c->argv[0]);
		*c->output = run.out_buf;
		*c->output_len = run.out_len;
		return 0;
	}
	free(run.out_buf);
	return r;
}
