/* SPDX-License-Identifier: MIT */
/*
 * Getting repository files: libcurl for http(s) (timeouts, retries,
 * resuming with Range, a bounded number of transfers at once through
 * the multi interface), plain reads for file:// and local directories.
 * Downloads stream into store writers that commit only when the size
 * and SHA-256 match (net.h).
 */
#include "pkg/net.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "pkg/pkg.h"
#include "store/store.h"

char *pkg_local_path(const char *url, int *ret_err)
{
	char *p = NULL;

	*ret_err = 0;
	if (!strncmp(url, "file://", 7))
		p = strdup(url + 7);
	else if (!strstr(url, "://"))
		p = strdup(url);
	else
		return NULL;
	if (!p)
		*ret_err = -ENOMEM;
	return p;
}

char *pkg_url_join(const char *base, const char *rel)
{
	size_t bl = strlen(base);
	char *s;

	while (bl && base[bl - 1] == '/')
		bl--;
	while (*rel == '/')
		rel++;
	if (asprintf(&s, "%.*s/%s", (int)bl, base, rel) < 0)
		return NULL;
	return s;
}

static void net_init(void)
{
	static bool done;

	/* Single-threaded CLI: the first caller initialises libcurl. */
	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
}

static void set_common(CURL *c, const char *url, const struct pkg_net_opts *o, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout ? o->connect_timeout : 30L);
	/* A stalled transfer (a mirror or proxy that stops sending but keeps
	 * the connection open) ends here and is retried, resuming. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, pkg_net_stall_time(o));
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = 0;
}

long pkg_net_stall_time(const struct pkg_net_opts *o)
{
	return o->stall_time ? o->stall_time : 30L;
}

/* The error of a transfer's last attempt, one line naming @url. */
static int curl_fail(struct diag *d, CURL *c, CURLcode cc, const char *url, const char *errbuf,
		     unsigned attempts)
{
	char tries[32] = "";
	long code = 0;

	if (attempts > 1)
		snprintf(tries, sizeof(tries), " (%u attempts)", attempts);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		return diag_fail(d, code == 404 || code == 410 ? -ENOENT : -EIO, "%s: HTTP %ld%s",
				 url, code, tries);
	return diag_fail(d, -EIO, "%s: %s%s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc),
			 tries);
}

/*
 * Transient failures worth another attempt: the connection failed or
 * stalled, or the server said it is busy (408, 429, 5xx).
 */
static bool retryable(CURL *c, CURLcode cc)
{
	long code = 0;

	if (cc == CURLE_HTTP_RETURNED_ERROR) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		return code == 408 || code == 429 || code >= 500;
	}
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
	       cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
	       cc == CURLE_GOT_NOTHING;
}

#define BACKOFF_FIRST_MS 1000L
#define BACKOFF_MAX_MS 60000L

/*
 * The pause before the next attempt after @failed failed ones: doubling
 * from a second, or the server's Retry-After when longer; both capped,
 * so a mirror asking for an hour cannot hang kiln.
 */
static long backoff_ms(CURL *c, unsigned failed)
{
	long ms = BACKOFF_FIRST_MS << (failed > 6 ? 6 : failed - 1);
	curl_off_t after = 0;

	if (!curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) && after > 0) {
		/* Capped before multiplying: Retry-After is the server's. */
		long ra = after > BACKOFF_MAX_MS / 1000 ? BACKOFF_MAX_MS : (long)after * 1000;
		if (ra > ms)
			ms = ra;
	}
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct membuf {
	char *buf;
	size_t len, cap;
	uint64_t max;
	bool too_big;
};

static size_t mem_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct membuf *m = ud;
	size_t n = sz * nm;

	if (m->len + n > m->max) {
		m->too_big = true;
		return 0;
	}
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + n + 1)
			cap *= 2;
		char *nb = realloc(m->buf, cap);
		if (!nb)
			return 0;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	m->buf[m->len] = 0;
	return n;
}

static int read_local(const char *path, uint64_t max, char **ret, size_t *ret_len,
		      struct diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *buf;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		close(fd);
		return diag_fail(d, -EINVAL, "%s: not a regular file of at most %" PRIu64 " bytes",
				 path, max);
	}
	buf = malloc((size_t)sb.st_size + 1);
	ssize_t k = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (k != sb.st_size) {
		free(buf);
		return diag_fail(d, -EIO, "%s: read error", path);
	}
	buf[k] = 0;
	*ret = buf;
	*ret_len = (size_t)k;
	return 0;
}

