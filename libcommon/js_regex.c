/*
 * js_regex.c: ECMA-262 regular expressions (JSON Schema "pattern",
 * "patternProperties", format "regex") on top of PCRE2.
 *
 * Patterns are translated into PCRE2 syntax with ECMA-262 meaning (as
 * with the "u" flag): \d and \w are ASCII only (PCRE2 without UCP gives
 * exactly that), \s is ECMA's whitespace and line terminator set, "."
 * stops at the four line terminators, "$" matches only at the very end,
 * \uXXXX (with surrogate pairs) and \u{X} are code points, \p{Letter} and
 * the other long General_Category names map to PCRE2's short ones, [] is
 * the empty class and [^] any character.  Syntax ECMA-262 refuses and
 * PCRE2 would accept (possessive quantifiers, inline flags, \a, Python
 * named groups, comments) is an error.  Patterns are not anchored.
 */
#include "js_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS_MEMBERS "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}" \
                   "\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

struct tr {
	const char *p;
	size_t n, i;
	sgp_buf *out;
	char *err;
	int ngroups;
};

static int tr_fail(struct tr *t, const char *msg)
{
	if (!t->err)
		t->err = xasprintf("%s at offset %zu", msg, t->i);
	return -1;
}

static int hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one UTF-8 sequence at t->i. */
static uint32_t tr_utf8(struct tr *t)
{
	const unsigned char *s = (const unsigned char *)t->p + t->i;
	size_t left = t->n - t->i;
	uint32_t c = s[0];
	size_t len = 1;

	if (c >= 0xF0 && left >= 4) {
		c = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		len = 4;
	} else if (c >= 0xE0 && left >= 3) {
		c = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		len = 3;
	} else if (c >= 0xC0 && left >= 2) {
		c = ((c & 0x1F) << 6) | (s[1] & 0x3F);
		len = 2;
	}
	t->i += len;
	return c;
}

