#!/usr/bin/env python3
"""A loopback stand-in for the parts of Stripe's API that Quorum uses, checking the exact wire format.

It answers like Stripe where Quorum reads the answer, refuses requests Stripe would refuse (missing Bearer
token, missing or reused Idempotency-Key, missing bracketed keys), and signs webhooks with the official `stripe`
library's test helper, so Quorum's verifier is checked against Stripe's own implementation.

Usage: stripe_standin.py --secret-key sk_test_x --webhook-secret whsec_x [--port 0]
Prints "PORT <n>" on the first line of stdout once listening.

Control endpoints (not Stripe's):
  GET  /_standin/requests            every API request seen, as JSON
  POST /_standin/fail-next           {"count": n, "status": 500}: answer the next n API requests with that status
  POST /_standin/webhook             {"type", "object", "created"?, "id"?, "timestamp"?, "secret"?, "url"?}
                                     builds an event, signs it with stripe.WebhookSignature; without "url" returns
                                     {"payload", "header"}, with it POSTs there and returns {"status", "body"}
  POST /_standin/renewal-fails       {"customer"?}: the subscription's next renewal fails (invoice.payment_failed
                                     sent to the site); the latest subscription when no customer is named
  POST /_standin/deliver-to          {"origin": "http://127.0.0.1:8080"}: where webhooks go instead of the origin of
                                     the session's success_url (a site whose configured address has no port)

API endpoints (Stripe's wire format: form-encoded, Bearer key, Idempotency-Key on every POST, the same answer for
the same key and parameters, 400 idempotency_error for the same key with other parameters):
  POST /v1/checkout/sessions, /v1/billing_portal/sessions, /v1/subscriptions/{id}; GET /v1/subscriptions/{id}
  POST /v1/refunds                   payment_intent or charge (one of them), amount (optional: what is left),
                                     reason, metadata[...]: refunds a shop order's payment made on /c/pay, then
                                     sends charge.refunded (amount_refunded the running total) to the site

Pages a browser is sent to (Stripe's hosted pages, reduced to a button; no script):
  GET/POST /c/pay/{session}          the checkout: paying sends checkout.session.completed, then for a subscription
                                     customer.subscription.created and invoice.paid, to the site the session's
                                     success_url names (its /webhooks/stripe), then redirects to success_url
  GET/POST /p/session/{customer}     the customer portal: "update card" pays the open renewal (invoice.paid) and
                                     returns to return_url
"""
import argparse
import html
import json
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifetime import tie_to_parent

import stripe

CHECKOUT_SUBSCRIPTION_KEYS = [
    "mode", "line_items[0][price_data][currency]", "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][recurring][interval]", "line_items[0][price_data][product_data][name]",
    "line_items[0][quantity]", "client_reference_id", "success_url", "cancel_url",
]
CHECKOUT_PAYMENT_KEYS = [
    "mode", "submit_type", "line_items[0][price_data][currency]", "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][product_data][name]", "line_items[0][quantity]", "client_reference_id",
    "success_url", "cancel_url",
]

state = {"requests": [], "fail": [], "idempotency": {}, "lock": threading.Lock(),
         "sessions": {}, "subscriptions": {}, "customers": {}, "portal_return": {}, "clock": 0,
         "payment_intents": {}, "charges": {}, "deliver_to": None}
