/*
 * js_format.c: checkers for the JSON Schema "format" values, used when
 * format assertion is on.  Each follows its RFC's ABNF strictly: ASCII
 * digits only, no surrounding white space, no trailing newline.
 *
 *   date-time, date, time   RFC 3339 (leap second only at 23:59:60 UTC)
 *   duration                RFC 3339 appendix A
 *   email, idn-email        RFC 5321 Mailbox (dot-atom or quoted local
 *                           part; host name or address literal), RFC 6531
 *   hostname, idn-hostname  RFC 1123 labels; "xn--" labels must decode
 *                           (RFC 3492) canonically to a U-label allowed by
 *                           IDNA2008 (RFC 5891/5892: leading marks,
 *                           exceptions, CONTEXTJ/CONTEXTO rules, other
 *                           code points by General Category), and the
 *                           Bidi rule (RFC 5893); idn-hostname also takes
 *                           U-labels and the IDN full stops
 *   ipv4, ipv6              RFC 2673 dotted quad, RFC 4291 section 2.2
 *   uri, uri-reference      RFC 3986; iri, iri-reference RFC 3987
 *   uri-template            RFC 6570 (level 4 syntax)
 *   uuid                    RFC 4122 string form
 *   regex                   ECMA-262 (js_regex.c)
 *   json-pointer            RFC 6901; relative-json-pointer (draft)
 */
#include "js_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum js_format f;
} formats[] = {
	{ "date-time", JS_FMT_DATE_TIME }, { "date", JS_FMT_DATE }, { "time", JS_FMT_TIME },
	{ "duration", JS_FMT_DURATION }, { "email", JS_FMT_EMAIL }, { "idn-email", JS_FMT_IDN_EMAIL },
	{ "hostname", JS_FMT_HOSTNAME }, { "idn-hostname", JS_FMT_IDN_HOSTNAME },
	{ "ipv4", JS_FMT_IPV4 }, { "ipv6", JS_FMT_IPV6 }, { "uri", JS_FMT_URI },
	{ "uri-reference", JS_FMT_URI_REFERENCE }, { "iri", JS_FMT_IRI },
	{ "iri-reference", JS_FMT_IRI_REFERENCE }, { "uri-template", JS_FMT_URI_TEMPLATE },
	{ "uuid", JS_FMT_UUID }, { "regex", JS_FMT_REGEX }, { "json-pointer", JS_FMT_JSON_POINTER },
	{ "relative-json-pointer", JS_FMT_RELATIVE_JSON_POINTER },
};

enum js_format js_format_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].f;
	return JS_FMT_UNKNOWN;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* N ASCII digits at S as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ---- dates and times ---- */

static bool full_date(const char *s, size_t n)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

static bool full_time(const char *s, size_t n)
{
	if (n < 9 || s[2] != ':' || s[5] != ':')
		return false;
	int h = digits(s, 2), mi = digits(s + 3, 2), se = digits(s + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return false;
	size_t i = 8;
	if (i < n && s[i] == '.') {
		i++;
		size_t st = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st)
			return false;
	}
	int off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i != 6 || s[i + 3] != ':')
			return false;
		int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
		off = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	if (se == 60) {
		int utc = ((h * 60 + mi - off) % 1440 + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

static bool date_time(const char *s, size_t n)
{
	return n > 11 && (s[10] == 'T' || s[10] == 't') && full_date(s, 10) &&
	       full_time(s + 11, n - 11);
}

static bool duration(const char *s, size_t n)
{
	size_t i = 0;

	if (n < 2 || s[i++] != 'P')
		return false;
	/* week form */
	size_t j = i;
	while (j < n && is_digit(s[j]))
		j++;
	if (j > i && j + 1 == n && s[j] == 'W')
		return true;
	static const char date_units[] = "YMD", time_units[] = "HMS";
	int last = -1;
	bool any = false;
	while (i < n && s[i] != 'T') {
		size_t st = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st || i >= n)
			return false;
		const char *u = strchr(date_units, s[i]);
		if (!u || !*u)
			return false;
		int k = (int)(u - date_units);
		if (last >= 0 && k != last + 1)
			return false;
		last = k;
		any = true;
		i++;
	}
	if (i < n) {
		i++;  /* T */
		last = -1;
		bool anyt = false;
		while (i < n) {
			size_t st = i;
			while (i < n && is_digit(s[i]))
				i++;
			if (i == st || i >= n)
				return false;
			const char *u = strchr(time_units, s[i]);
			if (!u || !*u)
				return false;
			int k = (int)(u - time_units);
			if (last >= 0 && k != last + 1)
				return false;
			last = k;
			anyt = true;
			i++;
		}
		if (!anyt)
			return false;
		any = true;
	}
	return any;
}

/* ---- IP addresses ---- */

static bool ipv4(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		if (part) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		size_t st = i;
		int v = 0;
		while (i < n && is_digit(s[i]) && i - st < 4)
			v = v * 10 + (s[i++] - '0');
		size_t len = i - st;
		if (len == 0 || len > 3 || v > 255 || (len > 1 && s[st] == '0'))
			return false;
	}
	return i == n;
}

