#!/usr/bin/env python3
"""seed.py: (re)make the seed corpora of fuzz_jsonfast, fuzz_schema,
fuzz_mapping, fuzz_profile and fuzz_http under tests/fuzz/corpus/ from the
test fixtures, the contrib mappings and profiles, the project's schemas and
(when ../shared/vendor/json-schema-test-suite exists) the JSON Schema Test
Suite.  Run from anywhere; writes only below tests/fuzz/corpus/."""
import glob
import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
SUITE = os.path.join(ROOT, "..", "shared", "vendor", "json-schema-test-suite", "tests")

# The contrib mappings in the order fuzz_mapping.c loads them: the first
# byte of a fixed-mode seed is the index of the plain type.
MAPPINGS = ["chargebee-credit-note.json", "chargebee-invoice.json",
            "contract-amended-to-revrec.json", "credit-approved-to-netsuite.json",
            "netsuite-invoice.json", "salesforce-opportunity.json",
            "stripe-credit-note.json", "stripe-invoice.json",
            "zendesk-credit-request.json"]


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(CORPUS, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.n = 0

    def add(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        h = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(self.dir, h), "wb") as f:
            f.write(data)
        self.n += 1


def rel(*parts):
    return os.path.join(ROOT, *parts)


def fixture_lines(limit_per_file=3):
    for f in sorted(glob.glob(rel("tests", "fixtures", "**", "*.ndjson"), recursive=True)):
        with open(f, "rb") as fh:
            for i, line in enumerate(fh):
                if i >= limit_per_file:
                    break
                yield line.rstrip(b"\r\n")


HOSTILE = [
    b"", b"{}", b"[]", b"null", b"\"str\"", b"12", b"{\"a\":1e400}", b"{\"a\":1180591620717411303424}",
    b"{\"a\":-9223372036854775809}", b"{\"a\":1,\"a\":2}", b"{\"a\":\"\\u0000\"}",
    b"{\"a\":\"\\ud800\"}", b"{\"a\":\"\\ud83d\\ude00\"}", b"{\"a\":\"\xff\xfe\"}", b"{\"a\":\"\xc3\"}",
    b"{\"a\x00\":1}", b"{\"a\":[" * 40 + b"]" * 40 + b"}", b"[" * 600 + b"]" * 600,
    b"{\"a\":0.1,\"b\":-0,\"c\":1E+2,\"d\":2291.22}", b"{\"spec\":\"sgp.state/1\",\"profile\":\"p\"}",
    b"{\"a\":1} x", b"{\"a\":tru}", b"\xef\xbb\xbf{}", b"{\"a\":\"\t\"}",
]


def jsonfast():
    c = Corpus("fuzz_jsonfast")
    for line in fixture_lines():
        c.add(line)
    for h in HOSTILE:
        c.add(h)
    return c.n


def schema():
    c = Corpus("fuzz_schema")
    for f in sorted(glob.glob(rel("schemas", "events", "*.json")))[:12]:
        with open(f) as fh:
            s = json.load(fh)
        c.add(compact(s) + "\n" + compact({"spec": "sgp.event/1", "type": "x", "data": {}}))
    for f in sorted(glob.glob(rel("tests", "fixtures", "validate", "schemas", "*.json")) +
                    glob.glob(rel("tests", "fixtures", "validate", "check", "*.json"))):
        with open(f, "rb") as fh:
            c.add(fh.read() + b"\n{\"a\":[1,\"x\",null]}")
    if os.path.isdir(SUITE):
        for draft in ("draft2020-12", "draft7"):
            for f in sorted(glob.glob(os.path.join(SUITE, draft, "*.json"))):
                with open(f) as fh:
                    groups = json.load(fh)
                for g in groups[:3]:
                    for t in g["tests"][:2]:
                        c.add(compact(g["schema"]) + " " + compact(t["data"]))
    return c.n


def mapping():
    c = Corpus("fuzz_mapping")
    for i, name in enumerate(MAPPINGS):
        with open(rel("contrib", "mappings", name)) as fh:
            spec = json.load(fh)
        inputs = [ex["input"] for ex in spec.get("examples", []) if "input" in ex]
        for inp in inputs:
            idx = len(MAPPINGS) if inp.get("spec") == "sgp.event/1" else i
            c.add(bytes([idx]) + compact(inp).encode())
        c.add(bytes([i | 16]) + b"{\"id\":\"x\"}")
        ex = inputs[0] if inputs else {}
        c.add(b"\x80" + compact(spec).encode() + b"\n" + compact(ex).encode())
    for f in sorted(glob.glob(rel("tests", "fixtures", "map", "*.json"))):
        with open(f, "rb") as fh:
            c.add(b"\x81" + fh.read())
    for line in fixture_lines(2):
        c.add(b"\x09" + line)
    c.add(b"\x00{\"spec\":\"sgp.state/1\",\"profile\":\"p\",\"stream\":\"s\",\"cursor\":{}}")
    c.add(b"\x00not json")
    return c.n


def profile():
    c = Corpus("fuzz_profile")
    for f in sorted(glob.glob(rel("contrib", "profiles", "*.json")) +
                    glob.glob(rel("tests", "fixtures", "pull", "bad-profile.json"))):
        with open(f, "rb") as fh:
            text = fh.read()
        c.add(b"\x00" + text)
        c.add(b"\x01" + text)
    return c.n


def http():
    c = Corpus("fuzz_http")
    for h in ['<https://x.service-now.com/api/now/table/incident?sysparm_offset=100>;rel="next",'
              '<https://x.service-now.com/api/now/table/incident?sysparm_offset=0>;rel="first"',
              '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
              '<a>; rel="prev next"', '<a>; REL = next', '<a>, <b>; rel=next', '']:
        c.add(b"\x00" + h.encode())
    for v in ["120", "0", " 5", "Wed, 21 Oct 2026 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
              "Sun Nov  6 08:49:37 1994", "-1", "99999999999", "1.5", ""]:
        c.add(b"\x01" + v.encode())
    for u in ["https://x.my.salesforce.com\n/services/data/v59.0/query/01g-2000",
              "https://x.my.salesforce.com/services/data/v59.0\n/services/data/v59.0/query/01g-2000",
              "https://api.hubapi.com/crm/v3/objects/deals?limit=10\nhttps://api.hubapi.com/crm/v3/objects/deals?after=20",
              "http://127.0.0.1:8080/api/v1\nnext?page=2", "no-scheme\nrel", "https://h\n"]:
        c.add(b"\x02" + u.encode())
    for f in sorted(glob.glob(rel("tests", "fixtures", "pull", "*.json"))):
        if "profile" in f:
            continue
        with open(f, "rb") as fh:
            text = fh.read()
        c.add(b"\x03" + text)
        c.add(b"\x07" + text)
    pages = [
        {"object": "list", "data": [{"id": "in_1", "updated": 1732646400, "created": 1732646400,
                                     "total": 2291.22}, {"id": "in_2", "created": "2026-11-01 12:00:00"}],
         "has_more": True},
        {"data": [{"Id": "006A", "version": 3, "updated_at": "2026-11-01T13:00:00.000+0100"}],
         "nextRecordsUrl": "/services/data/v59.0/query/01g-2000", "done": False},
        {"data": [], "meta": {"has_more": False, "after_cursor": None}},
        {"data": [{"id": "a\u0000b", "updated": "x", "created": 1793534400123}, {"id": ""}, 5, None],
         "paging": {"next": {"link": "https://api.hubapi.com/x?after=2"}}},
        [{"id": 1, "updated": 2}, {"id": "\U0001F600", "updated": None}],
    ]
    for p in pages:
        c.add(b"\x03" + json.dumps(p, indent=1).encode())
        c.add(b"\x07" + compact(p).encode())
    c.add(b"\x03{\"data\":[{\"id\":\"1\",\"a\":1,\"a\":2}],\"data\":[]}")
    c.add(b"\x03{\"data\":[{\"id\":\"1\",\"big\":1e400,\"int\":1180591620717411303424}]}")
    return c.n


def main():
    counts = {"fuzz_jsonfast": jsonfast(), "fuzz_schema": schema(), "fuzz_mapping": mapping(),
              "fuzz_profile": profile(), "fuzz_http": http()}
    for k, v in counts.items():
        print(f"{k}: {v} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
