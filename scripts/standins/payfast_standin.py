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
  POST /_standin/pay           {"m_payment_id", "amount"?, "unissued"?, "deliver_to"?}: the buyer pays the once-off
                               checkout posted to /eng/process with that m_payment_id: an ITN in PayFast's field
                               order (COMPLETE, amount_gross the checkout's amount or "amount"), signed, POSTed to the
                               checkout's notify_url (its origin replaced by "deliver_to" when given); "unissued"
                               makes /eng/query/validate answer INVALID for it. Returns {"status", "body", "pf_payment_id"}

The subscription API (PayFast's api.payfast.co.za, served here on the same port), each call checked for the
headers merchant-id, version (v1), timestamp (ISO-8601, within an hour of now) and signature: md5 of every header
and body field plus "passphrase", sorted by name, as "name=value" pairs with values encoded like PHP's urlencode,
joined by "&". A bad signature is 401, an unknown token 404, a change to a cancelled subscription 400:
  GET   /ping                                  "true"
  GET   /subscriptions/{token}/fetch           the subscription (amount in cents, frequency, run_date, status_text)
  PUT   /subscriptions/{token}/pause           cycles (default 1): paused, the next run moved on by that many cycles
  PUT   /subscriptions/{token}/unpause
  PUT   /subscriptions/{token}/cancel          for good: a cancelled token cannot be changed or revived
  PATCH /subscriptions/{token}/update          amount (cents), frequency, cycles, run_date: at least one
  POST  /refunds/{pf_payment_id}               PayFast's refunds API as its PHP SDK calls it: a JSON body with amount
                                               (cents, at least 1, at most what is left of the payment), reason,
                                               acc_type (current or savings), notify_buyer (0 or 1); the signature
                                               covers the body's fields like form fields. Only payments made through
                                               /_standin/pay can be refunded; an unknown one is 404
  POST  /_standin/subscription                 {"token", "amount" (cents), "frequency", "run_date", "cycles"?}: adds one
  GET   /_standin/api-requests                 the API calls seen, with what was wrong with each
"""
import argparse
import datetime
import hashlib
import json
import threading
import urllib.parse
import urllib.request
import uuid
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

state = {"requests": [], "issued": set(), "subscriptions": {}, "api_requests": [], "lock": threading.Lock(),
         "checkouts": {}, "payments": {}, "next_payment": 1124000}
ITN_ORDER = ["m_payment_id", "pf_payment_id", "payment_status", "item_name", "item_description", "amount_gross",
             "amount_fee", "amount_net", "custom_str1", "custom_str2", "custom_str3", "custom_str4", "custom_str5",
             "custom_int1", "custom_int2", "custom_int3", "custom_int4", "custom_int5", "name_first", "name_last",
             "email_address", "merchant_id"]
REFUND_FIELDS = {"amount", "reason", "acc_type", "notify_buyer"}
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


def api_signature(fields, passphrase):
    # PayFast's API signature: header and body fields with the passphrase, sorted by name, urlencoded values.
    everything = dict(fields)
    if passphrase:
        everything["passphrase"] = passphrase
    return hashlib.md5("&".join(f"{k}={php_urlencode(str(everything[k]))}" for k in sorted(everything)).encode()).hexdigest()


def add_months(day, months):
    y, m = divmod(day.month - 1 + months, 12)
    y += day.year
    m += 1
    last = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    return datetime.date(y, m, min(day.day, last))


MONTHS_PER_CYCLE = {3: 1, 4: 3, 5: 6, 6: 12}


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
        if self.path == "/_standin/api-requests":
            with state["lock"]:
                return self.send(200, json.dumps(state["api_requests"]), "application/json")
        if self.path.split("?")[0] == "/ping" or self.path.startswith("/subscriptions/") or self.path.startswith("/refunds/"):
            return self.api("GET", self.raw())
        self.send(404, "not found")

    def do_PUT(self):
        self.api("PUT", self.raw())

    def do_PATCH(self):
        self.api("PATCH", self.raw())

    def answer(self, status, response, record):
        record["status"] = status
        with state["lock"]:
            state["api_requests"].append(record)
        body = {"code": status, "status": "success" if status == 200 else "failed", "data": {"response": response}}
        self.send(status, json.dumps(body), "application/json")

    def api(self, method, raw):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        headers = {k: self.headers.get(k, "") for k in ("merchant-id", "version", "timestamp", "signature")}
        is_json = self.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"
        try:
            if is_json:
                # PHP's urlencode of a number is its digits: JSON values are signed as their text.
                decoded = json.loads(raw or b"{}")
                body = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in decoded.items()]
            else:
                body = urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
        except (ValueError, AttributeError):
            body = None
        record = {"method": method, "path": url.path, "query": url.query, "headers": headers,
                  "form": body or [], "problems": []}
        problems = record["problems"]
        if body is None:
            problems.append("body is not form-encoded")
            return self.answer(400, "body is not form-encoded", record)
        wanted_type = "application/json" if parts[:1] == ["refunds"] else "application/x-www-form-urlencoded"
        if raw and self.headers.get("Content-Type", "").split(";")[0].strip() != wanted_type:
            problems.append("content type")
        for name in ("merchant-id", "version", "timestamp", "signature"):
            if not headers[name]:
                problems.append(f"missing header {name}")
        if headers["version"] and headers["version"] != "v1":
            problems.append("version must be v1")
        try:
            stamp = datetime.datetime.fromisoformat(headers["timestamp"])
            if stamp.tzinfo is None or abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()) > 3600:
                problems.append("timestamp is not now")
        except ValueError:
            problems.append("timestamp is not ISO-8601")
        if headers["merchant-id"] and headers["merchant-id"] != args.merchant_id:
            problems.append("unknown merchant")
        signed = [(k, headers[k]) for k in ("merchant-id", "version", "timestamp")] + list(body)
        if headers["signature"] != api_signature(signed, args.passphrase):
            problems.append("signature mismatch")
        if problems:
            return self.answer(401 if "signature mismatch" in problems or "unknown merchant" in problems else 400,
                               "; ".join(problems), record)
        if parts == ["ping"] and method == "GET":
            return self.answer(200, True, record)
        if len(parts) == 2 and parts[0] == "refunds":
            return self.refund(method, urllib.parse.unquote(parts[1]), dict(body), record)
        if len(parts) != 3 or parts[0] != "subscriptions":
            return self.answer(404, "unknown endpoint", record)
        token, action = urllib.parse.unquote(parts[1]), parts[2]
        form = dict(body)
        with state["lock"]:
            sub = state["subscriptions"].get(token)
        if sub is None:
            return self.answer(404, "subscription not found", record)
        allowed = {"fetch": "GET", "pause": "PUT", "unpause": "PUT", "cancel": "PUT", "update": "PATCH"}
        if allowed.get(action) != method:
            return self.answer(405 if action in allowed else 404, f"{method} /{action} is not an endpoint", record)
        if action == "fetch":
            return self.answer(200, dict(sub), record)
        if sub["status_text"] == "CANCELLED":
            return self.answer(400, "Subscription is cancelled and cannot be changed", record)
        with state["lock"]:
            run = datetime.date.fromisoformat(sub["run_date"])
            if action == "pause":
                cycles = form.get("cycles", "1")
                if not cycles.isdigit() or int(cycles) < 1:
                    problems.append("cycles must be a whole number of at least 1")
                    return self.answer(400, "cycles must be a positive integer", record)
                sub["status"], sub["status_text"] = 2, "PAUSED"
                sub["run_date"] = add_months(run, int(cycles) * MONTHS_PER_CYCLE[sub["frequency"]]).isoformat()
            elif action == "unpause":
                if sub["status_text"] != "PAUSED":
                    return self.answer(400, "Subscription is not paused", record)
                sub["status"], sub["status_text"] = 1, "ACTIVE"
            elif action == "cancel":
                sub["status"], sub["status_text"] = 3, "CANCELLED"
            elif action == "update":
                changes = {k: v for k, v in form.items() if k in ("amount", "frequency", "cycles", "run_date")}
                if not changes:
                    problems.append("update needs amount, frequency, cycles or run_date")
                    return self.answer(400, "At least one of amount, frequency, cycles, run_date is required", record)
                if "amount" in changes and (not changes["amount"].isdigit() or int(changes["amount"]) < 1):
                    problems.append("amount must be whole cents")
                    return self.answer(400, "amount must be an integer number of cents", record)
                if "frequency" in changes and changes["frequency"] not in ("3", "4", "5", "6"):
                    problems.append("frequency")
                    return self.answer(400, "frequency must be 3, 4, 5 or 6", record)
                for k in ("amount", "frequency", "cycles"):
                    if k in changes:
                        sub[k] = int(changes[k])
                if "run_date" in changes:
                    sub["run_date"] = changes["run_date"]
        return self.answer(200, True, record)

    def refund(self, method, payment_id, form, record):
        problems = record["problems"]
        with state["lock"]:
            payment = state["payments"].get(payment_id)
        if payment is None:
            return self.answer(404, "Payment not found", record)
        if method == "GET":
            with state["lock"]:
                return self.answer(200, {"payment_id": payment_id, "amount": payment["amount"],
                                         "refunded": payment["refunded"], "refunds": list(payment["refunds"])}, record)
        if method != "POST":
            return self.answer(405, f"{method} /refunds is not an endpoint", record)
        unknown = sorted(set(form) - REFUND_FIELDS)
        if unknown:
            problems.append(f"unknown fields {unknown}")
            return self.answer(400, f"Unknown fields {unknown}", record)
        amount = form.get("amount", "")
        if not amount.isdigit() or int(amount) < 1:
            problems.append("amount must be whole cents")
            return self.answer(400, "amount must be an integer number of cents", record)
        if form.get("acc_type", "current") not in ("current", "savings"):
            problems.append("acc_type")
            return self.answer(400, "acc_type must be current or savings", record)
        if form.get("notify_buyer", "1") not in ("0", "1"):
            problems.append("notify_buyer")
            return self.answer(400, "notify_buyer must be 0 or 1", record)
        if len(form.get("reason", "")) > 255:
            problems.append("reason too long")
            return self.answer(400, "reason is at most 255 characters", record)
        with state["lock"]:
            left = payment["amount"] - payment["refunded"]
            if int(amount) > left:
                problems.append("more than is left")
                overdrawn = True
            else:
                overdrawn = False
                payment["refunded"] += int(amount)
                refund = {"id": str(uuid.uuid4()), "payment_id": payment_id, "merchant_id": args.merchant_id,
                          "refund_amount": int(amount) / 100, "status": "COMPLETE",
                          "created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
                payment["refunds"].append(refund)
        if overdrawn:
            return self.answer(400, f"The refund amount exceeds the available amount ({left / 100:.2f})", record)
        return self.answer(200, refund, record)

    def pay(self, spec):
        with state["lock"]:
            checkout = state["checkouts"].get(spec.get("m_payment_id", ""))
            state["next_payment"] += 1
            pf_payment_id = str(state["next_payment"])
        if checkout is None:
            return {"error": "no checkout with that m_payment_id was posted to /eng/process"}
        gross = spec.get("amount") or checkout["amount"]
        cents = round(float(gross) * 100)
        fee = round(cents * 0.035)
        values = {"m_payment_id": checkout["m_payment_id"], "pf_payment_id": pf_payment_id, "payment_status": "COMPLETE",
                  "item_name": checkout.get("item_name", ""), "item_description": checkout.get("item_description", ""),
                  "amount_gross": f"{cents / 100:.2f}", "amount_fee": f"{-fee / 100:.2f}",
                  "amount_net": f"{(cents - fee) / 100:.2f}", "merchant_id": args.merchant_id}
        for k in ITN_ORDER:
            if k.startswith("custom_") or k in ("name_first", "name_last", "email_address"):
                values[k] = checkout.get(k, "")
        fields = [[k, values[k]] for k in ITN_ORDER]
        url = checkout.get("notify_url", "")
        if spec.get("deliver_to"):
            u = urllib.parse.urlsplit(url)
            url = spec["deliver_to"].rstrip("/") + u.path + (f"?{u.query}" if u.query else "")
        if not spec.get("unissued"):
            with state["lock"]:
                state["payments"][pf_payment_id] = {"amount": cents, "refunded": 0, "refunds": [],
                                                    "m_payment_id": checkout["m_payment_id"]}
        result = self.itn({"fields": fields, "url": url, "unissued": spec.get("unissued")})
        result["pf_payment_id"] = pf_payment_id
        return result

    def do_POST(self):
        raw = self.raw()
        if self.path.startswith("/refunds/"):
            return self.api("POST", raw)
        if self.path == "/_standin/pay":
            return self.send(200, json.dumps(self.pay(json.loads(raw))), "application/json")
        if self.path == "/eng/process":
            return self.process(raw)
        if self.path == "/eng/query/validate":
            answer = "VALID" if raw.decode() in state["issued"] else "INVALID"
            with state["lock"]:
                state["requests"].append({"path": self.path, "body": raw.decode(), "answer": answer})
            return self.send(200, answer)
        if self.path == "/_standin/itn":
            return self.send(200, json.dumps(self.itn(json.loads(raw))), "application/json")
        if self.path == "/_standin/subscription":
            spec = json.loads(raw)
            sub = {"token": spec["token"], "amount": int(spec["amount"]), "cycles": int(spec.get("cycles", 0)),
                   "cycles_complete": int(spec.get("cycles_complete", 1)), "frequency": int(spec.get("frequency", 3)),
                   "run_date": spec["run_date"], "status": 1, "status_reason": "", "status_text": "ACTIVE"}
            with state["lock"]:
                state["subscriptions"][sub["token"]] = sub
            return self.send(200, json.dumps(sub), "application/json")
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
            if not problems and form.get("m_payment_id"):
                state["checkouts"][form["m_payment_id"]] = form
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
        sent = body
        req = urllib.request.Request(spec["url"], data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return {"status": r.status, "body": r.read().decode(errors="replace"), "itn": sent}
        except urllib.error.HTTPError as e:
            return {"status": e.code, "body": e.read().decode(errors="replace"), "itn": sent}


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
