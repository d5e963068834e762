/* Benchmark reference: the floor of the HTTP library lookupd is built on.
 * A civetweb server whose only handler writes one file's bytes with the
 * same kind of headers lookupd sends, doing no OCSP work at all.
 * Usage: bare_civetweb FILE PORT THREADS (runs until killed). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>

static char reply[65536];
static size_t reply_len;

static int on_request(struct mg_connection *conn)
{
	mg_write(conn, reply, reply_len);
	return 200;
}

int main(int argc, char **argv)
{
	struct mg_callbacks cb;
	static char body[32768];
	size_t n;
	FILE *f;

	if (argc != 4 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: bare_civetweb FILE PORT THREADS\n");
		return 2;
	}
	n = fread(body, 1, sizeof(body), f);
	fclose(f);
	reply_len = (size_t)snprintf(reply, sizeof(reply), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/ocsp-response\r\nContent-Length: %zu\r\n"
	    "Cache-Control: max-age=3600, public, no-transform, must-revalidate\r\n"
	    "Connection: keep-alive\r\n\r\n", n);
	memcpy(reply + reply_len, body, n);
	reply_len += n;
	const char *options[] = { "listening_ports", argv[2], "num_threads", argv[3],
		"enable_keep_alive", "yes", "tcp_nodelay", "1", NULL };
	memset(&cb, 0, sizeof(cb));
	cb.begin_request = on_request;
	signal(SIGPIPE, SIG_IGN);
	if (mg_start(&cb, NULL, options) == NULL)
		return 1;
	for (;;)
		pause();
}
