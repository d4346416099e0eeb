/*
 * fast_server.c
 *	  A tiny single-threaded HTTP/1.1 keep-alive server on 127.0.0.1 for the
 *	  refresh benchmark (test/bench/run.sh): the cheapest possible endpoint, so
 *	  that what is measured is the client.
 *
 * Usage: fast_server PORT SECONDS [fixed]
 *	  PORT 0 picks a free port.  Prints "ready <port>" once listening, and
 *	  exits by itself after SECONDS (it can never be left running).
 *
 * Routes (the body of the request is read and ignored):
 *	  POST .../refresh                    200 {"execution_id", "sql_id"}
 *	  POST /api/v1/materialized-views     200 {"execution_id", "name"}
 * The execution id is 26 characters like Dune's: "01JDMV" and a counter,
 * new for every call as the real API does (so the extension records a new
 * execution each time); with "fixed" it is always 01JDMV00000000000000000001.
 *	  GET  /_stats                        200 {"connections": N, "requests": N}
 *	  anything else                       404 {"error": "..."}
 * Requests are parsed from a per-connection buffer, so a request split across
 * reads, or several pipelined in one read, are handled; the body length comes
 * from Content-Length (chunked bodies are refused with 501 and a close).
 * Replies carry Content-Length and keep the connection open unless the client
 * sent "Connection: close".  Accepted sockets get TCP_NODELAY.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS	64
#define IN_CAP		(64 * 1024)	/* largest request (headers + body) accepted */
#define OUT_CAP		(16 * 1024)

static const char REFRESH_BODY[] =
"{\"execution_id\": \"01JDMV%020ld\", \"sql_id\": \"dune.bench.result_bench\"}";
static const char UPSERT_BODY[] =
"{\"execution_id\": \"01JDMV%020ld\", \"name\": \"dune.bench.result_bench\"}";
static const char NOT_FOUND_BODY[] = "{\"error\": \"Object not found\"}";
static const char BAD_BODY[] = "{\"error\": \"bad request\"}";

typedef struct Conn
{
	int			fd;
	char		in[IN_CAP];
	size_t		inlen;
	char		out[OUT_CAP];
	size_t		outlen;
	size_t		outoff;
	int			closing;		/* close once out is flushed */
} Conn;

static long n_connections;
static long n_requests;
static long n_executions;
static int	fixed_id;

/* Exit when the time is up (SIGALRM). */
static void
on_alarm(int sig)
{
	static const char msg[] = "fast_server: time limit reached, exiting\n";

	(void) sig;
	(void) !write(2, msg, sizeof(msg) - 1);
	_exit(0);
}

/* Find needle (length nlen) in hay (length hlen); NULL when absent. */
static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen);
}

