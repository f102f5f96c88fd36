#!/usr/bin/env python3
"""hostile.py: the inputs and the checks of tests/hostile.bats.

  hostile.py gen DIR
      write the hostile inputs (and a schema, a mapping spec and clean
      right-hand sides for sgp-reconcile) into DIR.

  hostile.py check TOOL STATUS WANT STATS REJECTS [OUTPUT]
      check one run of TOOL (sgp-validate, sgp-map, sgp-reconcile,
      sgp-pull) that ended with STATUS: the --stats counters add up by the
      tool's identity (its man page), every reject line is an sgp.reject/1
      JSON object of TOOL with a reason, errors with messages and the input
      ("event", "raw" or "raw_base64"), every output line is JSON, their
      numbers match the counters, STATUS is 1 exactly when something was
      rejected (or, for sgp-reconcile, differs), and WANT lines were
      rejected ("-": any number, "all": every input line; for
      sgp-reconcile, of the left side).
"""
import json
import os
import random
import sys

OK = b'{"id":"ok1","amount":"1.00"}\n'
OK2 = b'{"id":"ok2","amount":"2.00"}\n'

# Every NDJSON file starts and ends with a good record, so that what
# follows a bad line is seen to be read; tests/hostile.bats says how many
# lines of each a tool rejects.
def ndjson_inputs():
    rnd = random.Random(7)
    garbage = rnd.randbytes(1 << 20)
    return {
        "malformed": OK + b'{"id":"m1","a":1\n{"id":"m2","a":}\n{\'id\':\'m3\'}\n{"id":"m4",}\n'
                     b'[1,2\n"unterminated\n{"id":"m5"}}\n' + OK2,
        "utf8": OK + b'{"id":"u1","a":"\xff\xfe"}\n{"id":"u2","a":"\xc0\xaf"}\n{"id":"u3","a":"\xe2\x82"}\n'
                b'{"id":"u4\xed\xa0\x80"}\n\xff\xff\xff\n' + OK2,
        "nul": OK + b'{"id":"n1","a":"x\x00y"}\n\x00\n{"id":"n2"}\x00\n' + OK2,
        "numbers": OK + b'{"id":"b1","a":1e400}\n{"id":"b2","a":-1e400}\n'
                   b'{"id":"b3","a":1180591620717411303424}\n{"id":"b4","a":-1180591620717411303424}\n'
                   b'{"id":"b5","a":1e-400}\n' + OK2,
        "dupkeys": OK + b'{"id":"d1","a":1,"a":2}\n{"id":"d2","id":"d3"}\n' + OK2,
        "deep": OK + b"[" * 100000 + b"]" * 100000 + b"\n" +
                b'{"id":"deep","a":' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"}\n" + OK2,
        "hugearray": OK + b'{"id":"arr","a":[' + b",".join([b"0"] * 1000000) + b"]}\n" + OK2,
        "empty": b"",
        "blank": b"\n\n   \n\r\n\t\n",
        "garbage": garbage,
        "bigline": OK + b'{"id":"big","pad":"' + b"x" * (100 << 20) + b'"}\n' + OK2,
    }


def csv_inputs():
    rnd = random.Random(7)
    return {
        "c_utf8.csv": b"id,amount\nok1,1.00\nu1,\xff\xfe\nu2\xc3,2\nok2,3\n",
        "c_nul.csv": b"id,amount\nok1,1.00\nn1,x\x00y\n\x00\x00\nok2,3\n",
        "c_ragged.csv": b'id,amount\nok1,1.00\nr1\nr2,1,2,3\n"q1,1\n',
        "c_dupheader.csv": b"id,id,amount\nok1,x,1.00\n",
        "c_bigfield.csv": b'id,amount\nok1,1.00\nbig,"' + b"x" * (20 << 20) + b'"\nok2,3\n',
        "c_garbage.csv": rnd.randbytes(1 << 20),
        "c_empty.csv": b"",
        "c_headeronly.csv": b"id,amount\n",
    }


def json_inputs():
    return {
        "j_deep.json": b'{"data":[' + b"[" * 100000 + b"]" * 100000 + b',{"id":"x"}]}',
        "j_truncated.json": b'{"data":[{"id":"a"},{"id":"b"',
        "j_notarray.json": b'{"data":{"id":"a"}}',
        "j_hugearray.json": b'{"data":[' + b",".join(b'{"id":"%d"}' % i for i in range(200000)) + b"]}",
        "j_garbage.json": random.Random(8).randbytes(1 << 16),
        "j_empty.json": b"",
    }