static void emit_cp(sgp_buf *b, uint32_t cp)
{
	if (cp < 0x80 && ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')))
		sgp_buf_addc(b, (char)cp);
	else
		sgp_buf_addf(b, "\\x{%X}", (unsigned)cp);
}

static int read_hex(struct tr *t, int ndig, uint32_t *cp)
{
	uint32_t v = 0;

	for (int k = 0; k < ndig; k++) {
		if (t->i >= t->n || hexdig((unsigned char)t->p[t->i]) < 0)
			return tr_fail(t, "invalid hexadecimal escape");
		v = v * 16 + (uint32_t)hexdig((unsigned char)t->p[t->i++]);
	}
	*cp = v;
	return 0;
}

/* After "\u": read XXXX, a surrogate pair, or {X...}. */
static int read_unicode(struct tr *t, uint32_t *cp)
{
	if (t->i < t->n && t->p[t->i] == '{') {
		uint32_t v = 0;
		int nd = 0;
		t->i++;
		while (t->i < t->n && hexdig((unsigned char)t->p[t->i]) >= 0) {
			v = v * 16 + (uint32_t)hexdig((unsigned char)t->p[t->i++]);
			if (v > 0x10FFFF)
				return tr_fail(t, "code point out of range");
			nd++;
		}
		if (!nd || t->i >= t->n || t->p[t->i] != '}')
			return tr_fail(t, "invalid unicode escape");
		t->i++;
		*cp = v;
		return 0;
	}
	if (read_hex(t, 4, cp) < 0)
		return -1;
	if (*cp >= 0xD800 && *cp <= 0xDBFF && t->i + 6 <= t->n &&
	    t->p[t->i] == '\\' && t->p[t->i + 1] == 'u') {
		size_t save = t->i;
		uint32_t lo;
		t->i += 2;
		if (read_hex(t, 4, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
			*cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
			return 0;
		}
		free(t->err);
		t->err = NULL;
		t->i = save;
	}
	return 0;
}

/* Long General_Category names of ECMA-262 -> PCRE2 short names. */
static const char *const gc_names[][2] = {
	{ "Letter", "L" }, { "Cased_Letter", "L&" }, { "Uppercase_Letter", "Lu" },
	{ "Lowercase_Letter", "Ll" }, { "Titlecase_Letter", "Lt" }, { "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" }, { "Mark", "M" }, { "Combining_Mark", "M" },
	{ "Nonspacing_Mark", "Mn" }, { "Spacing_Mark", "Mc" }, { "Enclosing_Mark", "Me" },
	{ "Number", "N" }, { "Decimal_Number", "Nd" }, { "digit", "Nd" },
	{ "Letter_Number", "Nl" }, { "Other_Number", "No" }, { "Punctuation", "P" },
	{ "punct", "P" }, { "Connector_Punctuation", "Pc" }, { "Dash_Punctuation", "Pd" },
	{ "Open_Punctuation", "Ps" }, { "Close_Punctuation", "Pe" },
	{ "Initial_Punctuation", "Pi" }, { "Final_Punctuation", "Pf" },
	{ "Other_Punctuation", "Po" }, { "Symbol", "S" }, { "Math_Symbol", "Sm" },
	{ "Currency_Symbol", "Sc" }, { "Modifier_Symbol", "Sk" }, { "Other_Symbol", "So" },
	{ "Separator", "Z" }, { "Space_Separator", "Zs" }, { "Line_Separator", "Zl" },
	{ "Paragraph_Separator", "Zp" }, { "Other", "C" }, { "Control", "Cc" },
	{ "cntrl", "Cc" }, { "Format", "Cf" }, { "Surrogate", "Cs" },
	{ "Private_Use", "Co" }, { "Unassigned", "Cn" }, { "LC", "L&" },
};

static const char *gc_map(const char *v, size_t n)
{
	for (size_t k = 0; k < sizeof(gc_names) / sizeof(gc_names[0]); k++)
		if (strlen(gc_names[k][0]) == n && memcmp(gc_names[k][0], v, n) == 0)
			return gc_names[k][1];
	return NULL;
}

/* After "\p" or "\P": "{...}" -> PCRE2 property text into B. */
static int read_property(struct tr *t, bool neg, sgp_buf *b)
{
	if (t->i >= t->n || t->p[t->i] != '{')
		return tr_fail(t, "invalid property escape");
	size_t start = ++t->i;
	while (t->i < t->n && t->p[t->i] != '}') {
		char c = t->p[t->i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '='))
			return tr_fail(t, "invalid property name");
		t->i++;
	}
	if (t->i >= t->n)
		return tr_fail(t, "invalid property escape");
	const char *name = t->p + start;
	size_t len = t->i - start;
	t->i++;
	const char *eq = memchr(name, '=', len);
	sgp_buf_adds(b, neg ? "\\P{" : "\\p{");
	if (eq) {
		size_t kl = (size_t)(eq - name), vl = len - kl - 1;
		const char *v = eq + 1;
		if ((kl == 16 && memcmp(name, "General_Category", 16) == 0) ||
		    (kl == 2 && memcmp(name, "gc", 2) == 0)) {
			const char *m = gc_map(v, vl);
			if (m)
				sgp_buf_adds(b, m);
			else
				sgp_buf_add(b, v, vl);
		} else if ((kl == 6 && memcmp(name, "Script", 6) == 0) ||
		           (kl == 2 && memcmp(name, "sc", 2) == 0)) {
			sgp_buf_adds(b, "sc:");
			sgp_buf_add(b, v, vl);
		} else if ((kl == 17 && memcmp(name, "Script_Extensions", 17) == 0) ||
		           (kl == 3 && memcmp(name, "scx", 3) == 0)) {
			sgp_buf_adds(b, "scx:");
			sgp_buf_add(b, v, vl);
		} else {
			return tr_fail(t, "unknown property name");
		}
	} else {
		const char *m = gc_map(name, len);
		if (m)
			sgp_buf_adds(b, m);
		else
			sgp_buf_add(b, name, len);
	}
	sgp_buf_addc(b, '}');
	return 0;
}

static bool is_syntax_char(char c)
{
	return c && strchr("^$\\.*+?()[]{}|/", c) != NULL;
}

/* Class atoms. */
enum atom_kind { A_CHAR, A_SET, A_NOT_SPACE, A_NONE };

/* Parse one class atom at t->i; A_SET text goes to SET. */
static int class_atom(struct tr *t, enum atom_kind *kind, uint32_t *cp, sgp_buf *set)
{
	if (t->p[t->i] != '\\') {
		*kind = A_CHAR;
		*cp = tr_utf8(t);
		return 0;
	}
	t->i++;
	if (t->i >= t->n)
		return tr_fail(t, "\\ at end of pattern");
	char c = t->p[t->i++];
	*kind = A_CHAR;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W':
		*kind = A_SET;
		sgp_buf_addc(set, '\\');
		sgp_buf_addc(set, c);
		return 0;
	case 's':
		*kind = A_SET;
		sgp_buf_adds(set, WS_MEMBERS);
		return 0;
	case 'S':
		*kind = A_NOT_SPACE;
		return 0;
	case 'p': case 'P':
		*kind = A_SET;
		return read_property(t, c == 'P', set);
	case 'b': *cp = 8; return 0;
	case 'f': *cp = 0x0C; return 0;
	case 'n': *cp = 0x0A; return 0;
	case 'r': *cp = 0x0D; return 0;
	case 't': *cp = 0x09; return 0;
	case 'v': *cp = 0x0B; return 0;
	case '-': *cp = '-'; return 0;
	case '0':
		if (t->i < t->n && t->p[t->i] >= '0' && t->p[t->i] <= '9')
			return tr_fail(t, "invalid octal escape");
		*cp = 0;
		return 0;
	case 'c': {
		char l = t->i < t->n ? t->p[t->i] : 0;
		if (!((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z')))
			return tr_fail(t, "invalid control escape");
		t->i++;
		*cp = (uint32_t)l % 32;
		return 0;
	}
	case 'x':
		return read_hex(t, 2, cp);
	case 'u':
		return read_unicode(t, cp);
	default:
		if (is_syntax_char(c)) {
			*cp = (unsigned char)c;
			return 0;
		}
		t->i--;
		return tr_fail(t, "invalid escape in character class");
	}
}

static int tr_class(struct tr *t)
{
	sgp_buf pos = SGP_BUF_INIT;
	bool neg = false, notspace = false;
	int rc = 0;

	t->i++;  /* '[' */
	if (t->i < t->n && t->p[t->i] == '^') {
		neg = true;
		t->i++;
	}
	for (;;) {
		if (t->i >= t->n) {
			rc = tr_fail(t, "missing terminating ] for character class");
			goto out;
		}
		if (t->p[t->i] == ']') {
			t->i++;
			break;
		}
		enum atom_kind ka;
		uint32_t a = 0;
		if (class_atom(t, &ka, &a, &pos) < 0) {
			rc = -1;
			goto out;
		}
		if (ka == A_NOT_SPACE) {
			notspace = true;
			continue;
		}
		if (ka != A_CHAR)
			continue;
		if (t->i + 1 < t->n && t->p[t->i] == '-' && t->p[t->i + 1] != ']') {
			t->i++;
			enum atom_kind kb;
			uint32_t b = 0;
			sgp_buf dummy = SGP_BUF_INIT;
			rc = class_atom(t, &kb, &b, &dummy);
			sgp_buf_release(&dummy);
			if (rc < 0)
				goto out;
			if (kb != A_CHAR) {
				rc = tr_fail(t, "invalid range in character class");
				goto out;
			}
			if (b < a) {
				rc = tr_fail(t, "range out of order in character class");
				goto out;
			}
			if (a >= 0xD800 && b <= 0xDFFF)
				continue;  /* only lone surrogates: nothing in UTF-8 text */
			emit_cp(&pos, a);
			sgp_buf_addc(&pos, '-');
			emit_cp(&pos, b);
		} else if (a >= 0xD800 && a <= 0xDFFF) {
			continue;  /* a lone surrogate never occurs in UTF-8 text */
		} else {
			emit_cp(&pos, a);
		}
	}
	if (!notspace) {
		if (pos.len == 0)
			sgp_buf_adds(t->out, neg ? "[\\x{0}-\\x{10FFFF}]" : "(?!)");
		else
			sgp_buf_addf(t->out, "[%s%s]", neg ? "^" : "", pos.data);
	} else if (!neg) {
		if (pos.len)
			sgp_buf_addf(t->out, "(?:[%s]|[^" WS_MEMBERS "])", pos.data);
		else
			sgp_buf_adds(t->out, "[^" WS_MEMBERS "]");
	} else {
		if (pos.len)
			sgp_buf_addf(t->out, "(?:(?![%s])[" WS_MEMBERS "])", pos.data);
		else
			sgp_buf_adds(t->out, "[" WS_MEMBERS "]");
	}
out:
	sgp_buf_release(&pos);
	return rc;
}

static bool is_id_char(unsigned char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
	       c >= 0x80 || (!first && c >= '0' && c <= '9');
}

/* Count capturing groups, for back reference checks. */
static int count_groups(const char *p, size_t n)
{
	int g = 0;
	bool cls = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\') {
			i++;
		} else if (cls) {
			if (p[i] == ']')
				cls = false;
		} else if (p[i] == '[') {
			cls = true;
		} else if (p[i] == '(') {
			if (i + 1 < n && p[i + 1] == '?') {
				if (i + 2 < n && p[i + 2] == '<' && i + 3 < n && p[i + 3] != '=' && p[i + 3] != '!')
					g++;
			} else {
				g++;
			}
		}
	}
	return g;
}

/* After "\" outside a class. *quant says whether a quantifier may follow. */
static int tr_escape(struct tr *t, bool *quant)
{
	t->i++;
	if (t->i >= t->n)
		return tr_fail(t, "\\ at end of pattern");
	char c = t->p[t->i];
	uint32_t cp = 0;
	*quant = true;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W':
		t->i++;
		sgp_buf_addc(t->out, '\\');
		sgp_buf_addc(t->out, c);
		return 0;
	case 's':
		t->i++;
		sgp_buf_adds(t->out, "[" WS_MEMBERS "]");
		return 0;
	case 'S':
		t->i++;
		sgp_buf_adds(t->out, "[^" WS_MEMBERS "]");
		return 0;
	case 'b': case 'B':
		t->i++;
		sgp_buf_addc(t->out, '\\');
		sgp_buf_addc(t->out, c);
		*quant = false;
		return 0;
	case 'p': case 'P':
		t->i++;
		return read_property(t, c == 'P', t->out);
	case 'k': {
		t->i++;
		if (t->i >= t->n || t->p[t->i] != '<')
			return tr_fail(t, "invalid named reference");
		size_t s = ++t->i;
		while (t->i < t->n && is_id_char((unsigned char)t->p[t->i], t->i == s))
			t->i++;
		if (t->i == s || t->i >= t->n || t->p[t->i] != '>')
			return tr_fail(t, "invalid named reference");
		t->i++;
		sgp_buf_adds(t->out, "\\k<");
		sgp_buf_add(t->out, t->p + s, t->i - s - 1);
		sgp_buf_addc(t->out, '>');
		return 0;
	}
	case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
		int v = 0;
		while (t->i < t->n && t->p[t->i] >= '0' && t->p[t->i] <= '9' && v < 100000)
			v = v * 10 + (t->p[t->i++] - '0');
		if (v > t->ngroups)
			return tr_fail(t, "reference to non-existent subpattern");
		sgp_buf_addf(t->out, "\\g{%d}", v);
		return 0;
	}
	default: {
		enum atom_kind k;
		sgp_buf dummy = SGP_BUF_INIT;
		/* the remaining escapes mean the same as in a class, except \b
		 * and \- which were handled or are invalid here */
		if (c == '-') {
			t->i++;
			sgp_buf_adds(t->out, "\\-");
			return 0;
		}
		t->i--;  /* back to the backslash */
		int rc = class_atom(t, &k, &cp, &dummy);
		sgp_buf_release(&dummy);
		if (rc < 0) {
			free(t->err);
			t->err = NULL;
			return tr_fail(t, "invalid escape sequence");
		}
		if (cp >= 0xD800 && cp <= 0xDFFF)
			sgp_buf_adds(t->out, "(?!)");
		else
			emit_cp(t->out, cp);
		return 0;
	}
	}
}

