/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/encoding.h"
#include "basic/utf8.h"

struct json_arena_block {
	struct json_arena_block *next;
	size_t size; /* bytes of data */
	size_t used;
	max_align_t data[];
};

#define ARENA_FIRST_BLOCK 4096

void json_arena_init(struct json_arena *a, size_t budget)
{
	a->blocks = NULL;
	a->budget = budget;
	a->used = 0;
}

void json_arena_free(struct json_arena *a)
{
	struct json_arena_block *b, *next;

	for (b = a->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	json_arena_init(a, a->budget);
}

/* align is a power of two. -ENOBUFS beyond the budget. */
static int arena_alloc(struct json_arena *a, size_t size, size_t align, void **ret)
{
	const size_t header = offsetof(struct json_arena_block, data);
	struct json_arena_block *b = a->blocks;
	size_t start, want, left;

	if (b) {
		start = (b->used + align - 1) & ~(align - 1);
		if (start <= b->size && b->size - start >= size) {
			b->used = start + size;
			*ret = (char *)b->data + start;
			return 0;
		}
	}
	left = a->budget - a->used;
	if (left < header || left - header < size)
		return -ENOBUFS;
	/* Doubling keeps the number of malloc() calls logarithmic in the document size. */
	want = b ? b->size * 2 : ARENA_FIRST_BLOCK - header;
	if (want < size)
		want = size;
	if (want > left - header)
		want = left - header;
	b = malloc(header + want);
	if (!b)
		return -ENOMEM;
	a->used += header + want;
	b->size = want;
	b->used = size;
	b->next = a->blocks;
	a->blocks = b;
	*ret = b->data;
	return 0;
}

/* Gives back the end of the latest allocation p, which turned out to need only size bytes. */
static void arena_trim(struct json_arena *a, const void *p, size_t size)
{
	a->blocks->used = (size_t)((const char *)p - (const char *)a->blocks->data) + size;
}

struct json_parser {
	const uint8_t *s;
	size_t len;
	size_t pos;
	struct json_arena *arena;
	struct error *e;
};

__attribute__((format(printf, 4, 5))) static int parse_fail(struct json_parser *p, int code,
							    size_t offset, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(p->e, code, "offset %zu: %s", offset, msg);
}

#ifdef __clang_analyzer__
/* What parse_fail() returns, for the static analyser (see error.h): code, always negative. */
#define parse_fail(p, code, ...)                           \
	({                                                 \
		int parse_code_ = (code);                  \
		(parse_fail)(p, parse_code_, __VA_ARGS__); \
		parse_code_ < 0 ? parse_code_ : -EINVAL;   \
	})
#endif

/* A byte from the input as a message shows it: 'x' when printable, else its value. */
static const char *describe_byte(uint8_t c, char buf[16])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

/* A name from the input as a message shows it: printable ASCII, the rest as \xNN, cut short. */
static const char *describe_name(const char *s, size_t n, char buf[80])
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (o + 8 >= 80) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 80 - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static int parse_alloc(struct json_parser *p, size_t size, size_t align, void **ret)
{
	int r = arena_alloc(p->arena, size, align, ret);

	if (r == -ENOBUFS)
		return parse_fail(p, r, p->pos, "document needs more than the %zu-byte budget",
				  p->arena->budget);
	if (r < 0)
		return parse_fail(p, r, p->pos, "out of memory");
	return 0;
}

static void skip_whitespace(struct json_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The four hex digits of a \u escape at i (the backslash); -1 if they are not there. */
static int32_t escape_unit(const struct json_parser *p, size_t i, size_t end)
{
	int32_t v = 0;

	if (end - i < 6 || p->s[i] != '\\' || p->s[i + 1] != 'u')
		return -1;
	for (size_t k = 2; k < 6; k++) {
		int d = hex_digit_value(p->s[i + k]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The escape at i, a backslash before end; appends its UTF-8 to out, returns its length. */
static int parse_escape(struct json_parser *p, size_t i, size_t end, uint8_t *out, size_t *n)
{
	/* The letter after the backslash, then the byte it stands for (RFC 8259 section 7). */
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	int32_t unit, low;
	char what[16];

	if (p->s[i + 1] != 'u') {
		for (size_t k = 0; k < sizeof(simple) - 1; k += 2)
			if (p->s[i + 1] == (uint8_t)simple[k]) {
				out[(*n)++] = (uint8_t)simple[k + 1];
				return 2;
			}
		return parse_fail(p, -EINVAL, i, "invalid escape: backslash before %s",
				  describe_byte(p->s[i + 1], what));
	}
	unit = escape_unit(p, i, end);
	if (unit < 0)
		return parse_fail(p, -EINVAL, i, "\\u escape without four hex digits");
	/* RFC 8259 section 8.2: unpaired surrogates make strings that are not Unicode. */
	if (unit >= 0xdc00 && unit <= 0xdfff)
		return parse_fail(p, -EINVAL, i, "unpaired low surrogate \\u%04X", (unsigned)unit);
	if (unit >= 0xd800 && unit <= 0xdbff) {
		low = escape_unit(p, i + 6, end);
		if (low < 0xdc00 || low > 0xdfff)
			return parse_fail(p, -EINVAL, i, "unpaired high surrogate \\u%04X",
					  (unsigned)unit);
		*n += utf8_encode(out + *n, 0x10000 + ((uint32_t)(unit - 0xd800) << 10 |
						       (uint32_t)(low - 0xdc00)));
		return 12;
	}
	*n += utf8_encode(out + *n, (uint32_t)unit);
	return 6;
}

/* The string starting with the quote at p->pos, decoded into the arena. */
static int parse_string(struct json_parser *p, const char **ret, size_t *ret_len)
{
	size_t start = p->pos, end = start + 1, n = 0;
	uint8_t *out;
	void *mem;
	int r;

	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return parse_fail(p, -EINVAL, start, "unterminated string");

	/* Decoding never lengthens: the closing quote's byte holds the NUL. */
	r = parse_alloc(p, end - start, 1, &mem);
	if (r < 0)
		return r;
	out = mem;
	for (size_t i = start + 1; i < end;) {
		uint8_t c = p->s[i];
		const char *why;
		uint32_t cp;

		if (c == '\\') {
			r = parse_escape(p, i, end, out, &n);
		} else if (c < 0x20) {
			return parse_fail(p, -EINVAL, i, "control character 0x%02x in a string", c);
		} else if (c < 0x80) {
			out[n++] = c;
			r = 1;
		} else {
			r = utf8_decode(p->s + i, end - i, &cp, &why);
			if (r < 0)
				return parse_fail(p, -EINVAL, i, "invalid UTF-8 in a string: %s",
						  why);
			memcpy(out + n, p->s + i, (size_t)r);
			n += (size_t)r;
		}
		if (r < 0)
			return r;
		i += (size_t)r;
	}
	out[n] = '\0';
	arena_trim(p->arena, out, n + 1);
	p->pos = end + 1;
	*ret = (const char *)out;
	*ret_len = n;
	return 0;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int parse_number(struct json_parser *p, struct json_value *v)
{
	size_t start = p->pos, i = start;
	char *text;
	int r;

	if (p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i]))
		return parse_fail(p, -EINVAL, start, "'-' not followed by a digit");
	if (p->s[i] == '0') {
		i++;
		if (i < p->len && is_digit(p->s[i]))
			return parse_fail(p, -EINVAL, start, "leading zero in a number");
	}
	while (i < p->len && is_digit(p->s[i]))
		i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return parse_fail(p, -EINVAL, i, "digit expected after the decimal point");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return parse_fail(p, -EINVAL, i, "digit expected in the exponent");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	r = parse_alloc(p, i - start + 1, 1, (void **)&text);
	if (r < 0)
		return r;
	memcpy(text, p->s + start, i - start);
	text[i - start] = '\0';
	v->type = JSON_NUMBER;
	v->u.number.text = text;
	v->u.number.len = i - start;
	p->pos = i;
	return 0;
}

static int parse_literal(struct json_parser *p, struct json_value *v)
{
	static const struct {
		const char *word;
		enum json_type type;
		bool boolean;
	} literals[] = {
		{ "true", JSON_BOOL, true },
		{ "false", JSON_BOOL, false },
		{ "null", JSON_NULL, false },
	};

	for (size_t k = 0; k < sizeof(literals) / sizeof(literals[0]); k++) {
		size_t n = strlen(literals[k].word);

		if (p->len - p->pos >= n && memcmp(p->s + p->pos, literals[k].word, n) == 0) {
			v->type = literals[k].type;
			v->u.boolean = literals[k].boolean;
			p->pos += n;
			return 0;
		}
	}
	return parse_fail(p, -EINVAL, p->pos, "invalid literal (true, false or null expected)");
}

static int parse_value(struct json_parser *p, unsigned depth, struct json_value **ret);

/* NOLINTNEXTLINE(misc-no-recursion): one level a container, at most JSON_MAX_DEPTH */
static int parse_array(struct json_parser *p, unsigned depth, struct json_value *v)
{
	struct json_value **tail = &v->u.container.first;
	char what[16];
	int r;

	p->pos++;
	skip_whitespace(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_whitespace(p);
		if (p->pos < p->len && p->s[p->pos] == ']')
			return parse_fail(p, -EINVAL, p->pos, "trailing comma before ']'");
		r = parse_value(p, depth, tail);
		if (r < 0)
			return r;
		tail = &(*tail)->next;
		v->u.container.count++;
		skip_whitespace(p);
		if (p->pos >= p->len)
			return parse_fail(p, -EINVAL, v->offset, "unterminated array");
		if (p->s[p->pos] == ']') {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return parse_fail(p, -EINVAL, p->pos, "%s in an array, ',' or ']' expected",
					  describe_byte(p->s[p->pos], what));
		p->pos++;
	}
}

static int compare_members(const void *a, const void *b)
{
	const struct json_value *x = *(const struct json_value *const *)a;
	const struct json_value *y = *(const struct json_value *const *)b;

	return json_name_compare(x->key, x->key_len, y->key, y->key_len);
}

/* Sorts the members for lookups and RFC 8785 output, and so finds duplicate names. */
static int index_members(struct json_parser *p, struct json_value *v)
{
	struct json_value **sorted, *m;
	size_t n = 0;
	char name[80];
	int r;

	r = parse_alloc(p, v->u.container.count * sizeof(struct json_value *),
			_Alignof(struct json_value *), (void **)&sorted);
	if (r < 0)
		return r;
	json_foreach(m, v) sorted[n++] = m;
	qsort(sorted, n, sizeof(struct json_value *), compare_members);
	for (size_t i = 1; i < n; i++)
		if (compare_members(&sorted[i - 1], &sorted[i]) == 0) {
			m = sorted[i - 1]->offset > sorted[i]->offset ? sorted[i - 1] : sorted[i];
			return parse_fail(p, -EINVAL, m->offset,
					  "duplicate member '%s' in the object at offset %zu",
					  describe_name(m->key, m->key_len, name), v->offset);
		}
	v->u.container.sorted = sorted;
	return 0;
}

/* NOLINTNEXTLINE(misc-no-recursion): one level a container, at most JSON_MAX_DEPTH */
static int parse_object(struct json_parser *p, unsigned depth, struct json_value *v)
{
	struct json_value **tail = &v->u.container.first;
	const char *key;
	size_t key_len;
	char what[16];
	int r;

	p->pos++;
	skip_whitespace(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_whitespace(p);
		if (p->pos >= p->len)
			return parse_fail(p, -EINVAL, v->offset, "unterminated object");
		if (p->s[p->pos] == '}')
			return parse_fail(p, -EINVAL, p->pos, "trailing comma before '}'");
		if (p->s[p->pos] != '"')
			return parse_fail(p, -EINVAL, p->pos, "%s where a member name was expected",
					  describe_byte(p->s[p->pos], what));
		r = parse_string(p, &key, &key_len);
		if (r < 0)
			return r;
		skip_whitespace(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return parse_fail(p, -EINVAL, p->pos, "':' expected after a member name");
		p->pos++;
		r = parse_value(p, depth, tail);
		if (r < 0)
			return r;
		(*tail)->key = key;
		(*tail)->key_len = key_len;
		tail = &(*tail)->next;
		v->u.container.count++;
		skip_whitespace(p);
		if (p->pos >= p->len)
			return parse_fail(p, -EINVAL, v->offset, "unterminated object");
		if (p->s[p->pos] == '}') {
			p->pos++;
			return index_members(p, v);
		}
		if (p->s[p->pos] != ',')
			return parse_fail(p, -EINVAL, p->pos,
					  "%s in an object, ',' or '}' expected",
					  describe_byte(p->s[p->pos], what));
		p->pos++;
	}
}

/* depth counts the containers around the value. */
/* NOLINTNEXTLINE(misc-no-recursion): one level a container, at most JSON_MAX_DEPTH */
static int parse_value(struct json_parser *p, unsigned depth, struct json_value **ret)
{
	struct json_value *v;
	char what[16];
	uint8_t c;
	int r;

	skip_whitespace(p);
	if (p->pos >= p->len)
		return parse_fail(p, -EINVAL, p->pos, "unexpected end of input, value expected");
	r = parse_alloc(p, sizeof(*v), _Alignof(struct json_value), (void **)&v);
	if (r < 0)
		return r;
	memset(v, 0, sizeof(*v));
	v->offset = p->pos;
	*ret = v;

	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		if (depth >= JSON_MAX_DEPTH)
			return parse_fail(p, -EINVAL, p->pos, "nesting deeper than %d levels",
					  JSON_MAX_DEPTH);
		v->type = c == '{' ? JSON_OBJECT : JSON_ARRAY;
		return c == '{' ? parse_object(p, depth + 1, v) : parse_array(p, depth + 1, v);
	case '"':
		v->type = JSON_STRING;
		return parse_string(p, &v->u.string.data, &v->u.string.len);
	case 't':
	case 'f':
	case 'n':
		return parse_literal(p, v);
	case '/':
		return parse_fail(p, -EINVAL, p->pos, "comments are not JSON");
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p, v);
		return parse_fail(p, -EINVAL, p->pos, "%s where a value was expected",
				  describe_byte(c, what));
	}
}

int json_parse(struct json_arena *a, const void *buf, size_t len, const struct json_value **ret,
	       struct error *e)
{
	struct json_parser p = { .s = buf, .len = len, .arena = a, .e = e };
	struct json_value *v;
	char what[16];
	int r;

	r = parse_value(&p, 0, &v);
	if (r < 0)
		return r;
	skip_whitespace(&p);
	if (p.pos < p.len)
		return parse_fail(&p, -EINVAL, p.pos, "%s after the end of the document",
				  p.s[p.pos] == '/' ? "comment" : describe_byte(p.s[p.pos], what));
	*ret = v;
	return 0;
}

const char *json_type_name(enum json_type type)
{
	static const char *const names[] = {
		[JSON_NULL] = "null",	    [JSON_BOOL] = "a boolean", [JSON_NUMBER] = "a number",
		[JSON_STRING] = "a string", [JSON_ARRAY] = "an array", [JSON_OBJECT] = "an object",
	};

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

int json_name_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		uint8_t x = (uint8_t)a[i], y = (uint8_t)b[i];

		if (x == y)
			continue;
		/*
		 * UTF-8 bytes order by code point. UTF-16 differs in one place: U+E000..U+FFFF
		 * (lead bytes 0xee, 0xef) follow the supplementary planes (lead bytes 0xf0 and up),
		 * whose surrogates are 0xd800..0xdbff. With a common prefix, both bytes here are
		 * lead bytes or both are continuation bytes.
		 */
		if (x >= 0xee && x <= 0xef && y >= 0xf0)
			return 1;
		if (y >= 0xee && y <= 0xef && x >= 0xf0)
			return -1;
		return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}

const struct json_value *json_object_get(const struct json_value *obj, const char *key)
{
	size_t lo = 0, hi, len = strlen(key);

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	hi = obj->u.container.count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct json_value *m = obj->u.container.sorted[mid];
		int c = json_name_compare(key, len, m->key, m->key_len);

		if (c == 0)
			return m;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The number's text for a message: cut short, as it comes from the input. */
#define NUMBER_FMT "%.40s%s"
#define NUMBER_ARG(v) (v)->u.number.text, (v)->u.number.len > 40 ? "..." : ""

static int number_expect(const struct json_value *v, struct error *e)
{
	if (v->type != JSON_NUMBER)
		return error_set(e, -EINVAL, "value is %s, expected a number",
				 json_type_name(v->type));
	return 0;
}

/* The integer's sign and magnitude; -ERANGE above UINT64_MAX. */
static int number_integer(const struct json_value *v, bool *negative, uint64_t *magnitude,
			  struct error *e)
{
	const char *t = v->u.number.text;
	uint64_t m = 0;
	int r;

	r = number_expect(v, e);
	if (r < 0)
		return r;
	if (strpbrk(t, ".eE"))
		return error_set(e, -EINVAL, "number " NUMBER_FMT " is not an integer",
				 NUMBER_ARG(v));
	*negative = *t == '-';
	for (t += *negative; *t; t++) {
		unsigned d = (unsigned)(*t - '0');

		if (m > (UINT64_MAX - d) / 10)
			return error_set(e, -ERANGE, "number " NUMBER_FMT " is out of range",
					 NUMBER_ARG(v));
		m = m * 10 + d;
	}
	*magnitude = m;
	return 0;
}

int json_get_uint64(const struct json_value *v, uint64_t *ret, struct error *e)
{
	uint64_t m;
	bool neg;
	int r;

	r = number_integer(v, &neg, &m, e);
	if (r < 0)
		return r;
	if (neg && m != 0)
		return error_set(e, -ERANGE, "number " NUMBER_FMT " is negative", NUMBER_ARG(v));
	*ret = m;
	return 0;
}

int json_get_int64(const struct json_value *v, int64_t *ret, struct error *e)
{
	uint64_t m;
	bool neg;
	int r;

	r = number_integer(v, &neg, &m, e);
	if (r < 0)
		return r;
	if (m > (uint64_t)INT64_MAX + neg)
		return error_set(e, -ERANGE, "number " NUMBER_FMT " is out of the int64 range",
				 NUMBER_ARG(v));
	/* -2^63 has no positive counterpart: negate in unsigned arithmetic. */
	*ret = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int json_get_double(const struct json_value *v, double *ret, struct error *e)
{
	double d;
	int r;

	r = number_expect(v, e);
	if (r < 0)
		return r;
	/* The grammar is already checked; strtod() only sets ERANGE for underflow here too. */
	d = strtod(v->u.number.text, NULL);
	if (isinf(d))
		return error_set(e, -ERANGE, "number " NUMBER_FMT " is beyond the double range",
				 NUMBER_ARG(v));
	*ret = d;
	return 0;
}

static int member_get(const struct json_value *obj, const char *key, enum json_type type,
		      const struct json_value **ret, struct error *e)
{
	const struct json_value *v;

	if (!obj || obj->type != JSON_OBJECT)
		return error_set(e, -EINVAL, "looking up member '%s' in %s, not an object", key,
				 obj ? json_type_name(obj->type) : "nothing");
	v = json_object_get(obj, key);
	if (!v)
		return error_set(e, -ENOENT, "member '%s' is missing", key);
	if (v->type != type)
		return error_set(e, -EINVAL, "member '%s' is %s, expected %s", key,
				 json_type_name(v->type), json_type_name(type));
	*ret = v;
	return 0;
}

int json_object_get_string(const struct json_value *obj, const char *key, const char **ret,
			   size_t *ret_len, struct error *e)
{
	const struct json_value *v;
	int r;

	r = member_get(obj, key, JSON_STRING, &v, e);
	if (r < 0)
		return r;
	if (!ret_len && memchr(v->u.string.data, '\0', v->u.string.len))
		return error_set(e, -EINVAL, "member '%s' holds a NUL character", key);
	*ret = v->u.string.data;
	if (ret_len)
		*ret_len = v->u.string.len;
	return 0;
}

int json_object_get_int64(const struct json_value *obj, const char *key, int64_t *ret,
			  struct error *e)
{
	const struct json_value *v;
	int r;

	r = member_get(obj, key, JSON_NUMBER, &v, e);
	if (r < 0)
		return r;
	r = json_get_int64(v, ret, e);
	if (r < 0)
		error_prefix(e, "member '%s'", key);
	return r;
}

int json_object_get_uint64(const struct json_value *obj, const char *key, uint64_t *ret,
			   struct error *e)
{
	const struct json_value *v;
	int r;

	r = member_get(obj, key, JSON_NUMBER, &v, e);
	if (r < 0)
		return r;
	r = json_get_uint64(v, ret, e);
	if (r < 0)
		error_prefix(e, "member '%s'", key);
	return r;
}

int json_object_get_bool(const struct json_value *obj, const char *key, bool *ret, struct error *e)
{
	const struct json_value *v;
	int r;

	r = member_get(obj, key, JSON_BOOL, &v, e);
	if (r < 0)
		return r;
	*ret = v->u.boolean;
	return 0;
}

int json_object_get_object(const struct json_value *obj, const char *key,
			   const struct json_value **ret, struct error *e)
{
	return member_get(obj, key, JSON_OBJECT, ret, e);
}

int json_object_get_array(const struct json_value *obj, const char *key,
			  const struct json_value **ret, struct error *e)
{
	return member_get(obj, key, JSON_ARRAY, ret, e);
}