/* The value of header `name` in the header block [h, end), or NULL; *vlen set. */
static const char *
header_value(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t		namelen = strlen(name);

	while (h < end)
	{
		const char *eol = find(h, end - h, "\r\n", 2);

		if (eol == NULL)
			eol = end;
		if ((size_t) (eol - h) > namelen && h[namelen] == ':' &&
			strncasecmp(h, name, namelen) == 0)
		{
			const char *v = h + namelen + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = eol - v;
			while (*vlen > 0 && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
				(*vlen)--;
			return v;
		}
		h = eol + 2;
	}
	return NULL;
}

/* Append a complete response to the connection's output buffer. */
static int
queue_reply(Conn *c, int status, const char *reason, const char *body, int close_after)
{
	size_t		blen = strlen(body);
	int			n;

	n = snprintf(c->out + c->outlen, OUT_CAP - c->outlen,
				 "HTTP/1.1 %d %s\r\n"
				 "Content-Type: application/json\r\n"
				 "Content-Length: %zu\r\n"
				 "%s"
				 "\r\n%s",
				 status, reason, blen,
				 close_after ? "Connection: close\r\n" : "", body);
	if (n < 0 || (size_t) n >= OUT_CAP - c->outlen)
		return -1;
	c->outlen += n;
	if (close_after)
		c->closing = 1;
	return 0;
}

/* Answer one complete request: method and target as received. */
static int
route(Conn *c, const char *method, size_t mlen, const char *target, size_t tlen,
	  int close_after)
{
	static const char upsert_path[] = "/api/v1/materialized-views";
	static const char refresh_suffix[] = "/refresh";
	char		body[128];
	const char *format = NULL;

	n_requests++;
	if (mlen == 4 && memcmp(method, "POST", 4) == 0)
	{
		if (tlen > sizeof(refresh_suffix) - 1 &&
			memcmp(target + tlen - (sizeof(refresh_suffix) - 1), refresh_suffix,
				   sizeof(refresh_suffix) - 1) == 0)
			format = REFRESH_BODY;
		else if (tlen == sizeof(upsert_path) - 1 &&
				 memcmp(target, upsert_path, tlen) == 0)
			format = UPSERT_BODY;
		if (format)
		{
			snprintf(body, sizeof(body), format, fixed_id ? 1 : ++n_executions);
			return queue_reply(c, 200, "OK", body, close_after);
		}
	}
	else if (mlen == 3 && memcmp(method, "GET", 3) == 0 &&
			 tlen == 7 && memcmp(target, "/_stats", 7) == 0)
	{
		n_requests--;			/* not counted */
		snprintf(body, sizeof(body), "{\"connections\": %ld, \"requests\": %ld}",
				 n_connections, n_requests);
		return queue_reply(c, 200, "OK", body, close_after);
	}
	return queue_reply(c, 404, "Not Found", NOT_FOUND_BODY, close_after);
}

/*
 * Answer every complete request in the input buffer.  Returns -1 on a request
 * refused outright (its 4xx/5xx answer is queued and the connection closes).
 */
static int
process_input(Conn *c)
{
	while (!c->closing && c->inlen > 0)
	{
		const char *hdr_end = find(c->in, c->inlen, "\r\n\r\n", 4);
		const char *line_end;
		const char *sp1,
				   *sp2,
				   *v;
		size_t		head_len,
					vlen,
					body_len = 0,
					total;
		int			close_after = 0;

		if (hdr_end == NULL)
		{
			if (c->inlen >= IN_CAP)
				return queue_reply(c, 431, "Request Header Fields Too Large", BAD_BODY, 1), -1;
			return 0;			/* need more */
		}
		head_len = hdr_end - c->in + 4;
		line_end = find(c->in, head_len, "\r\n", 2);
		sp1 = memchr(c->in, ' ', line_end - c->in);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', line_end - sp1 - 1) : NULL;
		if (sp1 == NULL || sp2 == NULL || line_end - sp2 - 1 != 8 ||
			memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
			return queue_reply(c, 400, "Bad Request", BAD_BODY, 1), -1;
		if (sp2[8] == '0')
			close_after = 1;	/* HTTP/1.0: no keep-alive */
		if ((v = header_value(line_end + 2, hdr_end + 2, "transfer-encoding", &vlen)) != NULL)
			return queue_reply(c, 501, "Not Implemented", BAD_BODY, 1), -1;
		if ((v = header_value(line_end + 2, hdr_end + 2, "content-length", &vlen)) != NULL)
		{
			char		num[24];
			char	   *end;

			if (vlen == 0 || vlen >= sizeof(num))
				return queue_reply(c, 400, "Bad Request", BAD_BODY, 1), -1;
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			body_len = strtoul(num, &end, 10);
			if (*end != '\0' || body_len > IN_CAP)
				return queue_reply(c, 413, "Content Too Large", BAD_BODY, 1), -1;
		}
		if ((v = header_value(line_end + 2, hdr_end + 2, "connection", &vlen)) != NULL)
		{
			if (vlen == 5 && strncasecmp(v, "close", 5) == 0)
				close_after = 1;
			else if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0 &&
					 sp2[8] != '0')
				close_after = 0;
		}
		total = head_len + body_len;
		if (total > IN_CAP)
			return queue_reply(c, 413, "Content Too Large", BAD_BODY, 1), -1;
		if (c->inlen < total)
			return 0;			/* body not complete yet */
		if (OUT_CAP - c->outlen < 1024)
			return 0;			/* answer the rest once the output is flushed */
		if (route(c, c->in, sp1 - c->in, sp1 + 1, sp2 - sp1 - 1, close_after) < 0)
			return -1;
		memmove(c->in, c->in + total, c->inlen - total);
		c->inlen -= total;
	}
	return 0;
}

/* Write what is queued; 1 when all is flushed, 0 when the socket is full, -1 on error. */
static int
flush_output(Conn *c)
{
	while (c->outoff < c->outlen)
	{
		ssize_t		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
	return 1;
}

/* Close and free a connection. */
static void
drop(int ep, Conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Handle readiness on a client connection. */
static void
serve(int ep, Conn *c, uint32_t events)
{
	int			flushed;
	int			eof = 0;
	struct epoll_event ev;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
	{
		for (;;)
		{
			ssize_t		n;

			if (c->inlen == IN_CAP)
				break;
			n = recv(c->fd, c->in + c->inlen, IN_CAP - c->inlen, 0);
			if (n == 0)
			{
				eof = 1;		/* answer what is complete, then close */
				break;
			}
			if (n < 0)
			{
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				drop(ep, c);
				return;
			}
			c->inlen += n;
			if (c->inlen < IN_CAP)
				break;			/* a short read: the socket is drained */
		}
	}
	/* answer, flush, and go on while flushing made room for more answers */
	for (;;)
	{
		size_t		before = c->inlen;

		if (process_input(c) < 0)
			c->closing = 1;
		flushed = flush_output(c);
		if (flushed != 1 || c->closing || c->inlen == before || c->inlen == 0)
			break;
	}
	if (eof)
		c->closing = 1;
	if (flushed < 0 || (flushed == 1 && c->closing))
	{
		drop(ep, c);
		return;
	}
	ev.data.ptr = c;
	ev.events = (eof ? 0 : EPOLLIN) | (flushed == 0 ? EPOLLOUT : 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Accept every pending connection. */
static void
accept_all(int ep, int lfd)
{
	for (;;)
	{
		int			fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int			one = 1;
		Conn	   *c;
		struct epoll_event ev;

		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(Conn));
		if (c == NULL)
		{
			close(fd);
			continue;
		}
		c->fd = fd;
		n_connections++;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		{
			close(fd);
			free(c);
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addr;
	socklen_t	alen = sizeof(addr);
	int			lfd,
				ep,
				one = 1;
	long		port,
				seconds;
	struct epoll_event ev,
				events[MAX_EVENTS];
	static char lsentinel;

	if (argc < 3 || argc > 4 || (port = strtol(argv[1], NULL, 10)) < 0 || port > 65535 ||
		(seconds = strtol(argv[2], NULL, 10)) <= 0 ||
		(argc == 4 && strcmp(argv[3], "fixed") != 0))
	{
		fprintf(stderr, "usage: %s PORT SECONDS [fixed]\n", argv[0]);
		return 2;
	}
	fixed_id = argc == 4;
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned) seconds);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((unsigned short) port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) < 0 ||
		listen(lfd, 128) < 0 ||
		getsockname(lfd, (struct sockaddr *) &addr, &alen) < 0)
	{
		perror("fast_server: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = &lsentinel;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready %d\n", ntohs(addr.sin_port));
	fflush(stdout);

	for (;;)
	{
		int			n = epoll_wait(ep, events, MAX_EVENTS, -1);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			perror("fast_server: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++)
		{
			if (events[i].data.ptr == &lsentinel)
				accept_all(ep, lfd);
			else
				serve(ep, (Conn *) events[i].data.ptr, events[i].events);
		}
	}
}
