/*
 * map_internal.h: the compiled form of a mapping spec, shared by the
 * mapping engine's files (mapping.c loads, map_apply.c runs,
 * map_ptr.c resolves pointers and templates, map_table.c holds value
 * maps and CSV crosswalks, map_examples.c runs examples and lists
 * fields).  Not part of the public API: see mapping.h.
 */
#ifndef SGP_MAP_INTERNAL_H
#define SGP_MAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "currency.h"
#include "decimal.h"
#include "mapping.h"
#include "sgptime.h"
#include "util.h"

/* ---- JSON Pointers ----------------------------------------------------- */

enum map_scope {
	SC_ITEM,     /* "/a/b": the current item (the record, or the array element) */
	SC_RECORD,   /* "record:/a": the record (vendor payload, event data) */
	SC_EVENT,    /* "event:/a": the input event's envelope */
	SC_PARAM,    /* "param:name": a spec parameter */
};

struct map_tok {
	char *s;
	size_t len;
	long idx;        /* the token as an array index, or -1 */
	/* "[NAME=VALUE]": in an array, the first element that is an object
	 * whose member NAME is VALUE (a string, or a number's text) */
	char *skey, *sval;
	size_t sklen, svlen;
};

struct map_ptr {
	enum map_scope scope;
	char *text;      /* as written, for messages */
	struct map_tok *tok;
	size_t ntok;
	const json_t *param;   /* SC_PARAM: the value (borrowed from the spec's params) */
};

/* Compile TEXT ("/a/b", "record:/a", "event:/id", "param:x"); params is
 * the spec's params object (for param:).  Returns 0, or -1 with a
 * message in err (size errsz). */
int map_ptr_compile(struct map_ptr *p, const char *text, const json_t *params,
		    char *err, size_t errsz);
void map_ptr_release(struct map_ptr *p);
/* Resolve against the given roots; NULL when missing.  A JSON null is
 * returned as it is (callers treat it as missing). */
const json_t *map_ptr_get(const struct map_ptr *p, const json_t *item, const json_t *record,
			  const json_t *event);

/* ---- templates --------------------------------------------------------- */

struct map_seg {
	char *lit;       /* literal text, or NULL for a pointer */
	size_t litlen;
	struct map_ptr ptr;
};

struct map_tpl {
	struct map_seg *seg;
	size_t nseg;
};

/* "INV-{/number}" -> segments; "{{" and "}}" are literal braces. */
int map_tpl_compile(struct map_tpl *t, const char *text, const json_t *params,
		    char *err, size_t errsz);
void map_tpl_release(struct map_tpl *t);

/* ---- hash tables (value maps, lookups) --------------------------------- */

struct map_hent {
	const char *key;
	size_t klen;
	size_t val;      /* index into the owner's values */
};

struct map_hash {
	struct map_hent *v;
	size_t cap;      /* power of two */
	size_t n;
};

void map_hash_init(struct map_hash *h, size_t expected);
void map_hash_release(struct map_hash *h);
/* Insert key (borrowed: must outlive the table) -> val.  Returns 0, or
 * -1 if the key is already there (*old set to its value). */
int map_hash_put(struct map_hash *h, const char *key, size_t klen, size_t val, size_t *old);
/* Value of key, or (size_t)-1. */
size_t map_hash_get(const struct map_hash *h, const char *key, size_t klen);

/* A value map: "paid" -> "posted". */
struct map_vmap {
	struct map_hash h;
	char **keys;
	json_t **vals;     /* owned references */
	char **texts;      /* each value as JSON text */
	size_t *lens;
	size_t n;
};

/* A CSV crosswalk table: rows keyed by one column. */
struct map_table {
	char *name;        /* as declared in "lookups" */
	char *file;        /* resolved path */
	size_t ncols;
	char **cols;       /* column names */
	size_t keycol, valcol;
	char ***rows;      /* rows[i][col] */
	size_t nrows;
	struct map_hash h; /* key -> row */
};

/* Load FILE (CSV with a header row).  Returns NULL with err set on an
 * unreadable or malformed file, a missing column or a duplicate key. */
struct map_table *map_table_load(const char *name, const char *file, const char *keycol,
				 const char *valcol, char *err, size_t errsz);
void map_table_free(struct map_table *t);
/* Column index or -1. */
long map_table_col(const struct map_table *t, const char *name);

/* ---- conditions -------------------------------------------------------- */

