#!/usr/bin/env python3
"""Per-request latency over keep-alive HTTP/1.1 connections on loopback.

    latency.py --seconds 10 --clients 1 URL [URL ...]     # each client cycles through the URLs
    latency.py --header "Cookie: quorum_session=…" URL    # headers sent with every request

Prints one JSON object: requests, p50/p90/p99/max in milliseconds, and the count of each status code.
Several runs can go at once (one process each), e.g. a load on one address while another is measured.
"""
import argparse, http.client, json, threading, time, urllib.parse

def client(urls, deadline, samples, statuses, lock, extra={}):
    parsed = [urllib.parse.urlsplit(u) for u in urls]
    conn = http.client.HTTPConnection(parsed[0].hostname, parsed[0].port, timeout=30)
    i = 0
    mine, codes = [], {}
    while time.monotonic() < deadline:
        p = parsed[i % len(parsed)]
        i += 1
        path = p.path + ("?" + p.query if p.query else "")
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept-Encoding": "identity", **extra})
            response = conn.getresponse()
            response.read()
            code = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
        except Exception:
            code = 0
            conn.close()
            conn = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
        mine.append((time.perf_counter() - start) * 1000)
        codes[code] = codes.get(code, 0) + 1
    with lock:
        samples.extend(mine)
        for k, v in codes.items():
            statuses[k] = statuses.get(k, 0) + v

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--header", action="append", default=[], help="NAME: VALUE, sent with every request")
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    samples, statuses, lock = [], {}, threading.Lock()
    deadline = time.monotonic() + args.seconds
    extra = dict(h.split(": ", 1) for h in args.header)
    threads = [threading.Thread(target=client, args=(args.urls, deadline, samples, statuses, lock, extra)) for _ in range(args.clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    samples.sort()
    def pct(q):
        return round(samples[min(len(samples) - 1, int(q * len(samples)))], 2) if samples else None
    print(json.dumps({"requests": len(samples), "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99),
                      "max": round(samples[-1], 2) if samples else None, "statuses": {str(k): v for k, v in sorted(statuses.items())}}))

if __name__ == "__main__":
    main()
