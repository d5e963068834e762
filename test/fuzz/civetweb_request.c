/* civetweb's request parsing, reachable: civetweb.c is compiled into this
 * file (the build tree's copy, with lookupd's hook, and the definitions
 * lookupd/civetweb.cmake builds it with), so
 * that fuzz_http_framing runs the very parser lookupd runs on, statics
 * included. Each step below is civetweb 1.15's, named by its function;
 * only the socket and the connection object are left out. */
#include "civetweb.c"

#include "civetweb_request.h"
#include "head_hook.h"

int civetweb_method_known(const char *method)
{
	return is_valid_http_method(method);
}

int civetweb_request(char *buf, int data_len, struct mg_request_info *ri,
    struct civetweb_head *head)
{
	const char *cl;

	memset(head, 0, sizeof(*head));
	/* reset_per_request_attributes */
	ri->content_length = -1;
	ri->http_version = NULL;
	ri->num_headers = 0;
	ri->remote_user = ri->request_method = ri->request_uri = NULL;
	ri->local_uri = ri->local_uri_raw = ri->query_string = NULL;

	/* read_message: the head is complete once get_http_header_len finds
	 * its end in what was read; 0 (more to come, or 413 when the buffer
	 * is full) and -1 (400) never reach lookupd. */
	head->request_len = get_http_header_len(buf, data_len);
	if (head->request_len <= 0)
		return -1;

	/* get_request, as lookupd/civetweb.cmake makes it: lookupd's head
	 * check on the raw head, before anything parses it. */
	ocsp_civetweb_head(buf, head->request_len);

	/* get_request: parse_http_request is given the whole buffer (here
	 * the bytes read fill it), and its length is only tested for > 0:
	 * conn->request_len stays what read_message found. */
	head->parsed_len = parse_http_request(buf, data_len, ri);
	if (head->parsed_len <= 0)
		return -1;
	if ((cl = get_header(ri->http_headers, ri->num_headers, "Transfer-Encoding")) != NULL &&
	    mg_strcasecmp(cl, "identity")) {
		if (mg_strcasecmp(cl, "chunked"))
			return -1;
		head->is_chunked = 1;
	} else if ((cl = get_header(ri->http_headers, ri->num_headers, "Content-Length")) !=
	    NULL) {
		char *endptr = NULL;
		head->content_len = strtoll(cl, &endptr, 10);
		if (endptr == cl || head->content_len < 0)
			return -1;
		ri->content_length = head->content_len;
	}

	/* process_new_connection: HTTP/1.0 and 1.1 only (else 505); a target
	 * that is no URI is answered 400, "*" gets no local URI, so no
	 * callback. An absolute target is taken as this server's: lookupd
	 * turns enable_auth_domain_check off. */
	if (strcmp(ri->http_version, "1.0") != 0 && strcmp(ri->http_version, "1.1") != 0)
		return -1;
	switch (get_uri_type(ri->request_uri)) {
	case 2:
		ri->local_uri_raw = ri->request_uri;
		break;
	case 3:
	case 4: {
		/* get_rel_url_at_current_server: the path after the host, none
		 * without one (then no callback); the port is not compared. */
		const char *host = strstr(ri->request_uri, "://");
		ri->local_uri_raw = host != NULL ? strchr(host + 3, '/') : NULL;
		if (ri->local_uri_raw == NULL)
			return -1;
		break;
	}
	default:
		return -1;
	}
	ri->local_uri = ri->local_uri_raw;

	/* handle_request, before begin_request: the query string is cut
	 * off the target in place (decode_url and decode_query_string are
	 * off in lookupd). */
	if ((ri->query_string = strchr(ri->request_uri, '?')) != NULL)
		*((char *)ri->query_string++) = '\0';
	return 0;
}