int pkg_get(const char *url, uint64_t max, const struct pkg_net_opts *o, char **ret,
	    size_t *ret_len, struct diag *d)
{
	char errbuf[CURL_ERROR_SIZE];
	struct membuf m = { .max = max };
	int r, lerr;
	char *local = pkg_local_path(url, &lerr);
	CURLcode cc = CURLE_OK;

	if (lerr)
		return diag_fail(d, lerr, "out of memory");
	if (local) {
		r = read_local(local, max, ret, ret_len, d);
		free(local);
		return r;
	}
	net_init();
	CURL *c = curl_easy_init();
	if (!c)
		return diag_fail(d, -ENOMEM, "out of memory");
	unsigned attempts = 0;
	for (;;) {
		m.len = 0;
		set_common(c, url, o, errbuf);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
		cc = curl_easy_perform(c);
		attempts++;
		if (cc == CURLE_OK || m.too_big || attempts > o->retries || !retryable(c, cc))
			break;
		long ms = backoff_ms(c, attempts);
		struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (m.too_big)
		r = diag_fail(d, -E2BIG, "%s: larger than %" PRIu64 " bytes", url, max);
	else if (cc != CURLE_OK)
		r = curl_fail(d, c, cc, url, errbuf, attempts);
	else if (!m.buf && !(m.buf = calloc(1, 1)))
		r = diag_fail(d, -ENOMEM, "out of memory");
	else
		r = 0;
	curl_easy_cleanup(c);
	if (r) {
		free(m.buf);
		return r;
	}
	*ret = m.buf;
	*ret_len = m.len;
	return 0;
}

/* ---- downloads into the store ---- */

struct xfer {
	const struct pkg_dl *dl;
	CURL *c;
	struct store_writer *w;
	uint64_t got;            /* bytes in the writer */
	uint64_t from;           /* where this attempt resumes (its Range) */
	unsigned attempts;       /* attempts that failed */
	int64_t wake;            /* waiting to retry until (now_ms); 0: not waiting */
	bool restart;            /* server ignored Range: start over */
	bool checked;            /* this attempt's response code was looked at */
	int werr;                /* store write error */
	struct diag *d;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t xfer_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	size_t n = sz * nm;
	long code = 0;

	if (!x->checked) {
		x->checked = true;
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
		if (x->from && code != 206) {
			/* Asked to resume, got the whole file: keep nothing. */
			x->restart = true;
			return 0;
		}
	}
	if (x->got + n > x->dl->size) {
		x->werr = -EFBIG;
		return 0;
	}
	if ((x->werr = store_writer_write(x->w, p, n, x->d)))
		return 0;
	x->got += n;
	return n;
}

static int xfer_start(struct xfer *x, CURLM *m, struct store *s, const struct pkg_net_opts *o,
		      struct diag *d)
{
	int r;

	if (!x->w || x->restart) {
		store_writer_free(x->w);
		x->w = NULL;
		x->got = 0;
		x->restart = false;
		if ((r = store_writer_new(s, &x->w, d)))
			return r;
	}
	if (!x->c && !(x->c = curl_easy_init()))
		return diag_fail(d, -ENOMEM, "out of memory");
	curl_easy_reset(x->c);
	set_common(x->c, x->dl->url, o, x->errbuf);
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->got);
	x->from = x->got;
	x->checked = false;
	x->wake = 0;
	if (curl_multi_add_handle(m, x->c))
		return diag_fail(d, -ENOMEM, "%s: cannot start the transfer", x->dl->url);
	return 0;
}

static int copy_local(const struct pkg_dl *dl, const char *path, struct store *s,
		      struct diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	struct stat sb;
	uint8_t h[SHA256_LEN];

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != dl->size) {
		close(fd);
		return diag_fail(d, -EBADMSG, "%s: not a regular file of the locked size %" PRIu64
				 " (kiln.lock is stale or the repository changed: run `kiln "
				 "lock`)", path, dl->size);
	}
	r = store_put_fd(s, fd, dl->sha256, h, d);
	close(fd);
	if (r == -EBADMSG)
		diag_prefix(d, "%s: SHA-256 differs from kiln.lock", path);
	return r;
}