def gen(d):
    os.makedirs(d, exist_ok=True)
    for name, data in list(ndjson_inputs().items()) + list(csv_inputs().items()) + \
            list(json_inputs().items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    with open(os.path.join(d, "s.json"), "w") as f:
        json.dump({"type": "object", "required": ["id"],
                   "properties": {"id": {"type": "string"}, "amount": {"type": "string"}}}, f)
    with open(os.path.join(d, "map.json"), "w") as f:
        json.dump({"spec": "sgp.mapping/1", "mapping": "hostile",
                   "match": {"type": "hostile.record"}, "record": {"id": "/id"},
                   "emit": {"type": "hostile.copied",
                            "occurred_at": {"const": "2026-11-01T00:00:00Z"},
                            "data": {"id": "/id", "a": {"from": "/a", "required": False},
                                     "amount": {"from": "/amount", "convert": "decimal",
                                                "required": False}}}}, f)
    with open(os.path.join(d, "right.ndjson"), "wb") as f:
        f.write(OK + OK2 + b'{"id":"r3","amount":"3.00"}\n')
    with open(os.path.join(d, "right.csv"), "wb") as f:
        f.write(b"id,amount\nok1,1.00\nok2,2.00\nr3,3.00\n")


def fail(msg):
    print("hostile.py: " + msg)
    sys.exit(1)


def check(tool, status, want, stats, rejects, outputs):
    status = int(status)
    if status >= 128:
        fail(f"{tool} died of signal {status - 128}")
    with open(stats) as f:
        st = json.load(f)

    def n(k):
        v = st.get(k)
        if not isinstance(v, int) or v < 0:
            fail(f"counter {k} missing or negative: {st}")
        return v

    nrej = 0
    with open(rejects, "rb") as f:
        for i, raw in enumerate(f, 1):
            try:
                r = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                fail(f"reject {i} is not a JSON line: {e}: {raw[:120]!r}")
            if r.get("spec") != "sgp.reject/1" or r.get("tool") != tool:
                fail(f"reject {i}: spec {r.get('spec')!r}, tool {r.get('tool')!r}")
            if not isinstance(r.get("reason"), str) or not isinstance(r.get("errors"), list) \
                    or not r["errors"]:
                fail(f"reject {i}: no reason or no errors")
            if any(not isinstance(e.get("message"), str) or not e["message"] for e in r["errors"]):
                fail(f"reject {i}: an error without a message")
            if not any(k in r for k in ("event", "raw", "raw_base64")):
                fail(f"reject {i}: neither the event nor the raw line")
            nrej += 1
    nout = 0
    for o in outputs:
        with open(o, "rb") as f:
            for i, raw in enumerate(f, 1):
                try:
                    json.loads(raw.decode("utf-8"))
                except ValueError as e:
                    fail(f"output line {i} is not JSON: {e}")
                nout += 1

    if tool == "sgp-validate":
        total, rejected = n("in"), n("rejected")
        if total != n("out") + rejected:
            fail(f"in != out + rejected: {st}")
        if rejected != sum(st["rejected_by_reason"].values()):
            fail(f"rejected != the sum by reason: {st}")
        if outputs and nout != n("out") + n("state"):
            fail(f"{nout} output lines for {st}")
        differs = rejected
    elif tool == "sgp-map":
        total, rejected = n("in"), n("rejected")
        if total != n("mapped") + n("passed") + rejected:
            fail(f"in != mapped + passed + rejected: {st}")
        if outputs and nout != n("emitted") + n("passed") + n("state"):
            fail(f"{nout} output lines for {st}")
        differs = rejected
    elif tool == "sgp-reconcile":
        total, rejected = n("left_in") + n("right_in"), n("rejected")
        side = n("left_in")  # the hostile input is the left side
        rhs = 2 * (n("matched") + n("mismatched")) + n("missing_left") + n("missing_right") + \
            n("duplicate_keys") + n("aggregated") + rejected
        if total != rhs:
            fail(f"left_in + right_in != 2 (matched + mismatched) + missing_left + missing_right "
                 f"+ duplicate_keys + aggregated + rejected: {st}")
        # unreadable compared values are written as rejects, yet still matched
        if nrej != rejected + n("invalid_values"):
            fail(f"{nrej} reject lines for {st}")
        nrej = rejected
        if outputs and nout != n("mismatched") + n("missing_left") + n("missing_right") + \
                n("duplicate_keys"):
            fail(f"{nout} discrepancies for {st}")
        differs = n("mismatched") + n("missing_left") + n("missing_right") + \
            n("duplicate_keys") + rejected + n("invalid_values")
    elif tool == "sgp-pull":
        total, rejected = n("received"), n("rejected")
        if total != n("emitted") + rejected:
            fail(f"received != emitted + rejected: {st}")
        if outputs and nout != n("emitted"):
            fail(f"{nout} output lines for {st}")
        differs = rejected
    else:
        fail("unknown tool " + tool)
    if tool != "sgp-reconcile" and nrej != rejected:
        fail(f"{nrej} reject lines for {st}")
    if status != (1 if differs else 0):
        fail(f"exit {status} for {st}")
    if tool != "sgp-reconcile":
        side = total
    if want == "all" and (rejected != side or side == 0):
        fail(f"not every line rejected: {st}")
    if want not in ("all", "-") and rejected != int(want):
        fail(f"{rejected} rejected, expected {want}: {st}")
    print(f"ok {tool}: {json.dumps(st, separators=(',', ':'))}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) >= 7 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:])
    else:
        fail("usage: hostile.py gen DIR | check TOOL STATUS WANT STATS REJECTS [OUTPUT]")


if __name__ == "__main__":
    main()