REFUND_KEYS = {"payment_intent", "charge", "amount", "reason"}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
args = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, kind, message):
        self.reply(status, {"error": {"type": kind, "message": message}})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path.startswith("/c/pay/") or self.path.startswith("/p/session/"):
            return self.hosted_page()
        if self.path == "/_standin/requests":
            with state["lock"]:
                return self.reply(200, state["requests"])
        if self.path.startswith("/v1/subscriptions/"):
            if not self.authorised(b""):
                return
            sub = urllib.parse.unquote(self.path.split("/")[3])
            return self.reply(200, subscription(sub))
        self.error(404, "invalid_request_error", "unknown path")

    def do_POST(self):
        raw = self.body()
        if self.path == "/_standin/fail-next":
            spec = json.loads(raw or b"{}")
            with state["lock"]:
                state["fail"] = [int(spec.get("status", 500))] * int(spec.get("count", 1))
            return self.reply(200, {"ok": True})
        if self.path == "/_standin/webhook":
            return self.reply(200, webhook(json.loads(raw)))
        if self.path == "/_standin/deliver-to":
            with state["lock"]:
                state["deliver_to"] = json.loads(raw).get("origin") or None
            return self.reply(200, {"ok": True})
        if self.path == "/_standin/renewal-fails":
            return self.reply(200, renewal_fails(json.loads(raw or b"{}").get("customer")))
        if self.path.startswith("/c/pay/") or self.path.startswith("/p/session/"):
            return self.hosted_post()
        if not self.path.startswith("/v1/"):
            return self.error(404, "invalid_request_error", "unknown path")
        if not self.authorised(raw):
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return self.error(400, "invalid_request_error", "expected a form-encoded body")
        key = self.headers.get("Idempotency-Key")
        if not key:
            return self.error(400, "invalid_request_error", "every POST needs an Idempotency-Key")
        try:
            pairs = urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
        except ValueError as e:
            return self.error(400, "invalid_request_error", f"form not parseable: {e}")
        form = dict(pairs)
        with state["lock"]:
            fail = state["fail"].pop(0) if state["fail"] else None
        if fail:
            # Recorded, then failed as if the connection dropped after Stripe did the work: the retry must carry
            # the same key and get the same answer.
            self.record(key, pairs, failed=fail)
            return self.error(fail, "api_error", "injected failure")
        with state["lock"]:
            previous = state["idempotency"].get(key)
        if previous is not None:
            if previous["body"] != raw:
                return self.error(400, "idempotency_error",
                                  "Keys for idempotent requests can only be used with the same parameters they were first used with.")
            self.record(key, pairs, replayed=True)
            return self.reply(previous["status"], previous["answer"])
        status, answer = self.route(form)
        with state["lock"]:
            state["idempotency"][key] = {"body": raw, "status": status, "answer": answer}
        self.record(key, pairs)
        self.reply(status, answer)

    def authorised(self, raw):
        if self.headers.get("Authorization") != f"Bearer {args.secret_key}":
            self.error(401, "invalid_request_error", "Invalid API Key provided")
            return False
        return True

    def record(self, key, pairs, failed=None, replayed=False):
        with state["lock"]:
            state["requests"].append({"method": self.command, "path": self.path, "idempotency_key": key,
                                      "form": pairs, "failed": failed, "replayed": replayed})

    def route(self, form):
        if self.path == "/v1/checkout/sessions":
            mode = form.get("mode")
            needed = CHECKOUT_SUBSCRIPTION_KEYS if mode == "subscription" else CHECKOUT_PAYMENT_KEYS
            missing = [k for k in needed if not form.get(k)]
            if mode not in ("subscription", "payment") or missing:
                return 400, {"error": {"type": "invalid_request_error", "message": f"missing {missing or ['mode']}"}}
            # One-off gifts say donate; a shop order (metadata[order_id]) is a basket and says pay.
            expected_submit = "pay" if form.get("metadata[order_id]") else "donate"
            if mode == "payment" and form.get("submit_type") != expected_submit:
                return 400, {"error": {"type": "invalid_request_error", "message": f"submit_type must be {expected_submit}"}}
            if not form["line_items[0][price_data][unit_amount]"].isdigit():
                return 400, {"error": {"type": "invalid_request_error", "message": "unit_amount must be an integer"}}
            sid = "cs_test_" + uuid.uuid4().hex[:20]
            with state["lock"]:
                state["sessions"][sid] = {"form": form, "paid": False}
            return 200, {"id": sid, "object": "checkout.session", "mode": mode,
                         "url": f"http://127.0.0.1:{args.bound_port}/c/pay/{sid}"}
        if self.path == "/v1/billing_portal/sessions":
            if not form.get("customer") or not form.get("return_url"):
                return 400, {"error": {"type": "invalid_request_error", "message": "customer and return_url required"}}
            with state["lock"]:
                state["portal_return"][form["customer"]] = form["return_url"]
            return 200, {"id": "bps_" + uuid.uuid4().hex[:12], "object": "billing_portal.session",
                         "url": f"http://127.0.0.1:{args.bound_port}/p/session/{form['customer']}"}
        if self.path.startswith("/v1/subscriptions/"):
            sub = urllib.parse.unquote(self.path.split("/")[3])
            # Stripe's form booleans are the words true and false; anything else is refused.
            if "cancel_at_period_end" in form and form["cancel_at_period_end"] not in ("true", "false"):
                return 400, {"error": {"type": "invalid_request_error",
                                       "message": "Invalid boolean: " + form["cancel_at_period_end"]}}
            if "items[0][id]" in form:
                needed = ["items[0][price_data][currency]", "items[0][price_data][product]",
                          "items[0][price_data][unit_amount]", "items[0][price_data][recurring][interval]"]
                missing = [k for k in needed if not form.get(k)]
                if missing:
                    return 400, {"error": {"type": "invalid_request_error", "message": f"missing {missing}"}}
            return 200, subscription(sub, form)
        if self.path == "/v1/refunds":
            return refund(form)
        return 404, {"error": {"type": "invalid_request_error", "message": "unknown path"}}

    # Stripe's hosted pages, as far as a browser test needs them.

    def page(self, title, text, button):
        body = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
                f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
                f"<form method=post action='{html.escape(self.path)}'><button type=submit id=standin-pay>{html.escape(button)}</button>"
                "</form></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, url):
        self.send_response(303)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def hosted_page(self):
        key = urllib.parse.unquote(self.path.split("/")[3])
        with state["lock"]:
            session = state["sessions"].get(key)
            customer = state["customers"].get(key)
        if self.path.startswith("/c/pay/") and session:
            f = session["form"]
            amount = int(f["line_items[0][price_data][unit_amount]"]) / 100
            every = f.get("line_items[0][price_data][recurring][interval]")
            return self.page("Stripe test checkout", f"{f['line_items[0][price_data][product_data][name]']}: "
                             f"{amount:.2f} {f['line_items[0][price_data][currency]'].upper()}" + (f" a {every}" if every else ""),
                             "Pay")
        if self.path.startswith("/p/session/") and customer:
            return self.page("Stripe test customer portal", "Update the card and retry the open invoice.", "Update card")
        self.error(404, "invalid_request_error", "no such page")

    def hosted_post(self):
        key = urllib.parse.unquote(self.path.split("/")[3])
        if self.path.startswith("/c/pay/"):
            with state["lock"]:
                session = state["sessions"].get(key)
                first = bool(session) and not session["paid"]
                if session:
                    session["paid"] = True
            if not session:
                return self.error(404, "invalid_request_error", "no such session")
            f = session["form"]
            if first:
                pay_session(key, f)
            return self.redirect(f["success_url"])
        with state["lock"]:
            sub = state["subscriptions"].get(state["customers"].get(key, ""))
            back = state["portal_return"].get(key)
        if not sub:
            return self.error(404, "invalid_request_error", "no such customer")
        send(sub["site"], "invoice.paid", invoice(sub, paid=True))
        with state["lock"]:
            sub["period_end"] = next_period(sub)
            sub["open_failure"] = False
        return self.redirect(back or sub["site"])