static int finish(struct xfer *x, CURLcode cc, struct diag *d)
{
	uint8_t h[SHA256_LEN];
	int r;

	if (x->werr == -EFBIG)
		return diag_fail(d, -EBADMSG, "%s: larger than the locked size %" PRIu64, x->dl->url,
				 x->dl->size);
	if (x->werr)
		return x->werr;
	if (cc != CURLE_OK)
		return curl_fail(d, x->c, cc, x->dl->url, x->errbuf, x->attempts);
	if (x->got != x->dl->size)
		return diag_fail(d, -EBADMSG, "%s: %" PRIu64 " bytes, the lock says %" PRIu64,
				 x->dl->url, x->got, x->dl->size);
	r = store_writer_commit(x->w, x->dl->sha256, h, d);
	if (r == -EBADMSG)
		diag_prefix(d, "%s: SHA-256 differs from kiln.lock", x->dl->url);
	store_writer_free(x->w);
	x->w = NULL;
	return r;
}

/*
 * A transfer ended: 1 if it goes on (x->wake set for a retry after a
 * pause, or 0 to start over at once), 0 if done (finish()).
 */
static int xfer_done(struct xfer *x, CURLcode cc, const struct pkg_net_opts *o)
{
	long code = 0;

	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
	if (x->werr)
		return 0;
	if (x->from && (x->restart || cc == CURLE_RANGE_ERROR ||
			(cc == CURLE_HTTP_RETURNED_ERROR && code == 416))) {
		/* The server cannot resume (a range error, or the whole
		 * file again: 200 to a Range request, as some caching
		 * proxies answer): start over from zero. Not another
		 * attempt: only a failed attempt leads to a Range request. */
		x->restart = true;
		x->wake = 0;
		return 1;
	}
	if (cc == CURLE_OK && x->got == x->dl->size)
		return 0;
	x->attempts++;
	/* A short reply curl accepted (no Content-Length) is retried too. */
	if (x->attempts > o->retries || (cc != CURLE_OK && !retryable(x->c, cc)))
		return 0;
	x->wake = now_ms() + backoff_ms(x->c, x->attempts);
	return 1;
}

int pkg_download(const struct pkg_dl *v, unsigned n, struct store *s,
		 const struct pkg_net_opts *o, struct diag *d)
{
	unsigned par = o->parallel ? o->parallel : 4, next = 0, busy = 0;
	struct xfer *xs;
	CURLM *m = NULL;
	int r = 0, lerr;

	/* Local files first: a copy, no transfer. */
	bool remote = false;
	for (unsigned i = 0; i < n && !r; i++) {
		char *p = pkg_local_path(v[i].url, &lerr);
		if (lerr)
			return diag_fail(d, lerr, "out of memory");
		if (p)
			r = copy_local(&v[i], p, s, d);
		else
			remote = true;
		free(p);
	}
	if (r || !remote)
		return r;
	net_init();
	if (!(xs = calloc(n, sizeof(*xs))) || !(m = curl_multi_init())) {
		free(xs);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	/* At most @par connections, all to the mirror: more would only
	 * make a busy mirror answer 503 sooner. */
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)par);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)par);
	for (unsigned i = 0; i < n; i++) {
		xs[i].dl = &v[i];
		xs[i].d = d;
	}
	/* busy: transfers running or waiting to retry, at most @par. */
	while (!r && (next < n || busy)) {
		int64_t now = now_ms();
		long wait = 1000;
		for (unsigned i = 0; i < next && !r; i++) {
			if (!xs[i].wake)
				continue;
			if (xs[i].wake <= now)
				r = xfer_start(&xs[i], m, s, o, d);
			else if (xs[i].wake - now < wait)
				wait = (long)(xs[i].wake - now);
		}
		while (!r && busy < par && next < n) {
			char *p = pkg_local_path(v[next].url, &lerr);
			if (p) {
				free(p);
				next++;
				continue;
			}
			r = xfer_start(&xs[next++], m, s, o, d);
			busy += !r;
		}
		if (r)
			break;
		int still = 0;
		if (curl_multi_perform(m, &still) != CURLM_OK) {
			r = diag_fail(d, -EIO, "curl_multi_perform failed");
			break;
		}
		struct CURLMsg *msg;
		int left;
		while (!r && (msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x;
			CURLcode cc = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(m, x->c);
			if (!xfer_done(x, cc, o)) {
				busy--;
				r = finish(x, cc, d);
			} else if (!x->wake) {
				r = xfer_start(x, m, s, o, d);
			}
			wait = 0;
		}
		if (!r && busy && curl_multi_poll(m, NULL, 0, (int)wait, NULL) != CURLM_OK)
			r = diag_fail(d, -EIO, "curl_multi_poll failed");
	}
	for (unsigned i = 0; i < n; i++) {
		if (xs[i].c) {
			curl_multi_remove_handle(m, xs[i].c);
			curl_easy_cleanup(xs[i].c);
		}
		store_writer_free(xs[i].w);
	}
	curl_multi_cleanup(m);
	free(xs);
	return r;
}
