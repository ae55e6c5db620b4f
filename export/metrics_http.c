/*
 * metrics_http.c - the smallest HTTP/1.1 client that POSTs an OTLP request
 * to a collector (--otlp-endpoint http://HOST:PORT[/PATH]).  Plain http
 * only: a collector on the node or reachable through a tunnel; TLS is the
 * collector's business.  One connection per request, 30 s timeouts.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "metrics.h"

static int send_all(int fd, const void *p, size_t n)
{
	const char *q = p;
	while (n) {
		ssize_t w = send(fd, q, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int mt_http_post(const char *url, const char *path, const char *ctype, const void *body, size_t len)
{
	if (strncmp(url, "http://", 7))
		return ig_error("--otlp-endpoint '%s': only http:// URLs (run a local collector for TLS)", url);
	const char *h = url + 7, *slash = strchr(h, '/');
	char host[256], port[16] = "4318";
	size_t hl = slash ? (size_t)(slash - h) : strlen(h);
	if (!hl || hl >= sizeof host)
		return ig_error("--otlp-endpoint '%s': no host", url);
	memcpy(host, h, hl);
	host[hl] = 0;
	char *colon = strrchr(host, ':');
	if (colon && !strchr(colon, ']')) {
		*colon = 0;
		snprintf(port, sizeof port, "%s", colon + 1);
	}
	if (host[0] == '[') {   /* [v6]:port */
		memmove(host, host + 1, strlen(host));
		char *rb = strchr(host, ']');
		if (rb)
			*rb = 0;
	}
	/* a URL with a path other than "/" is used as is */
	const char *rpath = slash && strcmp(slash, "/") ? slash : path;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int gerr = getaddrinfo(host, port, &hints, &ai);
	if (gerr)
		return ig_error("--otlp-endpoint '%s': %s", url, gai_strerror(gerr));
	int fd = -1;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = 30 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return ig_error("--otlp-endpoint '%s': cannot connect: %s", url, strerror(errno));
	char *hdr = xasprintf("POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: ingero-metrics\r\n"
			      "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			      rpath, host, port, ctype, len);
	int rc = send_all(fd, hdr, strlen(hdr)) || send_all(fd, body, len) ? -1 : 0;
	free(hdr);
	if (rc) {
		close(fd);
		return ig_error("--otlp-endpoint '%s': send: %s", url, strerror(errno));
	}
	char resp[512];
	size_t got = 0;
	while (got < sizeof resp - 1) {
		ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(resp, '\n', got))
			break;
	}
	close(fd);
	resp[got] = 0;
	int status = 0;
	if (sscanf(resp, "HTTP/%*s %d", &status) != 1)
		return ig_error("--otlp-endpoint '%s': no HTTP answer", url);
	if (status < 200 || status > 299) {
		char *nl = strpbrk(resp, "\r\n");
		if (nl)
			*nl = 0;
		return ig_error("--otlp-endpoint '%s': %s", url, resp);
	}
	return 0;
}