def tick():
    """Event times that only move forward, one second apart at least, so that a fix never ties a failure."""
    with state["lock"]:
        state["clock"] = max(int(time.time()), state["clock"] + 1)
        return state["clock"]


def next_period(sub):
    return sub["period_end"] + (365 if sub["interval"] == "year" else 31) * 86400


def webhook_url(site):
    with state["lock"]:
        origin = state["deliver_to"]
    if origin:
        return origin.rstrip("/") + "/webhooks/stripe"
    u = urllib.parse.urlsplit(site)
    return f"{u.scheme}://{u.netloc}/webhooks/stripe"


def send(site, kind, obj):
    created = tick()
    if kind == "invoice.paid":
        obj.setdefault("status_transitions", {})["paid_at"] = created
    return webhook({"type": kind, "object": obj, "created": created, "timestamp": int(time.time()),
                    "url": webhook_url(site)})


def invoice(sub, paid):
    start = sub["period_end"] if sub["renewals"] else sub["period_end"] - (next_period(sub) - sub["period_end"])
    return {"id": "in_" + uuid.uuid4().hex[:14], "object": "invoice", "customer": sub["customer"],
            "currency": sub["currency"], "amount_due": sub["amount"], "amount_paid": sub["amount"] if paid else 0,
            "status": "paid" if paid else "open",
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": sub["id"], "metadata": {"membership_id": sub["membership_id"]}}},
            "lines": {"object": "list", "data": [{"period": {"start": start, "end": next_period(sub) if sub["renewals"] else sub["period_end"]}}]}}


