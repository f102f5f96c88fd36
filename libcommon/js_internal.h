/*
 * js_internal.h: shared internals of the JSON Schema module (jsonschema.c,
 * js_registry.c, js_base.c, js_uri.c, js_regex.c, js_format.c).  Not an
 * API for other modules: use jsonschema.h.
 */
#ifndef SGP_JS_INTERNAL_H
#define SGP_JS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "jsonschema.h"
#include "util.h"

/* ---- arena (js_base.c): many small allocations freed at once ---- */

typedef struct js_arena {
	struct js_chunk *head;
} js_arena;

void *js_arena_alloc(js_arena *a, size_t n);          /* zeroed */
char *js_arena_strdup(js_arena *a, const char *s);
char *js_arena_strndup(js_arena *a, const char *s, size_t n);
void js_arena_release(js_arena *a);

/* ---- hash map (js_base.c), keyed by string or by pointer ---- */

struct js_map_ent {
	const void *key;      /* NULL = empty slot */
	void *val;
	uint32_t hash;
};

typedef struct js_map {
	struct js_map_ent *e;
	size_t n, cap;
} js_map;

uint32_t js_hash_bytes(const void *p, size_t n);
/* String keys: the key string must outlive the map. */
void *js_map_get_str(const js_map *m, const char *key);
void js_map_put_str(js_map *m, const char *key, void *val);
void *js_map_get_ptr(const js_map *m, const void *key);
void js_map_put_ptr(js_map *m, const void *key, void *val);
void js_map_release(js_map *m);

/* ---- JSON values (js_base.c) ---- */

/* JSON Schema equality: numbers by value (1 == 1.0), objects and arrays
 * deeply (values nested over 4096 levels compare unequal), strings
 * bytewise. */
bool js_json_equal(const json_t *a, const json_t *b);
/* Whether a number is an integer (1.0 is). */
bool js_number_is_integer(const json_t *v);
/* Compare two JSON numbers exactly: <0, 0, >0. */
int js_number_cmp(const json_t *a, const json_t *b);
/* Whether a JSON number is a non-negative integer that fits size_t. */
bool js_json_to_size(const json_t *v, size_t *out);

/* A number as an exact decimal: sign * mant * 10^exp, from the shortest
 * decimal text that reads back as the same double (or from the integer). */
struct js_decimal {
	bool neg;
	uint64_t mant;
	int exp;
};
void js_decimal_of(const json_t *v, struct js_decimal *d);
/* Whether A is an integer multiple of B (B != 0), exactly. */
bool js_decimal_multiple(const struct js_decimal *a, const struct js_decimal *b);

/* Number of Unicode code points in valid UTF-8. */
size_t js_utf8_length(const char *s, size_t n);

/* Render a value for a message: compact JSON, cut at about MAX bytes with
 * "..." appended. */
void js_render_value(sgp_buf *b, const json_t *v, size_t max);

/* ---- URIs and JSON Pointers (js_uri.c) ---- */

/* Resolve REF against BASE (RFC 3986 section 5.2, dot segments removed,
 * scheme and host lowercased).  BASE may be NULL.  Caller frees. */
char *js_uri_resolve(const char *base, const char *ref);
/* Whether S has a scheme. */
bool js_uri_has_scheme(const char *s);
/* Split URI at '#': returns a new string without the fragment; *frag
 * points into URI after '#' (NULL if none). */
char *js_uri_strip_fragment(const char *uri, const char **frag);
/* Percent-decode S (n bytes) into a new string; NULL if malformed. */
char *js_percent_decode(const char *s, size_t n);
/* Append S escaped as a JSON Pointer segment (~ -> ~0, / -> ~1). */
void js_pointer_escape(sgp_buf *b, const char *s, size_t n);
/* Follow JSON Pointer PTR ("" or "/a/b") from ROOT.  Calls VISIT (may be
 * NULL) after each step with the value reached and the unescaped segment.
 * Returns the target or NULL. */
json_t *js_pointer_get(json_t *root, const char *ptr,
                       void (*visit)(void *arg, json_t *v, const char *seg), void *arg);

/* ---- regular expressions (js_regex.c) ---- */

typedef struct js_regex {
	pcre2_code *code;
	bool jit;
	char *source;      /* the ECMA-262 pattern as written */
} js_regex;

/* Translate an ECMA-262 (u flag) pattern into PCRE2 syntax.  Returns 0,
 * or -1 with *err set (caller frees) for syntax ECMA-262 refuses. */
int js_regex_translate(const char *pat, size_t len, sgp_buf *out, char **err);
/* Compile (and JIT-compile) an ECMA-262 pattern.  NULL with *err set
 * (caller frees) when it is invalid: "missing closing parenthesis at
 * offset 4". */