enum map_cond_kind { MC_ALL, MC_ANY, MC_NOT, MC_LEAF, MC_EMITS };
enum map_cond_op { OP_EXISTS, OP_EQ, OP_NE, OP_IN, OP_LT, OP_LE, OP_GT, OP_GE, OP_STARTS };

struct map_cond {
	enum map_cond_kind kind;
	struct map_cond *kids;
	size_t nkids;
	struct map_ptr ptr;      /* MC_LEAF: what is tested */
	enum map_cond_op op;
	json_t *operand;         /* owned reference: eq, ne, in, exists, starts_with */
	sgp_dec num;             /* lt, le, gt, ge */
	char *emits;             /* MC_EMITS: the type */
	char *loc;               /* place in the spec, for messages */
};

/* ---- field rules ------------------------------------------------------- */

enum map_src { MS_FROM, MS_CONST, MS_TEMPLATE, MS_CONCAT, MS_HASH, MS_EACH, MS_FIELDS, MS_LIST,
	       MS_TEST };

enum map_conv {
	CV_NONE, CV_STRING, CV_INTEGER, CV_BOOLEAN, CV_DECIMAL, CV_MONEY, CV_TIME, CV_DATE,
	CV_CURRENCY,
};

enum map_out { OUT_STRING, OUT_NUMBER, OUT_MINOR };
enum map_tfmt { TF_AUTO, TF_EPOCH_S, TF_EPOCH_MS, TF_RFC3339, TF_DATE, TF_PATTERN };
enum map_tout { TO_DATETIME, TO_DATETIME_MS, TO_DATE, TO_EPOCH_S, TO_EPOCH_MS };
enum map_case { CASE_NONE, CASE_UPPER, CASE_LOWER };

/* A part of "concat" or "hash": a pointer or a constant text. */
struct map_part {
	bool is_ptr;
	struct map_ptr ptr;
	char *lit;
	size_t litlen;
};

struct map_rule {
	char *name;              /* output member name (NULL for envelope rules) */
	char *key_json;          /* "\"name\":" */
	size_t key_len;
	char *loc;               /* place in the spec: "/emit/0/data/total" */
	char *opath;             /* output path: "/data/total"; array elements are "*" */
	enum map_src src;
	struct map_ptr *from;    /* MS_FROM: first present wins */
	size_t nfrom;
	json_t *cval;            /* MS_CONST (owned) */
	char *ctext;             /* its JSON text */
	size_t ctext_len;
	struct map_tpl tpl;      /* MS_TEMPLATE */
	struct map_part *parts;  /* MS_CONCAT, MS_HASH */
	size_t nparts;
	char *sep;               /* concat separator */
	size_t seplen;
	char *hprefix;           /* hash prefix */
	int hlen;                /* hex digits of the hash kept, 1..64 */
	struct map_ptr each;     /* MS_EACH: the array */
	struct map_cond *where;  /* MS_EACH: element filter */
	struct map_rule *fields; /* MS_EACH, MS_FIELDS: members; MS_LIST: elements */
	struct map_cond *test;   /* MS_TEST: the condition whose truth is the value */
	size_t nfields;

	bool trim;
	enum map_case cas;
	struct map_vmap *vmap;
	bool map_keep;           /* a value not in "map" is kept as it is */
	struct map_table *table; /* lookup (borrowed from the mapping) */
	size_t tcol;

	enum map_conv conv;
	struct map_ptr *cur_ptr; /* money: currency from the record */
	struct map_rule *cur_rule; /* money: currency from a rule (e.g. a lookup) */
	const struct sgp_currency *cur_const;
	bool minor;              /* money: the value is in minor units */
	int scale;               /* money/decimal: output scale; -1 = currency's or as given */
	enum sgp_round round;
	enum map_out out;
	enum map_tfmt tfmt;
	char *tpattern;
	int toffset;             /* pattern without %z: offset in seconds */
	enum map_tout tout;

	json_t *def;             /* default (owned), or NULL */
	char *dtext;
	size_t dtext_len;
	bool required;
	struct map_cond *when;
};

/* A type choice: a leaf names the type; otherwise if cond then a else b. */
struct map_tsel {
	char *type;
	struct map_cond *cond;
	struct map_tsel *then_, *else_;
};

struct map_emit {
	struct map_tsel *tsel;
	struct map_cond *when;
	char *schema;
	struct map_rule *occurred_at;
	struct map_rule *correlation_id;
	struct map_rule data;      /* MS_FIELDS */
	size_t index;
};