/* "{n}", "{n,}", "{n,m}" at t->i?  Sets *len. */
static bool is_quantifier(const char *p, size_t n, size_t i, size_t *len, long *lo, long *hi)
{
	size_t j = i + 1;
	long a = 0, b = -1;

	if (j >= n || p[j] < '0' || p[j] > '9')
		return false;
	while (j < n && p[j] >= '0' && p[j] <= '9')
		a = a < 100000000 ? a * 10 + (p[j++] - '0') : (j++, a);
	b = a;
	if (j < n && p[j] == ',') {
		j++;
		if (j < n && p[j] >= '0' && p[j] <= '9') {
			b = 0;
			while (j < n && p[j] >= '0' && p[j] <= '9')
				b = b < 100000000 ? b * 10 + (p[j++] - '0') : (j++, b);
		} else {
			b = -1;
		}
	}
	if (j >= n || p[j] != '}')
		return false;
	*len = j + 1 - i;
	*lo = a;
	*hi = b;
	return true;
}

int js_regex_translate(const char *pat, size_t len, sgp_buf *out, char **err)
{
	struct tr t = { pat, len, 0, out, NULL, count_groups(pat, len) };
	sgp_buf groups = SGP_BUF_INIT;  /* stack: 'c' capture/plain, 'l' lookaround */
	bool quant = false;

	*err = NULL;
	while (t.i < t.n) {
		char c = t.p[t.i];
		switch (c) {
		case '\\':
			if (tr_escape(&t, &quant) < 0)
				goto fail;
			break;
		case '.':
			t.i++;
			sgp_buf_adds(out, "[^\\n\\r\\x{2028}\\x{2029}]");
			quant = true;
			break;
		case '[':
			if (tr_class(&t) < 0)
				goto fail;
			quant = true;
			break;
		case '(':
			if (t.i + 1 < t.n && t.p[t.i + 1] == '?') {
				const char *q = t.p + t.i + 2;
				size_t left = t.n - t.i - 2;
				if (left >= 1 && (q[0] == ':' || q[0] == '=' || q[0] == '!')) {
					sgp_buf_add(out, t.p + t.i, 3);
					sgp_buf_addc(&groups, q[0] == ':' ? 'c' : 'l');
					t.i += 3;
				} else if (left >= 2 && q[0] == '<' && (q[1] == '=' || q[1] == '!')) {
					sgp_buf_add(out, t.p + t.i, 4);
					sgp_buf_addc(&groups, 'l');
					t.i += 4;
				} else if (left >= 1 && q[0] == '<') {
					size_t s = t.i + 3, j = s;
					while (j < t.n && is_id_char((unsigned char)t.p[j], j == s))
						j++;
					if (j == s || j >= t.n || t.p[j] != '>') {
						t.i += 2;
						tr_fail(&t, "invalid group name");
						goto fail;
					}
					sgp_buf_add(out, t.p + t.i, j + 1 - t.i);
					sgp_buf_addc(&groups, 'c');
					t.i = j + 1;
				} else {
					t.i += 2;
					tr_fail(&t, "invalid group");
					goto fail;
				}
			} else {
				sgp_buf_addc(out, '(');
				sgp_buf_addc(&groups, 'c');
				t.i++;
			}
			quant = false;
			break;
		case ')':
			if (groups.len == 0) {
				tr_fail(&t, "unmatched closing parenthesis");
				goto fail;
			}
			quant = groups.data[--groups.len] == 'c';
			sgp_buf_addc(out, ')');
			t.i++;
			break;
		case '*': case '+': case '?': case '{': {
			size_t qlen = 1;
			long lo = 0, hi = 0;
			if (c == '{' && !is_quantifier(t.p, t.n, t.i, &qlen, &lo, &hi)) {
				/* a lone brace is a literal */
				sgp_buf_adds(out, "\\{");
				t.i++;
				quant = true;
				break;
			}
			if (!quant) {
				tr_fail(&t, "quantifier does not follow a repeatable item");
				goto fail;
			}
			if (c == '{' && hi >= 0 && hi < lo) {
				tr_fail(&t, "numbers out of order in {} quantifier");
				goto fail;
			}
			sgp_buf_add(out, t.p + t.i, qlen);
			t.i += qlen;
			if (t.i < t.n && t.p[t.i] == '?') {
				sgp_buf_addc(out, '?');
				t.i++;
			}
			quant = false;
			break;
		}
		case '|':
			sgp_buf_addc(out, '|');
			t.i++;
			quant = false;
			break;
		case '^': case '$':
			sgp_buf_addc(out, c);
			t.i++;
			quant = false;
			break;
		default: {
			uint32_t cp = tr_utf8(&t);
			if (cp >= 0x80)
				sgp_buf_add(out, t.p + t.i - (cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4),
				            cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
			else
				emit_cp(out, cp);
			quant = true;
			break;
		}
		}
	}
	if (groups.len) {
		tr_fail(&t, "missing closing parenthesis");
		goto fail;
	}
	sgp_buf_release(&groups);
	if (!out->data)
		sgp_buf_adds(out, "");
	return 0;
fail:
	sgp_buf_release(&groups);
	*err = t.err;
	return -1;
}

js_regex *js_regex_compile(const char *pat, size_t len, char **err)
{
	sgp_buf tr = SGP_BUF_INIT;

	*err = NULL;
	if (js_regex_translate(pat, len, &tr, err) < 0) {
		sgp_buf_release(&tr);
		return NULL;
	}
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)tr.data, tr.len,
	                                 PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF,
	                                 &ec, &off, NULL);
	sgp_buf_release(&tr);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		*err = xstrdup((const char *)msg);
		return NULL;
	}
	js_regex *re = xcalloc(1, sizeof(*re));
	re->code = code;
	/* SGP_NO_JIT makes PCRE2 interpret patterns: its JIT-generated code
	 * is opaque to valgrind, which then reports false errors (make
	 * valgrind sets it). */
	re->jit = getenv("SGP_NO_JIT") == NULL && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	re->source = xstrndup(pat, len);
	return re;
}

