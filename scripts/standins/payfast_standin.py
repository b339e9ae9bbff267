#!/usr/bin/env python3
"""A loopback stand-in for PayFast's hosted checkout and ITN confirmation.

Its signature checks are an independent, short implementation of PayFast's documented algorithm (not Quorum's):
  checkout: md5 of "key=value" pairs in the posted order, empty values left out, values trimmed and encoded like
            PHP's urlencode (upper-case %XX, "+" for spaces), then "passphrase=..." last;
  ITN:      md5 of the posted fields in order up to "signature", empty values kept, plus the passphrase.

Usage: payfast_standin.py --merchant-id 10000100 --merchant-key 46f0cd694581a --passphrase secret [--port 0]
Prints "PORT <n>" on the first line of stdout.

  POST /eng/process            the browser's form post: checks the field order and the signature; 200 with a
                               small payment page, 400 with the reason otherwise
  POST /eng/query/validate     VALID for parameter strings of ITNs this stand-in issued, INVALID otherwise
  GET  /_standin/requests      checkout posts and validation calls seen, as JSON
  POST /_standin/itn           {"fields": [[k, v], ...], "url"?, "passphrase"?, "forge"?}: appends the signature
                               (a wrong one with "forge"), marks it issued, and POSTs it to "url" or returns it
"""
import argparse
import hashlib
import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifetime import tie_to_parent

DOCUMENTED_ORDER = [
    "merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "name_first", "name_last",
    "email_address", "cell_number", "m_payment_id", "amount", "item_name", "item_description",
    "custom_int1", "custom_int2", "custom_int3", "custom_int4", "custom_int5",
    "custom_str1", "custom_str2", "custom_str3", "custom_str4", "custom_str5",
    "email_confirmation", "confirmation_address", "payment_method",
    "subscription_type", "billing_date", "recurring_amount", "frequency", "cycles",
]

state = {"requests": [], "issued": set(), "lock": threading.Lock()}
args = None


def php_urlencode(value):
    # PHP's urlencode: like quote_plus, but "~" is escaped too.
    return urllib.parse.quote_plus(value, safe="").replace("~", "%7E")


def checkout_signature(pairs, passphrase):
    parts = [f"{k}={php_urlencode(v.strip())}" for k, v in pairs if k != "signature" and v.strip() != ""]
    if passphrase:
        parts.append(f"passphrase={php_urlencode(passphrase.strip())}")
    return hashlib.md5("&".join(parts).encode()).hexdigest()


def itn_parameter_string(pairs):
    out = []
    for k, v in pairs:
        if k == "signature":
            break
        out.append(f"{k}={php_urlencode(v.strip())}")
    return "&".join(out)


def itn_signature(pairs, passphrase):
    s = itn_parameter_string(pairs)
    if passphrase:
        s += f"&passphrase={php_urlencode(passphrase.strip())}"
    return hashlib.md5(s.encode()).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def raw(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_standin/requests":
            with state["lock"]:
                return self.send(200, json.dumps(state["requests"]), "application/json")
        self.send(404, "not found")

    def do_POST(self):
        raw = self.raw()
        if self.path == "/eng/process":
            return self.process(raw)
        if self.path == "/eng/query/validate":
            answer = "VALID" if raw.decode() in state["issued"] else "INVALID"
            with state["lock"]:
                state["requests"].append({"path": self.path, "body": raw.decode(), "answer": answer})
            return self.send(200, answer)
        if self.path == "/_standin/itn":
            return self.send(200, json.dumps(self.itn(json.loads(raw))), "application/json")
        self.send(404, "not found")

    def process(self, raw):
        pairs = urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True)
        names = [k for k, _ in pairs if k != "signature"]
        problems = []
        unknown = [n for n in names if n not in DOCUMENTED_ORDER]
        if unknown:
            problems.append(f"unknown fields {unknown}")
        known = [n for n in names if n in DOCUMENTED_ORDER]
        if known != sorted(known, key=DOCUMENTED_ORDER.index):
            problems.append(f"fields out of the documented order: {known}")
        given = dict(pairs).get("signature", "")
        expected = checkout_signature(pairs, args.passphrase)
        if given != expected:
            problems.append("signature mismatch")
        form = dict(pairs)
        if form.get("merchant_id") != args.merchant_id or form.get("merchant_key") != args.merchant_key:
            problems.append("unknown merchant")
        amount = form.get("amount", "")
        if not amount or "." not in amount or len(amount.split(".")[1]) != 2:
            problems.append("amount must have two decimals")
        if form.get("subscription_type") == "1":
            for k in ("billing_date", "recurring_amount", "frequency", "cycles"):
                if not form.get(k):
                    problems.append(f"subscription needs {k}")
            if form.get("frequency") not in ("3", "6"):
                problems.append("frequency must be 3 (monthly) or 6 (annual)")
        with state["lock"]:
            state["requests"].append({"path": "/eng/process", "form": pairs, "problems": problems})
        if problems:
            return self.send(400, "; ".join(problems))
        self.send(200, f"<!doctype html><title>PayFast stand-in</title><p>Pay R{amount} for {form.get('item_name')}",
                  "text/html")

    def itn(self, spec):
        pairs = [(k, v) for k, v in spec["fields"]]
        passphrase = spec.get("passphrase", args.passphrase)
        signature = itn_signature(pairs, passphrase)
        if spec.get("forge"):
            signature = hashlib.md5(b"forged" + signature.encode()).hexdigest()
        pairs = [p for p in pairs if p[0] != "signature"] + [("signature", signature)]
        if not spec.get("forge") and not spec.get("unissued"):
            with state["lock"]:
                state["issued"].add(itn_parameter_string(pairs))
        body = "&".join(f"{urllib.parse.quote_plus(k)}={php_urlencode(v)}" for k, v in pairs)
        if not spec.get("url"):
            return {"body": body}
        req = urllib.request.Request(spec["url"], data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return {"status": r.status, "body": r.read().decode(errors="replace")}
        except urllib.error.HTTPError as e:
            return {"status": e.code, "body": e.read().decode(errors="replace")}


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--merchant-id", required=True)
    p.add_argument("--merchant-key", required=True)
    p.add_argument("--passphrase", default="")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    tie_to_parent()
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