struct sgp_mapping {
	char *name;
	char *path;
	json_t *spec;
	json_t *params;            /* owned copy, overrides applied */
	char **types;
	size_t ntypes;
	struct map_cond *match_when;
	struct map_rule *rec_id, *rec_rev;
	struct map_table **tables;
	size_t ntables;
	struct map_emit *emits;
	size_t nemits;
	bool uses_event;           /* some pointer has the event: scope */
};

/* ---- run-time context -------------------------------------------------- */

struct map_err {
	char *path;
	const char *keyword;
	const char *reason;
	char *message;
};

struct map_val {
	enum { VK_NONE, VK_JSON, VK_STR } kind;
	const json_t *j;
	const char *s;
	size_t n;
	const struct map_ptr *from;   /* the pointer it came from, for messages; or NULL */
};

/* The identity of the record being mapped, as text. */
struct map_parent {
	sgp_buf id, key, corr, source, occurred;
	sgp_buf rid, rrev;         /* a plain record's id and revision */
	int have_corr, have_occurred;
};

struct sgp_map_ctx {
	sgp_buf sb[2];             /* scratch strings; a live value sits in one */
	int cur;
	sgp_buf tb;                /* template, concat, hash assembly */
	sgp_buf data;              /* data of the event being built */
	sgp_buf evs;               /* events of the record so far */
	sgp_buf path;              /* output path of the field being built */
	sgp_buf misc;              /* message excerpts */
	sgp_buf key;               /* idempotency key of the event being built */
	struct map_parent par;     /* the input's identity */
	sgp_buf curb;              /* a money rule's currency from a rule */
	sgp_buf vsave;             /* the amount kept aside meanwhile */
	sgp_buf src;               /* source prefix of the array elements being mapped */
	char **names;              /* message strings of the current record */
	size_t nnames, capnames;
	struct map_err *errs;
	size_t nerrs, caperrs;
	EVP_MD_CTX *md;
	EVP_MD *sha256;
	/* per record */
	const sgp_mapping *m;
	const json_t *record;
	const json_t *event;       /* envelope view (the input event or a synthetic one) */
	json_t *synth;             /* synthetic envelope of a plain record, when built */
	const char *type;          /* type being emitted */
};

/* Record an error of the current record. */
void map_error(sgp_map_ctx *c, const char *reason, const char *keyword, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void map_errors_clear(sgp_map_ctx *c);

/* JSON value -> JSON text (numbers: integers exactly, reals as their
 * shortest round-trip decimal). */
void map_json_add(sgp_buf *b, const json_t *v);
/* Scalar -> its text (strings raw, numbers as above, booleans, null);
 * returns -1 for objects and arrays. */
int map_scalar_text(sgp_buf *b, const json_t *v);
/* Human name of a JSON value's type: "a string", "an object", ... */
const char *map_json_what(const json_t *v);

/* Lower-case hex SHA-256 of data into out[65] with the context's hasher. */
void map_sha256_hex(sgp_map_ctx *c, const void *data, size_t n, char out[65]);

/* The calling thread's jansson arena (map_arena.c): between begin and
 * end every JSON value made on this thread comes from it, and end
 * releases them all at once; nothing made in it may outlive end, and
 * text that its caller frees with free() (json_dumps) must not be made
 * while it is active (no-ops unless sgp_map_arena_install ran);
 * release frees the thread's arena memory. */
void map_arena_begin(void);
void map_arena_end(void);
/* Stop allocating from the arena until the next begin (values already
 * made in it stay valid until end). */
void map_arena_pause(void);
void map_arena_release(void);

/* Whether the mapping uses event: pointers anywhere (computed once). */
bool map_uses_event_scope(const sgp_mapping *m);

/* Evaluate a condition: 1 true, 0 false, -1 error (recorded). */
int map_cond_eval(sgp_map_ctx *c, const struct map_cond *k, const json_t *item);
void map_cond_free(struct map_cond *k);
void map_rule_release(struct map_rule *r);

/* Parse a time per the rule's format; 0 or -1 with *why. */
int map_time_parse(const struct map_rule *r, const json_t *j, const char *s, size_t n,
		   sgp_time *t, const char **why);
/* strftime-like pattern parse (%Y %m %d %H %M %S %f %z %b %I %p %y %%). */
int map_time_parse_pattern(const char *pat, int offset, const char *s, size_t n, sgp_time *t,
			   const char **why);
/* 0 if every directive of the pattern is known, else -1 with *why. */
int map_time_pattern_check(const char *pat, const char **why);

#endif