bool js_regex_is_ecma(const char *pat, size_t len)
{
	sgp_buf tr = SGP_BUF_INIT;
	char *err = NULL;
	bool ok = false;

	if (js_regex_translate(pat, len, &tr, &err) == 0) {
		int ec;
		PCRE2_SIZE off;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)tr.data, tr.len,
		                                 PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF,
		                                 &ec, &off, NULL);
		/* ECMA-262 allows lookbehind of variable length; PCRE2 before
		 * 10.43 cannot compile it, but the pattern is valid ECMA-262 */
		ok = code != NULL || ec == PCRE2_ERROR_LOOKBEHIND_NOT_FIXED_LENGTH;
		pcre2_code_free(code);
	}
	free(err);
	sgp_buf_release(&tr);
	return ok;
}

void js_regex_free(js_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
}

bool js_regex_search(const js_regex *re, const char *s, size_t n, pcre2_match_data *md)
{
	int rc;

	if (re->jit) {
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
		if (rc >= 0)
			return true;
		if (rc == PCRE2_ERROR_NOMATCH)
			return false;
		/* JIT stack exhausted or similar: the interpreter uses the heap */
	}
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, NULL);
	return rc >= 0;
}

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *p)
{
	pcre2_match_data_free(p);
}

static void md_init(void)
{
	if (pthread_key_create(&md_key, md_free) != 0)
		sgp_die(SGP_EXIT_SYSTEM, "cannot create thread key");
}

pcre2_match_data *js_thread_match_data(void)
{
	pthread_once(&md_once, md_init);
	pcre2_match_data *md = pthread_getspecific(md_key);
	if (!md) {
		/* one pair suffices: only whether there is a match matters */
		md = pcre2_match_data_create(1, NULL);
		if (!md)
			sgp_die(SGP_EXIT_SYSTEM, "out of memory");
		pthread_setspecific(md_key, md);
	}
	return md;
}
