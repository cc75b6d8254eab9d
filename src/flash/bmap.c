/* SPDX-License-Identifier: MIT */
/* bmap XML codec: a small reader for exactly the XML bmap files use
 * (elements, attributes, comments, processing instructions), written to
 * survive hostile input, and a deterministic writer. */
#include "flash/bmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/checked.h"
#include "base/diag.h"
#include "base/hash.h"
#include "base/size.h"

void bmap_init(struct bmap *m)
{
	memset(m, 0, sizeof(*m));
}

void bmap_release(struct bmap *m)
{
	free(m->ranges);
	bmap_init(m);
}

int bmap_add_range(struct bmap *m, uint64_t first, uint64_t last, const uint8_t *cs)
{
	if (first > last)
		return -EINVAL;
	if (m->nranges) {
		struct bmap_range *p = &m->ranges[m->nranges - 1];
		if (first <= p->last)
			return -EINVAL;
		if (!cs && !p->has_cs && first == p->last + 1) {
			p->last = last;
			return 0;
		}
	}
	if (m->nranges == m->cap) {
		size_t n = m->cap ? m->cap * 2 : 64;
		struct bmap_range *v;
		if (m->nranges >= BMAP_MAX_RANGES)
			return -E2BIG;
		v = realloc(m->ranges, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->ranges = v;
		m->cap = n;
	}
	struct bmap_range *r = &m->ranges[m->nranges++];
	r->first = first;
	r->last = last;
	r->has_cs = cs != NULL;
	if (cs)
		memcpy(r->cs, cs, SHA256_LEN);
	else
		memset(r->cs, 0, SHA256_LEN);
	return 0;
}

void bmap_range_bytes(const struct bmap *m, const struct bmap_range *r, uint64_t *ret_off,
		      uint64_t *ret_len)
{
	uint64_t off = r->first * m->block_size;
	uint64_t end = (r->last + 1) * m->block_size;

	if (end > m->image_size)
		end = m->image_size;
	*ret_off = off;
	*ret_len = end > off ? end - off : 0;
}

/* ---- reader ---- */

struct span {
	const char *p;
	size_t n;
};

struct xml {
	const char *text, *name;
	size_t len, pos;
	struct diag *d;
};

static unsigned line_of(const struct xml *x, size_t pos)
{
	unsigned line = 1;

	for (size_t i = 0; i < pos && i < x->len; i++)
		line += x->text[i] == '\n';
	return line;
}

static int xfail(struct xml *x, size_t pos, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int xfail(struct xml *x, size_t pos, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return diag_fail(x->d, err, "%s:%u: %s", x->name, line_of(x, pos), msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && !memcmp(s.p, lit, n);
}

static struct span span_trim(struct span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Print a span for messages, shortened and with control bytes hidden. */
static const char *span_show(struct span s, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < s.n && n + 4 < size; i++) {
		char c = s.p[i];
		buf[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	if (s.n && n < s.n && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = 0;
	return buf;
}

static bool starts(const struct xml *x, const char *lit)
{
	size_t n = strlen(lit);

	return x->len - x->pos >= n && !memcmp(x->text + x->pos, lit, n);
}

/* Skip to just past @end; error if it never comes. */
static int skip_past(struct xml *x, const char *end, const char *what)
{
	size_t n = strlen(end), start = x->pos;

	while (x->len - x->pos >= n) {
		if (!memcmp(x->text + x->pos, end, n)) {
			x->pos += n;
			return 0;
		}
		x->pos++;
	}
	return xfail(x, start, -EINVAL, "unterminated %s", what);
}

static void skip_space(struct xml *x)
{
	while (x->pos < x->len && is_space(x->text[x->pos]))
		x->pos++;
}

static int read_name(struct xml *x, struct span *ret)
{
	size_t s = x->pos;

	if (x->pos >= x->len || !is_name_char(x->text[x->pos], true))
		return xfail(x, x->pos, -EINVAL, "expected an element or attribute name");
	while (x->pos < x->len && is_name_char(x->text[x->pos], false))
		x->pos++;
	ret->p = x->text + s;
	ret->n = x->pos - s;
	return 0;
}

#define MAX_ATTRS 8

struct tag {
	struct span name;
	struct span attr_name[MAX_ATTRS], attr_val[MAX_ATTRS];
	unsigned nattrs;
	bool closing, empty;
	size_t pos;
};

/* Parse one tag; x->pos is at '<' (not a comment or PI). */
static int read_tag(struct xml *x, struct tag *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->pos = x->pos;
	x->pos++;
	if (x->pos < x->len && x->text[x->pos] == '/') {
		t->closing = true;
		x->pos++;
	}
	r = read_name(x, &t->name);
	if (r)
		return r;
	for (;;) {
		size_t before = x->pos;
		skip_space(x);
		if (x->pos >= x->len)
			return xfail(x, t->pos, -EINVAL, "unterminated tag");
		char c = x->text[x->pos];
		if (c == '>') {
			x->pos++;
			return 0;
		}
		if (c == '/' && !t->closing) {
			if (x->pos + 1 >= x->len || x->text[x->pos + 1] != '>')
				return xfail(x, x->pos, -EINVAL, "stray '/' in tag");
			x->pos += 2;
			t->empty = true;
			return 0;
		}
		if (t->closing || before == x->pos)
			return xfail(x, x->pos, -EINVAL, "malformed tag");
		struct span an, av;
		r = read_name(x, &an);
		if (r)
			return r;
		skip_space(x);
		if (x->pos >= x->len || x->text[x->pos] != '=')
			return xfail(x, x->pos, -EINVAL, "attribute without '='");
		x->pos++;
		skip_space(x);
		if (x->pos >= x->len || (x->text[x->pos] != '"' && x->text[x->pos] != '\''))
			return xfail(x, x->pos, -EINVAL, "attribute value without quotes");
		char q = x->text[x->pos++];
		size_t vs = x->pos;
		while (x->pos < x->len && x->text[x->pos] != q) {
			if (x->text[x->pos] == '<')
				return xfail(x, x->pos, -EINVAL, "'<' in attribute value");
			x->pos++;
		}
		if (x->pos >= x->len)
			return xfail(x, vs, -EINVAL, "unterminated attribute value");
		av.p = x->text + vs;
		av.n = x->pos - vs;
		x->pos++;
		if (t->nattrs == MAX_ATTRS)
			return xfail(x, t->pos, -EINVAL, "too many attributes");
		t->attr_name[t->nattrs] = an;
		t->attr_val[t->nattrs] = av;
		t->nattrs++;
	}
}

static bool tag_attr(const struct tag *t, const char *name, struct span *ret)
{
	for (unsigned i = 0; i < t->nattrs; i++)
		if (span_is(t->attr_name[i], name)) {
			*ret = t->attr_val[i];
			return true;
		}
	return false;
}

static int parse_u64(struct span s, uint64_t *ret)
{
	uint64_t v = 0;

	s = span_trim(s);
	if (!s.n)
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EINVAL;
		if (u64_mul(v, 10, &v) || u64_add(v, (uint64_t)(s.p[i] - '0'), &v))
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

static int parse_sha256(struct span s, uint8_t out[SHA256_LEN])
{
	if (s.n != 2 * SHA256_LEN)
		return -EINVAL;
	for (size_t i = 0; i < SHA256_LEN; i++) {
		int h = hex_digit((unsigned char)s.p[2 * i]), l = hex_digit((unsigned char)s.p[2 * i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

enum field { F_IMAGE_SIZE, F_BLOCK_SIZE, F_BLOCKS_COUNT, F_MAPPED, F_CS_TYPE, F_FILE_CS, F_MAX };
static const char *const field_names[F_MAX] = {
	[F_IMAGE_SIZE] = "ImageSize",   [F_BLOCK_SIZE] = "BlockSize",
	[F_BLOCKS_COUNT] = "BlocksCount", [F_MAPPED] = "MappedBlocksCount",
	[F_CS_TYPE] = "ChecksumType",   [F_FILE_CS] = "BmapFileChecksum",
};

struct parsed {
	struct span field[F_MAX]; /* text content, untrimmed */
	size_t field_pos[F_MAX];
	bool have[F_MAX];
	struct span version;
	bool have_root, have_blockmap;
};

/* A range's text "N" or "N-M" (whitespace allowed around both). */
static int parse_range_text(struct span s, uint64_t *first, uint64_t *last)
{
	const char *dash = memchr(s.p, '-', s.n);

	if (!dash) {
		if (parse_u64(s, first))
			return -EINVAL;
		*last = *first;
		return 0;
	}
	struct span a = { s.p, (size_t)(dash - s.p) };
	struct span b = { dash + 1, s.n - (size_t)(dash - s.p) - 1 };
	if (parse_u64(a, first) || parse_u64(b, last))
		return -EINVAL;
	return 0;
}

/* Stack entry of open elements. */
struct open_el {
	struct span name;
	size_t content; /* offset just past the start tag */
	size_t pos;
	bool had_child;
	struct span cs; /* Range: chksum attribute */
	bool has_cs;
};

static int end_element(struct xml *x, struct open_el *stack, unsigned depth, size_t end_pos,
		       struct parsed *pr, struct bmap *m)
{
	struct open_el *e = &stack[depth - 1];
	struct span content = { x->text + e->content, end_pos - e->content };
	char show[80];
	int r;

	if (depth == 2 && span_is(stack[0].name, "bmap")) {
		for (int f = 0; f < F_MAX; f++) {
			if (!span_is(e->name, field_names[f]))
				continue;
			if (pr->have[f])
				return xfail(x, e->pos, -EINVAL, "duplicate <%s>", field_names[f]);
			if (e->had_child || memchr(content.p, '<', content.n))
				return xfail(x, e->pos, -EINVAL, "<%s> must hold only text",
					     field_names[f]);
			pr->have[f] = true;
			pr->field[f] = content;
			pr->field_pos[f] = e->content;
		}
		return 0;
	}
	if (depth == 3 && span_is(stack[1].name, "BlockMap") && span_is(e->name, "Range")) {
		uint64_t first, last;
		uint8_t cs[SHA256_LEN];
		if (e->had_child || memchr(content.p, '<', content.n))
			return xfail(x, e->pos, -EINVAL, "<Range> must hold only text");
		if (parse_range_text(content, &first, &last))
			return xfail(x, e->pos, -EINVAL, "bad range \"%s\": expected N or N-M",
				     span_show(span_trim(content), show, sizeof(show)));
		if (first > last)
			return xfail(x, e->pos, -EINVAL, "bad range %" PRIu64 "-%" PRIu64
				     ": first > last", first, last);
		if (e->has_cs && parse_sha256(span_trim(e->cs), cs))
			return xfail(x, e->pos, -EINVAL,
				     "range %" PRIu64 "-%" PRIu64 ": chksum \"%s\" is not a SHA-256",
				     first, last, span_show(e->cs, show, sizeof(show)));
		if (m->nranges && first <= m->ranges[m->nranges - 1].last)
			return xfail(x, e->pos, -EINVAL,
				     "range %" PRIu64 "-%" PRIu64
				     " overlaps or precedes the previous one (ranges must ascend)",
				     first, last);
		r = bmap_add_range(m, first, last, e->has_cs ? cs : NULL);
		if (r == -E2BIG)
			return xfail(x, e->pos, r, "more than %u ranges", BMAP_MAX_RANGES);
		if (r)
			return xfail(x, e->pos, r, "%s", strerror(-r));
	}
	return 0;
}

static int scan(struct xml *x, struct parsed *pr, struct bmap *m)
{
	struct open_el stack[BMAP_MAX_DEPTH];
	unsigned depth = 0;
	bool root_done = false;
	struct tag t;
	int r;

	while (x->pos < x->len) {
		char c = x->text[x->pos];
		if (c != '<') {
			if (!depth && !is_space(c))
				return xfail(x, x->pos, -EINVAL, "text outside the <bmap> element");
			x->pos++;
			continue;
		}
		if (starts(x, "<!--")) {
			x->pos += 4;
			if ((r = skip_past(x, "-->", "comment")))
				return r;
			continue;
		}
		if (starts(x, "<?")) {
			if ((r = skip_past(x, "?>", "processing instruction")))
				return r;
			continue;
		}
		if (starts(x, "<!"))
			return xfail(x, x->pos, -EINVAL, "unsupported XML construct (DOCTYPE/CDATA)");
		if ((r = read_tag(x, &t)))
			return r;
		if (t.closing) {
			if (!depth || t.name.n != stack[depth - 1].name.n ||
			    memcmp(t.name.p, stack[depth - 1].name.p, t.name.n)) {
				char show[64];
				return xfail(x, t.pos, -EINVAL, "unexpected </%s>",
					     span_show(t.name, show, sizeof(show)));
			}
			if ((r = end_element(x, stack, depth, t.pos, pr, m)))
				return r;
			depth--;
			if (!depth)
				root_done = true;
			continue;
		}
		if (root_done || (!depth && !span_is(t.name, "bmap"))) {
			char show[64];
			return xfail(x, t.pos, -EINVAL, "unexpected <%s>: not a bmap file",
				     span_show(t.name, show, sizeof(show)));
		}
		if (depth)
			stack[depth - 1].had_child = true;
		if (!depth) {
			pr->have_root = true;
			if (!tag_attr(&t, "version", &pr->version))
				return xfail(x, t.pos, -EINVAL, "<bmap> has no version attribute");
		}
		if (depth == 1 && span_is(t.name, "BlockMap")) {
			if (pr->have_blockmap)
				return xfail(x, t.pos, -EINVAL, "duplicate <BlockMap>");
			pr->have_blockmap = true;
		}
		if (t.empty) {
			/* <X/>: an element with no content. */
			if (depth == BMAP_MAX_DEPTH)
				return xfail(x, t.pos, -EINVAL, "elements nested too deep");
			stack[depth] = (struct open_el){ .name = t.name, .content = x->pos,
							 .pos = t.pos };
			if ((r = end_element(x, stack, depth + 1, x->pos, pr, m)))
				return r;
			if (!depth)
				root_done = true;
			continue;
		}
		if (depth == BMAP_MAX_DEPTH)
			return xfail(x, t.pos, -EINVAL, "elements nested too deep");
		stack[depth] = (struct open_el){ .name = t.name, .content = x->pos, .pos = t.pos };
		stack[depth].has_cs = tag_attr(&t, "chksum", &stack[depth].cs);
		depth++;
	}
	if (depth)
		return xfail(x, x->len, -EINVAL, "unexpected end of file inside <%.*s>",
			     (int)(stack[depth - 1].name.n > 40 ? 40 : stack[depth - 1].name.n),
			     stack[depth - 1].name.p);
	if (!pr->have_root)
		return xfail(x, 0, -EINVAL, "no <bmap> element: not a bmap file");
	return 0;
}

static int field_u64(struct xml *x, struct parsed *pr, enum field f, uint64_t *ret)
{
	char show[80];

	if (!pr->have[f])
		return xfail(x, 0, -EINVAL, "missing <%s>", field_names[f]);
	if (parse_u64(pr->field[f], ret))
		return xfail(x, pr->field_pos[f], -EINVAL, "<%s> \"%s\": expected a number",
			     field_names[f], span_show(span_trim(pr->field[f]), show, sizeof(show)));
	return 0;
}

static int check_file_checksum(struct xml *x, struct parsed *pr)
{
	struct span v = span_trim(pr->field[F_FILE_CS]);
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	static const char zeros[2 * SHA256_LEN + 1] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct sha256_ctx c;
	char show[80], hex[2 * SHA256_LEN + 1];
	int r;

	if (parse_sha256(v, want))
		return xfail(x, pr->field_pos[F_FILE_CS], -EINVAL,
			     "<BmapFileChecksum> \"%s\": not a SHA-256",
			     span_show(v, show, sizeof(show)));
	size_t at = (size_t)(v.p - x->text);
	r = sha256_init(&c);
	if (r)
		return diag_fail(x->d, r, "sha256: %s", strerror(-r));
	r = sha256_update(&c, x->text, at);
	if (!r)
		r = sha256_update(&c, zeros, 2 * SHA256_LEN);
	if (!r)
		r = sha256_update(&c, x->text + at + 2 * SHA256_LEN, x->len - at - 2 * SHA256_LEN);
	if (!r)
		r = sha256_final(&c, got);
	sha256_release(&c);
	if (r)
		return diag_fail(x->d, r, "sha256: %s", strerror(-r));
	if (memcmp(want, got, SHA256_LEN)) {
		hex_encode(got, SHA256_LEN, hex);
		return diag_fail(x->d, -EBADMSG,
				 "%s: BmapFileChecksum mismatch: the file says %.64s, its contents "
				 "hash to %s (bmap file corrupted or edited)",
				 x->name, span_show(v, show, sizeof(show)), hex);
	}
	return 0;
}

int bmap_parse(const char *text, size_t len, const char *name, struct bmap *ret,
	       struct diag *d)
{
	struct xml x = { .text = text, .len = len, .name = name ? name : "bmap", .d = d };
	struct parsed pr;
	struct bmap m;
	uint64_t bs, n, want;
	char show[80];
	int r;

	memset(&pr, 0, sizeof(pr));
	bmap_init(&m);
	if (len > BMAP_MAX_FILE) {
		r = diag_fail(d, -E2BIG, "%s: bmap file larger than %u MiB", x.name,
			      BMAP_MAX_FILE >> 20);
		goto fail;
	}
	if ((r = scan(&x, &pr, &m)))
		goto fail;

	/* Version "MAJOR.MINOR". */
	{
		struct span v = span_trim(pr.version);
		const char *dot = memchr(v.p, '.', v.n);
		uint64_t maj, min;
		if (!dot || parse_u64((struct span){ v.p, (size_t)(dot - v.p) }, &maj) ||
		    parse_u64((struct span){ dot + 1, v.n - (size_t)(dot - v.p) - 1 }, &min) ||
		    maj > 1000 || min > 1000) {
			r = xfail(&x, 0, -EINVAL, "bmap version \"%s\": expected MAJOR.MINOR",
				  span_show(v, show, sizeof(show)));
			goto fail;
		}
		m.version_major = (unsigned)maj;
		m.version_minor = (unsigned)min;
	}
	if (m.version_major < 1 || m.version_major > 2) {
		r = xfail(&x, 0, -ENOTSUP, "bmap version %u.%u is not supported (kiln reads 1.x-2.x)",
			  m.version_major, m.version_minor);
		goto fail;
	}
	if (m.version_major == 1 && m.version_minor == 3) {
		r = xfail(&x, 0, -ENOTSUP,
			  "bmap version 1.3 (SHA-1 checksums) is not supported: recreate it with "
			  "'kiln bmap' or 'bmaptool create'");
		goto fail;
	}
	if ((r = field_u64(&x, &pr, F_IMAGE_SIZE, &m.image_size)) ||
	    (r = field_u64(&x, &pr, F_BLOCK_SIZE, &bs)) ||
	    (r = field_u64(&x, &pr, F_BLOCKS_COUNT, &m.blocks_count)) ||
	    (r = field_u64(&x, &pr, F_MAPPED, &m.mapped_count)))
		goto fail;
	if (bs < 512 || bs > (64u << 20) || bs % 512) {
		r = xfail(&x, pr.field_pos[F_BLOCK_SIZE], -EINVAL,
			  "BlockSize %" PRIu64 ": expected a multiple of 512 up to 64 MiB", bs);
		goto fail;
	}
	m.block_size = (uint32_t)bs;
	if (!m.image_size) {
		r = xfail(&x, pr.field_pos[F_IMAGE_SIZE], -EINVAL, "ImageSize is 0");
		goto fail;
	}
	want = u64_div_roundup(m.image_size, bs);
	if (m.blocks_count != want) {
		r = xfail(&x, pr.field_pos[F_BLOCKS_COUNT], -EINVAL,
			  "BlocksCount %" PRIu64 " does not match ImageSize %" PRIu64
			  " / BlockSize %" PRIu64 " (= %" PRIu64 " blocks)",
			  m.blocks_count, m.image_size, bs, want);
		goto fail;
	}
	if (!pr.have_blockmap) {
		r = xfail(&x, 0, -EINVAL, "missing <BlockMap>");
		goto fail;
	}
	n = 0;
	for (size_t i = 0; i < m.nranges; i++) {
		if (m.ranges[i].last >= m.blocks_count) {
			r = xfail(&x, 0, -EINVAL,
				  "range %" PRIu64 "-%" PRIu64 " lies past the image's %" PRIu64
				  " blocks", m.ranges[i].first, m.ranges[i].last, m.blocks_count);
			goto fail;
		}
		n += m.ranges[i].last - m.ranges[i].first + 1; /* bounded by blocks_count */
	}
	if (n != m.mapped_count) {
		r = xfail(&x, pr.field_pos[F_MAPPED], -EINVAL,
			  "MappedBlocksCount %" PRIu64 " but the ranges add up to %" PRIu64 " blocks",
			  m.mapped_count, n);
		goto fail;
	}
	if (m.version_major >= 2 || m.version_minor == 4) {
		struct span t;
		if (!pr.have[F_CS_TYPE] || !pr.have[F_FILE_CS]) {
			r = xfail(&x, 0, -EINVAL, "bmap %u.%u without <%s>", m.version_major,
				  m.version_minor, pr.have[F_CS_TYPE] ? "BmapFileChecksum" : "ChecksumType");
			goto fail;
		}
		t = span_trim(pr.field[F_CS_TYPE]);
		if (!span_is(t, "sha256")) {
			r = xfail(&x, pr.field_pos[F_CS_TYPE], -ENOTSUP,
				  "ChecksumType \"%s\" is not supported (kiln verifies sha256)",
				  span_show(t, show, sizeof(show)));
			goto fail;
		}
		if ((r = check_file_checksum(&x, &pr)))
			goto fail;
		m.has_cs = true;
		for (size_t i = 0; i < m.nranges; i++)
			m.has_cs &= m.ranges[i].has_cs;
	} else {
		/* Old formats carried no (or SHA-1) range checksums: ignore them. */
		for (size_t i = 0; i < m.nranges; i++)
			m.ranges[i].has_cs = false;
	}
	*ret = m;
	return 0;
fail:
	bmap_release(&m);
	return r;
}

/* ---- writer ---- */

int bmap_format(const struct bmap *m, char **ret_text, size_t *ret_len)
{
	struct buf b = { 0 };
	char hs[32], ms[32], hex[2 * SHA256_LEN + 1];
	uint64_t mapped_bytes = 0, permille;
	uint8_t sum[SHA256_LEN];
	int r;

	if (!m->block_size || !m->image_size ||
	    m->blocks_count != u64_div_roundup(m->image_size, m->block_size))
		return -EINVAL;
	for (size_t i = 0; i < m->nranges; i++) {
		uint64_t off, len;
		if (!m->ranges[i].has_cs || m->ranges[i].last >= m->blocks_count)
			return -EINVAL;
		bmap_range_bytes(m, &m->ranges[i], &off, &len);
		mapped_bytes += len;
	}
	size_human(m->image_size, hs, sizeof(hs));
	size_human(mapped_bytes, ms, sizeof(ms));
	permille = m->blocks_count ? m->mapped_count * 1000 / m->blocks_count : 0;

	buf_printf(&b, "<?xml version=\"1.0\" ?>\n"
		       "<!-- Block map of a disk image, written by kiln in bmaptool's bmap format.\n"
		       "     Only the blocks listed in BlockMap hold data: a flasher writes those\n"
		       "     and may skip the rest. Each Range's chksum is the SHA-256 of its\n"
		       "     bytes (the last block only up to ImageSize). -->\n\n"
		       "<bmap version=\"2.0\">\n"
		       "    <!-- Image size: %s -->\n"
		       "    <ImageSize> %" PRIu64 " </ImageSize>\n\n"
		       "    <!-- Bytes per block -->\n"
		       "    <BlockSize> %" PRIu32 " </BlockSize>\n\n"
		       "    <!-- Blocks in the image -->\n"
		       "    <BlocksCount> %" PRIu64 " </BlocksCount>\n\n"
		       "    <!-- Mapped: %s, %" PRIu64 ".%" PRIu64 "%% of the image -->\n"
		       "    <MappedBlocksCount> %" PRIu64 " </MappedBlocksCount>\n\n"
		       "    <ChecksumType> sha256 </ChecksumType>\n\n"
		       "    <!-- SHA-256 of this file, computed with this value set to 64 '0's -->\n"
		       "    <BmapFileChecksum> ",
		   hs, m->image_size, m->block_size, m->blocks_count, ms, permille / 10,
		   permille % 10, m->mapped_count);
	size_t cs_at = b.len;
	buf_printf(&b, "%.64s </BmapFileChecksum>\n\n    <BlockMap>\n",
		   "0000000000000000000000000000000000000000000000000000000000000000");
	for (size_t i = 0; i < m->nranges; i++) {
		const struct bmap_range *rg = &m->ranges[i];
		hex_encode(rg->cs, SHA256_LEN, hex);
		if (rg->first == rg->last)
			buf_printf(&b, "        <Range chksum=\"%s\"> %" PRIu64 " </Range>\n", hex,
				   rg->first);
		else
			buf_printf(&b, "        <Range chksum=\"%s\"> %" PRIu64 "-%" PRIu64 " </Range>\n",
				   hex, rg->first, rg->last);
	}
	buf_printf(&b, "    </BlockMap>\n</bmap>\n");
	if (b.err) {
		free(b.p);
		return -ENOMEM;
	}
	r = sha256_buf(b.p, b.len, sum);
	if (r) {
		free(b.p);
		return r;
	}
	hex_encode(sum, SHA256_LEN, hex);
	memcpy(b.p + cs_at, hex, 2 * SHA256_LEN);
	*ret_text = b.p;
	*ret_len = b.len;
	return 0;
}