static bool ipv6(const char *s, size_t n)
{
	int groups = 0;
	bool dbl = false;
	size_t i = 0;

	if (n < 2)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		dbl = true;
		i = 2;
		if (i == n)
			return true;
	}
	while (i < n) {
		size_t st = i;
		while (i < n && is_hex(s[i]))
			i++;
		if (i < n && s[i] == '.') {
			/* trailing IPv4 */
			if (!ipv4(s + st, n - st))
				return false;
			groups += 2;
			i = n;
			break;
		}
		size_t len = i - st;
		if (len == 0 || len > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (dbl)
				return false;
			dbl = true;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return false;  /* trailing single colon */
		}
	}
	return dbl ? groups <= 7 : groups == 8;
}

/* ---- Unicode classes for IDNA (through PCRE2 properties) ---- */

enum uclass {
	U_PVALID, U_MARK, U_GREEK, U_HEBREW, U_HKH, U_JOINING, U_TRANSPARENT,
	/* Bidi classes, in this order (see bidi_class) */
	U_B_L, U_B_R, U_B_AL, U_B_AN, U_B_EN, U_B_ES, U_B_CS, U_B_ET, U_B_ON, U_B_BN, U_B_NSM,
	U_NCLASS
};

static const char *const uclass_src[U_NCLASS] = {
	"^[\\p{Ll}\\p{Lo}\\p{Lm}\\p{Mn}\\p{Mc}\\p{Nd}]$",
	"^\\p{M}$",
	"^\\p{Greek}$",
	"^\\p{Hebrew}$",
	"^[\\p{Hiragana}\\p{Katakana}\\p{Han}]$",
	"^(?=\\p{L})[\\p{Arabic}\\p{Syriac}\\p{Nko}\\p{Mongolian}\\p{Mandaic}\\p{Adlam}]$",
	"^\\p{Mn}$",
	"^\\p{bc:L}$", "^\\p{bc:R}$", "^\\p{bc:AL}$", "^\\p{bc:AN}$", "^\\p{bc:EN}$",
	"^\\p{bc:ES}$", "^\\p{bc:CS}$", "^\\p{bc:ET}$", "^\\p{bc:ON}$", "^\\p{bc:BN}$",
	"^\\p{bc:NSM}$",
};
static pcre2_code *uclass_re[U_NCLASS];
static pthread_once_t uclass_once = PTHREAD_ONCE_INIT;

static void uclass_init(void)
{
	for (int k = 0; k < U_NCLASS; k++) {
		int ec;
		PCRE2_SIZE off;
		uclass_re[k] = pcre2_compile((PCRE2_SPTR)uclass_src[k], PCRE2_ZERO_TERMINATED, PCRE2_UTF,
		                             &ec, &off, NULL);
		if (!uclass_re[k])
			sgp_die(SGP_EXIT_SYSTEM, "cannot compile Unicode class %d", k);
	}
}