js_regex *js_regex_compile(const char *pat, size_t len, char **err);
void js_regex_free(js_regex *re);
/* Whether PAT is a valid ECMA-262 pattern (format "regex"). */
bool js_regex_is_ecma(const char *pat, size_t len);
/* Unanchored search in S (valid UTF-8).  MD from js_thread_match_data. */
bool js_regex_search(const js_regex *re, const char *s, size_t n, pcre2_match_data *md);
/* The calling thread's match data (created on first use, freed at thread
 * exit). */
pcre2_match_data *js_thread_match_data(void);

/* ---- formats (js_format.c) ---- */

enum js_format {
	JS_FMT_UNKNOWN = 0,
	JS_FMT_DATE_TIME, JS_FMT_DATE, JS_FMT_TIME, JS_FMT_DURATION,
	JS_FMT_EMAIL, JS_FMT_IDN_EMAIL, JS_FMT_HOSTNAME, JS_FMT_IDN_HOSTNAME,
	JS_FMT_IPV4, JS_FMT_IPV6,
	JS_FMT_URI, JS_FMT_URI_REFERENCE, JS_FMT_IRI, JS_FMT_IRI_REFERENCE,
	JS_FMT_URI_TEMPLATE, JS_FMT_UUID, JS_FMT_REGEX,
	JS_FMT_JSON_POINTER, JS_FMT_RELATIVE_JSON_POINTER,
};

/* The checker for NAME, or JS_FMT_UNKNOWN (unknown formats always pass). */
enum js_format js_format_lookup(const char *name);
/* Whether S (valid UTF-8, N bytes) conforms to format F. */
bool js_format_check(enum js_format f, const char *s, size_t n);

/* ---- registry internals shared with the compiler (js_registry.c) ---- */

/* Vocabularies of draft 2020-12. */
enum {
	JS_V_CORE = 1 << 0,
	JS_V_APPLICATOR = 1 << 1,
	JS_V_UNEVALUATED = 1 << 2,
	JS_V_VALIDATION = 1 << 3,
	JS_V_METADATA = 1 << 4,
	JS_V_FORMAT_ANNOTATION = 1 << 5,
	JS_V_FORMAT_ASSERTION = 1 << 6,
	JS_V_CONTENT = 1 << 7,
};
#define JS_V_DEFAULT (JS_V_CORE | JS_V_APPLICATOR | JS_V_UNEVALUATED | JS_V_VALIDATION | \
                      JS_V_METADATA | JS_V_FORMAT_ANNOTATION | JS_V_CONTENT)

#define JS_META_2020_12 "https://json-schema.org/draft/2020-12/schema"
#define JS_META_DRAFT7 "http://json-schema.org/draft-07/schema"

/* Where a subschema sits: the base URI of its resource, its JSON Pointer
 * from the resource root, the resource root, and the $schema in force
 * (NULL: none, the compile options' default dialect applies). */
struct js_loc {
	const char *base;
	const char *ptr;
	json_t *res;
	const char *meta;
};

/* An index of schema documents: resources and anchors by URI, locations
 * of subschemas, dynamic anchors per resource. */
struct js_dynanchor {
	struct js_dynanchor *next;
	const char *name;
	json_t *schema;
};

struct js_index {
	js_arena arena;
	js_map uris;     /* "abs-uri" and "abs-uri#anchor" -> json_t * */
	js_map locs;     /* json_t * (subschema) -> struct js_loc * */
	js_map dyn;      /* json_t * (resource root) -> struct js_dynanchor * */
};

void js_index_release(struct js_index *ix);
/* Index DOC (a schema document) known at BASE. */
void js_index_doc(struct js_index *ix, js_registry *r, json_t *doc, const char *base);
/* The location of CHILD, a subschema of the schema at PARENT reached
 * through the JSON Pointer segment(s) SEG (already escaped, "/items"). */
struct js_loc *js_child_loc(js_arena *a, js_registry *r, const struct js_loc *parent,
                            json_t *child, const char *seg);

/* Resolve a resource or anchor URI ("abs" or "abs#anchor", no pointer
 * fragment) through the registry, loading through prefix mappings. */
json_t *js_registry_lookup(js_registry *r, const char *uri);
/* The location of a subschema of a registry document, or NULL. */
struct js_loc *js_registry_loc(js_registry *r, json_t *s);
/* The dynamic anchors of a registry resource root. */
struct js_dynanchor *js_registry_dyn(js_registry *r, json_t *res);

/* Dialect and vocabularies selected by meta-schema URI META (NULL: the
 * default dialect DEF).  Returns 0, or -1 with *err set (caller frees). */
int js_meta_info(js_registry *r, const char *meta, enum js_dialect def,
                 enum js_dialect *dialect, unsigned *vocab, char **err);

/* Cache of compiled meta-schemas for js_check_schema. */
js_schema *js_registry_checker(js_registry *r, const char *meta_uri);
void js_registry_set_checker(js_registry *r, const char *meta_uri, js_schema *s);

/* A fresh unique base URI for a schema compiled without any. */
char *js_registry_anon_uri(js_registry *r);

#endif
