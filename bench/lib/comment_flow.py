#!/usr/bin/env python3
"""Signed-in readers driving the comment flow over the JSON API, each on its own keep-alive connection:

    write (POST /api/v1/articles/SLUG/comments) -> fetch a review task (GET /api/v1/comments/ID/review-task)
    -> review it (POST /api/v1/review-tasks/TASK) -> ... until no task is left -> rate own (POST .../submit)

    comment_flow.py --base http://127.0.0.1:PORT --slug SLUG --readers FILE --seconds 20 [--think 0.1:0.3]

FILE holds one JSON object per line ({"cookie": ..., "csrf": ...}, as `quorum bench readers` prints them).
With --think LOW:HIGH each reader waits a random time in that range (seconds) between steps; without, none.
Prints one JSON object: per step (write, task, review, submit) the count, p50/p90/p99/max in milliseconds and
the count of each status; "all" for every step together; flows completed.
"""
import argparse, http.client, json, random, threading, time, urllib.parse

STEPS = ["write", "task", "review", "submit"]
# Texts different enough that the pre-screen's duplicate rule never meets the same one twice.
SUBJECTS = ["The council", "The port authority", "The mayor", "The committee", "The harbour board", "The minister",
            "The opposition", "Our ward councillor", "The treasury", "The consultants"]
VERBS = ["should publish", "has to explain", "never mentioned", "keeps revising", "ought to cost", "quietly dropped",
         "must answer for", "could still rescue", "underestimated", "will regret"]
OBJECTS = ["the dredging budget", "the ferry timetable", "the fishing quotas", "the tram extension", "the parking plan",
           "the sea wall repairs", "the consultation period", "the quay lighting", "the maintenance contract", "the traffic study"]
TAILS = ["before the vote", "this year", "to residents", "in the minutes", "in plain language", "at the next meeting",
         "for the third time", "without a tender", "after the election", "by the spring"]

def make_text(rng):
    return " ".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}." for _ in range(3))

def reader(base, slug, creds, deadline, think, index, results, lock, source=None):
    url = urllib.parse.urlsplit(base)
    bind = (source, 0) if source else None
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=bind)
    headers = {
        "Cookie": "quorum_session=" + creds["cookie"],
        "X-CSRF-Token": creds["csrf"],
        "Origin": base,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    rng = random.Random(f"{index}-{time.time_ns()}")  # each run writes new texts (the duplicate rule spans runs)
    mine = {step: [] for step in STEPS}
    codes = {step: {} for step in STEPS}
    flows = 0
    n = 0
    errors = {}

    def call(step, method, path, body=None):
        nonlocal conn
        if think:
            time.sleep(rng.uniform(*think))
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
        except Exception:
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=bind)
            payload, status = b"", 0
        mine[step].append((time.perf_counter() - start) * 1000)
        if status >= 400 and step not in errors:
            errors[step] = f"{status} {payload[:200].decode(errors='replace')}"
        codes[step][status] = codes[step].get(status, 0) + 1
        try:
            return status, json.loads(payload) if payload else {}
        except ValueError:
            return status, {}

    while time.monotonic() < deadline:
        n += 1
        status, written = call("write", "POST", f"/api/v1/articles/{slug}/comments", {"body": make_text(rng)})
        if status != 201:
            continue
        comment = written["comment"]["id"]
        for _ in range(10):
            status, task = call("task", "GET", f"/api/v1/comments/{comment}/review-task")
            if status != 200 or not task.get("task"):
                break
            call("review", "POST", f"/api/v1/review-tasks/{task['task']['id']}", {"civil": True, "quality": rng.choice(["good", "somewhat"])})
        status, _ = call("submit", "POST", f"/api/v1/comments/{comment}/submit", {"civil": True})
        if status == 200:
            flows += 1
    with lock:
        for step in STEPS:
            results["samples"][step].extend(mine[step])
            for k, v in codes[step].items():
                results["statuses"][step][k] = results["statuses"][step].get(k, 0) + v
        results["flows"] += flows
        for step, text in errors.items():
            results["errors"].setdefault(step, text)

def summary(samples, statuses):
    samples = sorted(samples)
    def pct(q):
        return round(samples[min(len(samples) - 1, int(q * len(samples)))], 2) if samples else None
    return {"requests": len(samples), "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99),
            "max": round(samples[-1], 2) if samples else None, "statuses": {str(k): v for k, v in sorted(statuses.items())}}

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--readers", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", default="")
    parser.add_argument("--brief", action="store_true", help="print one line: each step's p50 in ms")
    parser.add_argument("--source", default=None, help="local address to connect from (e.g. 127.0.0.2: a rate-limit bucket of its own)")
    args = parser.parse_args()
    creds = [json.loads(line) for line in open(args.readers) if line.strip()]
    think = tuple(float(x) for x in args.think.split(":")) if args.think else None
    results = {"samples": {s: [] for s in STEPS}, "statuses": {s: {} for s in STEPS}, "flows": 0, "errors": {}}
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=reader, args=(args.base, args.slug, c, deadline, think, i, results, lock, args.source)) for i, c in enumerate(creds)]
    for t in threads: t.start()
    for t in threads: t.join()
    out = {step: summary(results["samples"][step], results["statuses"][step]) for step in STEPS}
    every = [x for step in STEPS for x in results["samples"][step]]
    merged = {}
    for step in STEPS:
        for k, v in results["statuses"][step].items():
            merged[k] = merged.get(k, 0) + v
    out["all"] = summary(every, merged)
    out["flows"] = results["flows"]
    out["errors"] = results["errors"]
    if args.brief:
        print(" ".join(f"{step} {out[step]['p50']}" for step in STEPS + ["all"]) + f" ({out['all']['requests']} requests, statuses {out['all']['statuses']})")
    else:
        print(json.dumps(out))

if __name__ == "__main__":
    main()