static size_t utf8_encode(uint32_t cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static bool cp_is(enum uclass k, uint32_t cp)
{
	char b[4];

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return false;
	pthread_once(&uclass_once, uclass_init);
	size_t n = utf8_encode(cp, b);
	return pcre2_match(uclass_re[k], (PCRE2_SPTR)b, n, 0, PCRE2_NO_UTF_CHECK,
	                   js_thread_match_data(), NULL) >= 0;
}

static const uint32_t viramas[] = {
	0x094D, 0x09CD, 0x0A4D, 0x0ACD, 0x0B4D, 0x0BCD, 0x0C4D, 0x0CCD, 0x0D3B, 0x0D3C, 0x0D4D,
	0x0DCA, 0x0E3A, 0x0EBA, 0x0F84, 0x1039, 0x103A, 0x1714, 0x1715, 0x1734, 0x17D2, 0x1A60,
	0x1B44, 0x1BAA, 0x1BAB, 0x1BF2, 0x1BF3, 0x2D7F, 0xA806, 0xA82C, 0xA8C4, 0xA953, 0xA9C0,
	0xAAF6, 0xABED, 0x10A3F, 0x11046, 0x11070, 0x1107F, 0x110B9, 0x11133, 0x11134, 0x111C0,
	0x11235, 0x112EA, 0x1134D, 0x11442, 0x114C2, 0x115BF, 0x1163F, 0x116B6, 0x1172B, 0x11839,
	0x1193D, 0x1193E, 0x119E0, 0x11A34, 0x11A47, 0x11A99, 0x11C3F, 0x11D44, 0x11D45, 0x11D97,
};

static bool is_virama(uint32_t cp)
{
	for (size_t i = 0; i < sizeof(viramas) / sizeof(viramas[0]); i++)
		if (viramas[i] == cp)
			return true;
	return false;
}

#define PC_BASE 36u
#define PC_TMIN 1u
#define PC_TMAX 26u

/* RFC 3492 section 6.1 */
static uint32_t pc_adapt(size_t delta, size_t numpoints, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (uint32_t)(((PC_BASE - PC_TMIN + 1) * delta) / (delta + 38));
}

static uint32_t pc_threshold(uint32_t k, uint32_t bias)
{
	return k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
}

/* RFC 3492 decoding of the part after "xn--": code points into OUT
 * (at most MAX), their number, or 0 if malformed. */
static size_t punycode_decode(const char *s, size_t n, uint32_t *out, size_t max)
{
	uint32_t cp = 128, bias = 72;
	size_t i = 0, len = 0, b = 0;

	for (size_t j = 0; j < n; j++)
		if (s[j] == '-')
			b = j;
	for (size_t j = 0; j < b; j++) {
		if ((unsigned char)s[j] >= 0x80 || len >= max)
			return 0;
		out[len++] = (unsigned char)s[j];
	}
	for (size_t in = b > 0 ? b + 1 : 0; in < n;) {
		size_t oldi = i, w = 1;
		for (uint32_t k = PC_BASE;; k += PC_BASE) {
			if (in >= n)
				return 0;
			char c = s[in++];
			uint32_t digit;
			if (c >= 'a' && c <= 'z')
				digit = (uint32_t)(c - 'a');
			else if (c >= 'A' && c <= 'Z')
				digit = (uint32_t)(c - 'A');
			else if (c >= '0' && c <= '9')
				digit = (uint32_t)(c - '0') + 26;
			else
				return 0;
			if (digit > (SIZE_MAX - i) / w)
				return 0;
			i += digit * w;
			uint32_t t = pc_threshold(k, bias);
			if (digit < t)
				break;
			if (w > SIZE_MAX / (PC_BASE - t))
				return 0;
			w *= PC_BASE - t;
		}
		bias = pc_adapt(i - oldi, len + 1, oldi == 0);
		if (i / (len + 1) > 0x10FFFF)
			return 0;
		cp += (uint32_t)(i / (len + 1));
		i %= len + 1;
		if (cp > 0x10FFFF || len >= max)
			return 0;
		memmove(out + i + 1, out + i, (len - i) * sizeof(*out));
		out[i++] = cp;
		len++;
	}
	return len;
}

static bool pc_put(char *out, size_t *o, size_t max, uint32_t d)
{
	if (*o >= max)
		return false;
	out[(*o)++] = (char)(d < 26 ? 'a' + d : '0' + (d - 26));
	return true;
}

/* RFC 3492 encoding of N code points (without "xn--"): its length, or
 * (size_t)-1 if it needs more than MAX bytes. */
static size_t punycode_encode(const uint32_t *in, size_t n, char *out, size_t max)
{
	uint32_t cp = 128, bias = 72;
	size_t delta = 0, h, b = 0, o = 0;

	for (size_t j = 0; j < n; j++) {
		if (in[j] < 0x80) {
			if (o >= max)
				return (size_t)-1;
			out[o++] = (char)in[j];
			b++;
		}
	}
	h = b;
	if (b > 0) {
		if (o >= max)
			return (size_t)-1;
		out[o++] = '-';
	}
	while (h < n) {
		uint32_t m = 0x110000;
		for (size_t j = 0; j < n; j++)
			if (in[j] >= cp && in[j] < m)
				m = in[j];
		delta += (size_t)(m - cp) * (h + 1);
		cp = m;
		for (size_t j = 0; j < n; j++) {
			if (in[j] < cp)
				delta++;
			if (in[j] != cp)
				continue;
			size_t q = delta;
			for (uint32_t k = PC_BASE;; k += PC_BASE) {
				uint32_t t = pc_threshold(k, bias);
				if (q < t)
					break;
				if (!pc_put(out, &o, max, t + (uint32_t)((q - t) % (PC_BASE - t))))
					return (size_t)-1;
				q = (q - t) / (PC_BASE - t);
			}
			if (!pc_put(out, &o, max, (uint32_t)q))
				return (size_t)-1;
			bias = pc_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		cp++;
	}
	return o;
}

/* Bidi class of CP: index from U_B_L (0) to U_B_NSM (10), or -1 for the
 * classes no label may hold. */
static int bidi_class(uint32_t cp)
{
	if (cp < 0x80 && (is_alpha((char)cp)))
		return 0;
	if (cp >= '0' && cp <= '9')
		return U_B_EN - U_B_L;
	if (cp == '-')
		return U_B_ES - U_B_L;
	for (int k = U_B_L; k <= U_B_NSM; k++)
		if (cp_is((enum uclass)k, cp))
			return k - U_B_L;
	return -1;
}

/* RFC 5893 section 2, for one label of a Bidi domain name. */
static bool bidi_label_ok(const uint32_t *u, size_t n)
{
	enum { L, R, AL, AN, EN, ES, CS, ET, ON, BN, NSM };
	int first = bidi_class(u[0]);
	bool rtl = first == R || first == AL;
	bool en = false, an = false;
	int last = -1;

	if (first != L && !rtl)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = bidi_class(u[i]);
		if (c < 0)
			return false;
		if (rtl ? c == L : (c == R || c == AL || c == AN))
			return false;
		en |= c == EN;
		an |= c == AN;
		if (c != NSM)
			last = c;
	}
	if (rtl)
		return (last == R || last == AL || last == EN || last == AN) && !(en && an);
	return last == L || last == EN;
}

static bool has_rtl(const uint32_t *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (u[i] >= 0x0590 && (cp_is(U_B_R, u[i]) || cp_is(U_B_AL, u[i]) || cp_is(U_B_AN, u[i])))
			return true;
	return false;
}

/* IDNA2008 checks of a U-label (RFC 5891 4.2, RFC 5892). */
static bool ulabel_ok(const uint32_t *u, size_t n)
{
	bool arabic = false, ext_arabic = false;

	if (n == 0)
		return false;
	if (n >= 4 && u[2] == '-' && u[3] == '-')
		return false;
	if (u[0] == '-' || u[n - 1] == '-')
		return false;
	if (cp_is(U_MARK, u[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = u[i];
		if (c >= 0x0660 && c <= 0x0669)
			arabic = true;
		if (c >= 0x06F0 && c <= 0x06F9)
			ext_arabic = true;
	}
	if (arabic && ext_arabic)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = u[i];
		switch (c) {
		case 0x00DF: case 0x03C2: case 0x06FD: case 0x06FE: case 0x0F0B: case 0x3007:
			continue;  /* PVALID exceptions */
		case 0x0640: case 0x07FA: case 0x302E: case 0x302F: case 0x3031: case 0x3032:
		case 0x3033: case 0x3034: case 0x3035: case 0x303B:
			return false;  /* DISALLOWED exceptions */
		case 0x00B7:
			if (i == 0 || i + 1 >= n || u[i - 1] != 'l' || u[i + 1] != 'l')
				return false;
			continue;
		case 0x0375:
			if (i + 1 >= n || !cp_is(U_GREEK, u[i + 1]))
				return false;
			continue;
		case 0x05F3: case 0x05F4:
			if (i == 0 || !cp_is(U_HEBREW, u[i - 1]))
				return false;
			continue;
		case 0x30FB: {
			bool ok = false;
			for (size_t j = 0; j < n && !ok; j++)
				ok = u[j] != 0x30FB && cp_is(U_HKH, u[j]);
			if (!ok)
				return false;
			continue;
		}
		case 0x200D:
			if (i == 0 || !is_virama(u[i - 1]))
				return false;
			continue;
		case 0x200C: {
			if (i > 0 && is_virama(u[i - 1]))
				continue;
			/* (L|D) T* ZWNJ T* (R|D) */
			size_t j = i;
			while (j > 0 && cp_is(U_TRANSPARENT, u[j - 1]))
				j--;
			if (j == 0 || !cp_is(U_JOINING, u[j - 1]))
				return false;
			j = i + 1;
			while (j < n && cp_is(U_TRANSPARENT, u[j]))
				j++;
			if (j >= n || !cp_is(U_JOINING, u[j]))
				return false;
			continue;
		}
		default:
			break;
		}
		if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9))
			continue;  /* CONTEXTO digits, checked above */
		if (c == '-' || (c < 0x80 && (is_digit((char)c) || (c >= 'a' && c <= 'z'))))
			continue;
		if (c < 0x80 || !cp_is(U_PVALID, c))
			return false;
	}
	return true;
}

