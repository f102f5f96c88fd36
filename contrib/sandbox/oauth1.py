"""oauth1: verify OAuth 1.0a request signatures (RFC 5849), as NetSuite's
token-based authentication does.

    params = parse_header(req.header("Authorization"))   # dict, or ValueError
    base = base_string(method, url, query_pairs, body_pairs, params)
    ok = verify(params, base, consumer_secret, token_secret)

Only HMAC-SHA256 is accepted by verify() (NetSuite no longer takes
HMAC-SHA1); base_string() is method-independent, so it can be checked
against RFC 5849's own examples.
"""

import base64
import hashlib
import hmac
import urllib.parse

def encode(s):
    """RFC 5849 section 3.6 percent-encoding (RFC 3986 unreserved kept)."""
    return urllib.parse.quote(s, safe="-._~")


def parse_header(value):
    """The parameters of an `Authorization: OAuth ...` header, decoded, as a
    dict (realm included).  ValueError when the header is not OAuth or a
    parameter is malformed or repeated."""
    if not value:
        raise ValueError("no Authorization header")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise ValueError("not an OAuth header")
    params = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t,":
            i += 1
        if i >= n:
            break
        eq = rest.find("=", i)
        if eq < 0:
            raise ValueError("parameter without a value")
        name = rest[i:eq].strip()
        i = eq + 1
        if i >= n or rest[i] != '"':
            raise ValueError("parameter %s is not quoted" % name)
        end = rest.find('"', i + 1)
        if end < 0:
            raise ValueError("unterminated value of %s" % name)
        raw = rest[i + 1:end]
        i = end + 1
        name = urllib.parse.unquote(name)
        if name in params:
            raise ValueError("parameter %s repeated" % name)
        params[name] = urllib.parse.unquote(raw)
    return params


def base_uri(url):
    """RFC 5849 section 3.4.1.2: scheme and host lowercased, default port
    dropped, no query or fragment."""
    u = urllib.parse.urlsplit(url)
    scheme = u.scheme.lower()
    host = (u.hostname or "").lower()
    port = u.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = "%s:%d" % (host, port)
    return "%s://%s%s" % (scheme, host, u.path or "/")


def normalize(pairs):
    """RFC 5849 section 3.4.1.3.2: encode, sort by name then value, join."""
    enc = sorted((encode(k), encode(v)) for k, v in pairs)
    return "&".join("%s=%s" % kv for kv in enc)


def base_string(method, url, query_pairs, body_pairs, oauth_params):
    """The signature base string.  query_pairs and body_pairs are decoded
    (name, value) pairs; body_pairs only for a form-encoded body.
    oauth_params are the header's parameters: realm and oauth_signature
    are left out, as the RFC says."""
    pairs = list(query_pairs) + list(body_pairs)
    pairs += [(k, v) for k, v in oauth_params.items() if k not in ("realm", "oauth_signature")]
    return "&".join([encode(method.upper()), encode(base_uri(url)), encode(normalize(pairs))])


def sign(base, consumer_secret, token_secret, method="HMAC-SHA256"):
    """The base64 signature of `base` with the two secrets."""
    key = ("%s&%s" % (encode(consumer_secret), encode(token_secret or ""))).encode("utf-8")
    digest = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}[method]
    return base64.b64encode(hmac.new(key, base.encode("utf-8"), digest).digest()).decode("ascii")


def verify(params, base, consumer_secret, token_secret):
    """True when params' oauth_signature is the HMAC-SHA256 signature of base."""
    if params.get("oauth_signature_method") != "HMAC-SHA256":
        return False
    want = sign(base, consumer_secret, token_secret)
    return hmac.compare_digest(want.encode("ascii"), params.get("oauth_signature", "").encode("utf-8"))