def pay_session(sid, f):
    site = f["success_url"]
    membership = f.get("client_reference_id")
    customer = "cus_" + uuid.uuid4().hex[:14]
    if f["mode"] == "payment" and f.get("metadata[order_id]"):
        # A basket: the total of every line, and the PaymentIntent refunds name.
        total, i = 0, 0
        while f"line_items[{i}][price_data][unit_amount]" in f:
            total += int(f[f"line_items[{i}][price_data][unit_amount]"]) * int(f.get(f"line_items[{i}][quantity]", "1"))
            i += 1
        order = f["metadata[order_id]"]
        pi, charge = "pi_" + uuid.uuid4().hex[:14], "ch_" + uuid.uuid4().hex[:14]
        # The PaymentIntent keeps payment_intent_data[metadata]; its charge carries the same metadata.
        metadata = {k[len("payment_intent_data[metadata]["):-1]: v for k, v in f.items()
                    if k.startswith("payment_intent_data[metadata][")}
        with state["lock"]:
            state["payment_intents"][pi] = {"id": pi, "charge": charge, "amount": total, "refunded": 0,
                                            "currency": f["line_items[0][price_data][currency]"], "customer": customer,
                                            "metadata": metadata, "site": site, "refunds": []}
            state["charges"][charge] = pi
        send(site, "checkout.session.completed", {
            "id": sid, "object": "checkout.session", "mode": "payment", "payment_status": "paid",
            "client_reference_id": f.get("client_reference_id"), "metadata": {"order_id": order}, "customer": customer,
            "payment_intent": pi, "amount_total": total,
            "currency": f["line_items[0][price_data][currency]"]})
        return
    if f["mode"] == "payment":
        send(site, "checkout.session.completed", {
            "id": sid, "object": "checkout.session", "mode": "payment", "payment_status": "paid",
            "client_reference_id": membership, "metadata": {"membership_id": membership}, "customer": customer,
            "amount_total": int(f["line_items[0][price_data][unit_amount]"]),
            "currency": f["line_items[0][price_data][currency]"]})
        return
    interval = f["line_items[0][price_data][recurring][interval]"]
    now = int(time.time())
    sub = {"id": "sub_" + uuid.uuid4().hex[:14], "customer": customer, "membership_id": membership, "site": site,
           "amount": int(f["line_items[0][price_data][unit_amount]"]), "currency": f["line_items[0][price_data][currency]"],
           "interval": interval, "period_end": now + (365 if interval == "year" else 31) * 86400, "renewals": 0,
           "open_failure": False}
    with state["lock"]:
        state["subscriptions"][sub["id"]] = sub
        state["customers"][customer] = sub["id"]
        state["latest"] = sub["id"]
    send(site, "checkout.session.completed", {
        "id": sid, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
        "client_reference_id": membership, "metadata": {"membership_id": membership}, "customer": customer,
        "subscription": sub["id"]})
    send(site, "invoice.paid", invoice(sub, paid=True))
    with state["lock"]:
        sub["renewals"] = 1


def invalid(message, param=None, code=None):
    error = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
    return 400, {"error": error}