/* A label separator at S[I] ('.', and for IDNs U+3002, U+FF0E, U+FF61):
 * its length in bytes, or 0. */
static size_t label_sep(const char *s, size_t n, size_t i, bool idn)
{
	const unsigned char *u = (const unsigned char *)s + i;

	if (s[i] == '.')
		return 1;
	if (!idn || n - i < 3)
		return 0;
	if ((u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x82) ||
	    (u[0] == 0xEF && u[1] == 0xBC && u[2] == 0x8E) ||
	    (u[0] == 0xEF && u[1] == 0xBD && u[2] == 0xA1))
		return 3;
	return 0;
}

/* Decode valid UTF-8 into code points (at most MAX); count or -1. */
static size_t utf8_decode(const char *s, size_t n, uint32_t *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)s + i;
		uint32_t c;
		size_t len;
		if (u[0] < 0x80) {
			c = u[0];
			len = 1;
		} else if (u[0] >= 0xF0 && n - i >= 4) {
			c = ((u[0] & 7u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
			len = 4;
		} else if (u[0] >= 0xE0 && n - i >= 3) {
			c = ((u[0] & 0xFu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
			len = 3;
		} else if (u[0] >= 0xC0 && n - i >= 2) {
			c = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
			len = 2;
		} else {
			return (size_t)-1;
		}
		if (k >= max)
			return (size_t)-1;
		out[k++] = c;
		i += len;
	}
	return k;
}

#define MAX_LABELS 128
#define MAX_CPS 1024

/* A host name (RFC 1123 labels; "xn--" labels checked as IDNA2008
 * A-labels), or with IDN an internationalized one whose non-ASCII labels
 * are IDNA2008 U-labels.  Lengths count the A-label form: labels at most
 * 63 octets, the name at most 253.  The Bidi rule applies to names with
 * a right-to-left label. */
static bool domain(const char *s, size_t n, bool idn)
{
	uint32_t cps[MAX_CPS];
	size_t lstart[MAX_LABELS], llen[MAX_LABELS], nl = 0, ncp = 0, total = 0;
	bool rtl = false;

	if (n == 0 || n > 4 * 253)
		return false;
	size_t i = 0;
	for (;;) {
		size_t st = i, sep = 0;
		while (i < n && !(sep = label_sep(s, n, i, idn)))
			i++;
		size_t len = i - st;
		const char *l = s + st;
		if (len == 0 || nl >= MAX_LABELS)
			return false;
		bool ascii = true;
		for (size_t j = 0; j < len; j++)
			ascii &= (unsigned char)l[j] < 0x80;
		uint32_t *u = cps + ncp;
		size_t un = 0, alen = len;
		if (ascii) {
			if (len > 63 || l[0] == '-' || l[len - 1] == '-')
				return false;
			for (size_t j = 0; j < len; j++)
				if (!is_alpha(l[j]) && !is_digit(l[j]) && l[j] != '-')
					return false;
			if (len >= 4 && l[2] == '-' && l[3] == '-') {
				if (!((l[0] == 'x' || l[0] == 'X') && (l[1] == 'n' || l[1] == 'N')))
					return false;
				un = punycode_decode(l + 4, len - 4, u, MAX_CPS - ncp);
				if (!un || !ulabel_ok(u, un))
					return false;
				bool all_ascii = true;
				for (size_t j = 0; j < un; j++)
					all_ascii &= u[j] < 0x80;
				if (all_ascii)
					return false;
				/* canonical: re-encodes to the same text */
				char enc[64];
				size_t el = punycode_encode(u, un, enc, sizeof(enc));
				if (el != len - 4)
					return false;
				for (size_t j = 0; j < el; j++)
					if (lower(enc[j]) != lower(l[4 + j]))
						return false;
			} else {
				for (size_t j = 0; j < len; j++)
					u[un++] = (unsigned char)l[j];
			}
		} else {
			if (!idn)
				return false;
			un = utf8_decode(l, len, u, MAX_CPS - ncp);
			if (un == (size_t)-1 || !ulabel_ok(u, un))
				return false;
			char enc[64];
			size_t el = punycode_encode(u, un, enc, 59);
			if (el == (size_t)-1)
				return false;
			alen = 4 + el;
		}
		lstart[nl] = ncp;
		llen[nl] = un;
		nl++;
		ncp += un;
		total += alen + 1;
		if (!rtl)
			rtl = has_rtl(u, un);
		if (i == n)
			break;
		i += sep;
		if (i == n)
			return false;  /* trailing separator */
	}
	if (total - 1 > 253)
		return false;
	if (rtl) {
		for (size_t k = 0; k < nl; k++)
			if (!bidi_label_ok(cps + lstart[k], llen[k]))
				return false;
	}
	return true;
}

/* ---- email ---- */

static bool atext(char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5321 Mailbox; with IDN (RFC 6531) the local part may hold any
 * non-ASCII character and the domain is an internationalized host name. */
static bool email(const char *s, size_t n, bool idn)
{
	size_t i = 0;

	if (n == 0)
		return false;
	if (s[0] == '"') {
		i = 1;
		while (i < n && s[i] != '"') {
			unsigned char c = (unsigned char)s[i];
			if (c == '\\') {
				if (i + 1 >= n || (unsigned char)s[i + 1] < 0x20)
					return false;
				i += 2;
				continue;
			}
			if (c < 0x20 || c == 0x7F || (c >= 0x80 && !idn))
				return false;
			i++;
		}
		if (i >= n)
			return false;
		i++;
	} else {
		bool dot_ok = false;
		while (i < n && s[i] != '@') {
			if (s[i] == '.') {
				if (!dot_ok)
					return false;
				dot_ok = false;
			} else if (atext(s[i]) || (idn && (unsigned char)s[i] >= 0x80)) {
				dot_ok = true;
			} else {
				return false;
			}
			i++;
		}
		if (!dot_ok)
			return false;
	}
	if (i >= n || s[i] != '@')
		return false;
	const char *d = s + i + 1;
	size_t dn = n - i - 1;
	if (dn >= 2 && d[0] == '[' && d[dn - 1] == ']') {
		if (dn > 7 && strncmp(d + 1, "IPv6:", 5) == 0)
			return ipv6(d + 6, dn - 7);
		return ipv4(d + 1, dn - 2);
	}
	return domain(d, dn, idn);
}

/* ---- URIs (RFC 3986, RFC 3987) ---- */

static bool unreserved(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool sub_delim(char c)
{
	return c && strchr("!$&'()*+,;=", c);
}

/* Length of the UTF-8 sequence at S if it is an allowed IRI character
 * (ucschar or iprivate), else 0. */
static size_t iri_char(const char *s, size_t n, bool private_ok)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t len;

	if (u[0] < 0xC0)
		return 0;
	if (u[0] >= 0xF0 && n >= 4) {
		c = ((u[0] & 7u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
		len = 4;
	} else if (u[0] >= 0xE0 && n >= 3) {
		c = ((u[0] & 0xFu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
		len = 3;
	} else if (n >= 2) {
		c = ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
		len = 2;
	} else {
		return 0;
	}
	if ((c >= 0xE000 && c <= 0xF8FF) || (c >= 0xF0000 && c <= 0xFFFFD) ||
	    (c >= 0x100000 && c <= 0x10FFFD))
		return private_ok ? len : 0;
	if (c < 0xA0 || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF ||
	    (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
		return 0;
	return len;
}

/* Scan characters of a URI component: unreserved, pct-encoded,
 * sub-delims and EXTRA; non-ASCII when IRI.  Returns the length scanned
 * or (size_t)-1 on a bad percent escape. */
static size_t scan(const char *s, size_t n, const char *extra, bool iri, bool private_ok)
{
	size_t i = 0;

	while (i < n) {
		char c = s[i];
		if (unreserved(c) || sub_delim(c) || (c && strchr(extra, c))) {
			i++;
		} else if (c == '%') {
			if (i + 2 >= n)
				return (size_t)-1;
			if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return (size_t)-1;
			i += 3;
		} else if (iri && (unsigned char)c >= 0x80) {
			size_t k = iri_char(s + i, n - i, private_ok);
			if (!k)
				return i;
			i += k;
		} else {
			return i;
		}
	}
	return i;
}

static bool authority(const char *s, size_t n, bool iri)
{
	const char *at = memchr(s, '@', n);
	if (at) {
		size_t ul = (size_t)(at - s);
		if (scan(s, ul, ":", iri, false) != ul)
			return false;
		n -= ul + 1;
		s = at + 1;
	}
	size_t hl;
	if (n && s[0] == '[') {
		const char *e = memchr(s, ']', n);
		if (!e)
			return false;
		size_t il = (size_t)(e - s - 1);
		const char *ip = s + 1;
		if (il > 1 && (ip[0] == 'v' || ip[0] == 'V')) {
			size_t k = 1;
			while (k < il && is_hex(ip[k]))
				k++;
			if (k == 1 || k >= il || ip[k] != '.' || k + 1 >= il)
				return false;
			for (k++; k < il; k++)
				if (!unreserved(ip[k]) && !sub_delim(ip[k]) && ip[k] != ':')
					return false;
		} else if (!ipv6(ip, il)) {
			return false;
		}
		hl = (size_t)(e - s) + 1;
	} else {
		hl = scan(s, n, "", iri, false);
		if (hl == (size_t)-1)
			return false;
	}
	if (hl == n)
		return true;
	if (s[hl] != ':')
		return false;
	for (size_t k = hl + 1; k < n; k++)
		if (!is_digit(s[k]))
			return false;
	return true;
}

static bool uri_like(const char *s, size_t n, bool iri, bool ref)
{
	size_t i = 0;

	/* scheme */
	size_t k = 0;
	while (k < n && (is_alpha(s[k]) || is_digit(s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
		k++;
	bool has_scheme = k > 0 && k < n && s[k] == ':' && is_alpha(s[0]);
	if (has_scheme)
		i = k + 1;
	else if (!ref)
		return false;

	/* hier-part / relative-part */
	size_t pe = i;
	while (pe < n && s[pe] != '?' && s[pe] != '#')
		pe++;
	const char *p = s + i;
	size_t pn = pe - i;
	if (pn >= 2 && p[0] == '/' && p[1] == '/') {
		size_t ae = 2;
		while (ae < pn && p[ae] != '/')
			ae++;
		if (!authority(p + 2, ae - 2, iri))
			return false;
		p += ae;
		pn -= ae;
	} else if (!has_scheme && pn) {
		/* path-noscheme: no ':' in the first segment */
		const char *slash = memchr(p, '/', pn);
		size_t first = slash ? (size_t)(slash - p) : pn;
		if (memchr(p, ':', first))
			return false;
	}
	if (scan(p, pn, ":@/", iri, false) != pn)
		return false;
	i = pe;
	if (i < n && s[i] == '?') {
		size_t qe = i + 1;
		while (qe < n && s[qe] != '#')
			qe++;
		if (scan(s + i + 1, qe - i - 1, ":@/?", iri, true) != qe - i - 1)
			return false;
		i = qe;
	}
	if (i < n && s[i] == '#') {
		if (scan(s + i + 1, n - i - 1, ":@/?", iri, false) != n - i - 1)
			return false;
		i = n;
	}
	return i == n;
}

static bool uri_template(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '{') {
			i++;
			if (i < n && strchr("+#./;?&=,!@|", s[i]) && s[i])
				i++;
			for (;;) {
				/* varname */
				size_t st = i;
				bool dot_ok = false;
				while (i < n) {
					if (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_') {
						i++;
						dot_ok = true;
					} else if (s[i] == '%' && i + 2 < n && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
						i += 3;
						dot_ok = true;
					} else if (s[i] == '.' && dot_ok) {
						i++;
						dot_ok = false;
					} else {
						break;
					}
				}
				if (i == st || !dot_ok)
					return false;
				if (i < n && s[i] == ':') {
					i++;
					if (i >= n || s[i] < '1' || s[i] > '9')
						return false;
					size_t ds = i;
					while (i < n && is_digit(s[i]))
						i++;
					if (i - ds > 4)
						return false;
				} else if (i < n && s[i] == '*') {
					i++;
				}
				if (i < n && s[i] == ',') {
					i++;
					continue;
				}
				break;
			}
			if (i >= n || s[i] != '}')
				return false;
			i++;
		} else if (c == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 3;
		} else if (c >= 0x80) {
			size_t k = iri_char(s + i, n - i, true);
			if (!k)
				return false;
			i += k;
		} else if (c <= 0x20 || c == 0x7F || strchr("\"<>\\^`{|}", c)) {
			return false;
		} else {
			i++;
		}
	}
	return true;
}

static bool uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!is_hex(s[i])) {
			return false;
		}
	}
	return true;
}

static bool json_pointer(const char *s, size_t n)
{
	if (n && s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
			return false;
	return true;
}

static bool relative_json_pointer(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(s[i]))
		i++;
	if (i == 0 || (i > 1 && s[0] == '0'))
		return false;
	if (i < n && s[i] == '#')
		return i + 1 == n;
	return json_pointer(s + i, n - i);
}

bool js_format_check(enum js_format f, const char *s, size_t n)
{
	switch (f) {
	case JS_FMT_DATE_TIME: return date_time(s, n);
	case JS_FMT_DATE: return full_date(s, n);
	case JS_FMT_TIME: return full_time(s, n);
	case JS_FMT_DURATION: return duration(s, n);
	case JS_FMT_EMAIL: return email(s, n, false);
	case JS_FMT_IDN_EMAIL: return email(s, n, true);
	case JS_FMT_HOSTNAME: return domain(s, n, false);
	case JS_FMT_IDN_HOSTNAME: return domain(s, n, true);
	case JS_FMT_IPV4: return ipv4(s, n);
	case JS_FMT_IPV6: return ipv6(s, n);
	case JS_FMT_URI: return uri_like(s, n, false, false);
	case JS_FMT_URI_REFERENCE: return uri_like(s, n, false, true);
	case JS_FMT_IRI: return uri_like(s, n, true, false);
	case JS_FMT_IRI_REFERENCE: return uri_like(s, n, true, true);
	case JS_FMT_URI_TEMPLATE: return uri_template(s, n);
	case JS_FMT_UUID: return uuid(s, n);
	case JS_FMT_JSON_POINTER: return json_pointer(s, n);
	case JS_FMT_RELATIVE_JSON_POINTER: return relative_json_pointer(s, n);
	case JS_FMT_REGEX: return js_regex_is_ecma(s, n);
	default:
		return true;
	}
}