def refund(form):
    """POST /v1/refunds as Stripe takes it: one of payment_intent or charge, amount in minor units (optional: the
    rest of the charge), reason, metadata[...]. Anything else is refused like Stripe's unknown parameter."""
    for k in form:
        if k not in REFUND_KEYS and not re.fullmatch(r"metadata\[[^\[\]]{1,40}\]", k):
            return invalid(f"Received unknown parameter: {k}", k, "parameter_unknown")
    if bool(form.get("payment_intent")) == bool(form.get("charge")):
        return invalid("You must pass exactly one of payment_intent or charge.", "payment_intent", "parameter_missing")
    with state["lock"]:
        if form.get("charge"):
            pi_id = state["charges"].get(form["charge"])
            if pi_id is None:
                return invalid(f"No such charge: '{form['charge']}'", "charge", "resource_missing")
        else:
            pi_id = form["payment_intent"]
            if pi_id not in state["payment_intents"]:
                return invalid(f"No such payment_intent: '{pi_id}'", "payment_intent", "resource_missing")
        pi = state["payment_intents"][pi_id]
        left = pi["amount"] - pi["refunded"]
        if left <= 0:
            return invalid(f"Charge {pi['charge']} has already been refunded.", None, "charge_already_refunded")
        amount = form.get("amount")
        if amount is not None:
            if not amount.isdigit():
                return invalid(f"Invalid integer: {amount}", "amount")
            amount = int(amount)
            if amount < 1:
                return invalid("This value must be greater than or equal to 1.", "amount")
            if amount > left:
                return invalid(f"Refund amount ({amount / 100:.2f}) is greater than unrefunded amount on charge "
                               f"({left / 100:.2f})", "amount", "amount_too_large")
        else:
            amount = left
        if form.get("reason") and form["reason"] not in REFUND_REASONS:
            return invalid(f"Invalid reason: must be one of {sorted(REFUND_REASONS)}", "reason")
        pi["refunded"] += amount
        re_id = "re_" + uuid.uuid4().hex[:20]
        metadata = {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}
        answer = {"id": re_id, "object": "refund", "amount": amount, "charge": pi["charge"], "currency": pi["currency"],
                  "payment_intent": pi_id, "metadata": metadata, "reason": form.get("reason"), "status": "succeeded",
                  "created": int(time.time())}
        pi["refunds"].append(answer)
        charge = {"id": pi["charge"], "object": "charge", "amount": pi["amount"], "amount_captured": pi["amount"],
                  "amount_refunded": pi["refunded"], "refunded": pi["refunded"] == pi["amount"], "currency": pi["currency"],
                  "customer": pi["customer"], "payment_intent": pi_id, "metadata": dict(pi["metadata"]),
                  "status": "succeeded", "refunds": {"object": "list", "data": list(reversed(pi["refunds"]))}}
        site = pi["site"]
    # Stripe tells the site afterwards, not inside the API call.
    threading.Thread(target=lambda: (time.sleep(0.05), send(site, "charge.refunded", charge)), daemon=True).start()
    return 200, answer


def renewal_fails(customer):
    with state["lock"]:
        sid = state["customers"].get(customer) if customer else state.get("latest")
        sub = state["subscriptions"].get(sid or "")
    if not sub:
        return {"error": "no such subscription"}
    sub["open_failure"] = True
    return send(sub["site"], "invoice.payment_failed", invoice(sub, paid=False))


def subscription(sub, form=None):
    form = form or {}
    return {"id": sub, "object": "subscription", "status": "active",
            "cancel_at_period_end": form.get("cancel_at_period_end") == "true",
            "items": {"object": "list", "data": [{"id": "si_" + sub[-8:], "price": {
                "id": "price_x", "product": "prod_membership", "currency": "zar", "unit_amount": 15000,
                "recurring": {"interval": "month"}}}]}}


def webhook(spec):
    created = int(spec.get("created") or time.time())
    event = {"id": spec.get("id") or ("evt_" + uuid.uuid4().hex[:24]), "object": "event",
             "api_version": "2025-03-31.basil", "created": created, "type": spec["type"],
             "livemode": False, "pending_webhooks": 1, "data": {"object": spec["object"]}}
    payload = json.dumps(event, separators=(",", ":"))
    secret = spec.get("secret") or args.webhook_secret
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=spec.get("timestamp"))
    if not spec.get("url"):
        return {"payload": payload, "header": header}
    req = urllib.request.Request(spec["url"], data=payload.encode(), method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return {"status": r.status, "body": r.read().decode(errors="replace")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode(errors="replace")}


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--webhook-secret", required=True)
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    args.bound_port = server.server_address[1]
    tie_to_parent()
    print(f"PORT {args.bound_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
