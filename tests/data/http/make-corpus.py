#!/usr/bin/env python3
"""Writes the bad-request corpus: one file of raw bytes per case, and index.txt naming the
expected answer of each. Rerun after editing CASES; the files are checked in as written."""
import os
import random

HOST = b"Host: localhost\r\n"
CLOSE = b"Connection: close\r\n"


def get(extra=b"", target=b"/"):
    return b"GET " + target + b" HTTP/1.1\r\n" + HOST + extra


# name, expected, how, bytes. expected: a status, or N*status for N responses in a row.
# how: "whole" (one write), "bytewise" (one byte per write), "flood-chunked" (then keep
# sending 64 KiB chunks until the worker answers), "flood-body" (then keep sending body bytes).
CASES = [
    ("request-line-garbage", "400", "whole", b"GARBAGE\r\n\r\n"),
    ("request-line-no-version", "400", "whole", b"GET /\r\n\r\n"),
    ("request-line-double-space", "400", "whole", b"GET  / HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("request-line-tab-separator", "400", "whole", b"GET\t/\tHTTP/1.1\r\n" + HOST + b"\r\n"),
    ("request-line-empty-target", "400", "whole", b"GET  HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("request-line-bare-cr", "400", "whole", b"GET / HTTP/1.1\r" + HOST + b"\r\n"),
    ("method-post", "405", "whole", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n\r\nhello"),
    ("method-lowercase", "405", "whole", b"get / HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("method-with-nul", "400", "whole", b"G\x00T / HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("version-garbage", "400", "whole", b"GET / HTTP/1.x\r\n" + HOST + b"\r\n"),
    ("version-single-digit", "400", "whole", b"GET / HTTP/9\r\n" + HOST + b"\r\n"),
    ("version-lowercase", "400", "whole", b"GET / http/1.1\r\n" + HOST + b"\r\n"),
    ("version-long", "400", "whole", b"GET / HTTP/11.1\r\n" + HOST + b"\r\n"),
    ("target-too-long", "414", "whole", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("target-too-long-unterminated", "414", "whole", b"GET /" + b"a" * 40000),
    ("target-with-nul", "400", "whole", b"GET /a\x00b HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("target-with-control-char", "400", "whole", b"GET /a\x01b HTTP/1.1\r\n" + HOST + b"\r\n"),
    ("header-too-large", "431", "whole", get(b"X-Big: " + b"b" * 17000 + b"\r\n") + b"\r\n"),
    ("headers-too-large-unterminated", "431", "whole", get(b"X-Big: " + b"b" * 40000)),
    ("too-many-headers", "431", "whole", get(b"".join(b"X-H%d: v\r\n" % i for i in range(101))) + b"\r\n"),
    ("header-value-with-nul", "400", "whole", get(b"X-A: a\x00b\r\n") + b"\r\n"),
    ("header-value-with-control-char", "400", "whole", get(b"X-A: a\x07b\r\n") + b"\r\n"),
    ("header-name-with-control-char", "400", "whole", get(b"X-\x01A: v\r\n") + b"\r\n"),
    ("header-name-with-space", "400", "whole", get(b"Bad Name: v\r\n") + b"\r\n"),
    ("header-space-before-colon", "400", "whole", get(b"X-A : v\r\n") + b"\r\n"),
    ("header-empty-name", "400", "whole", get(b": v\r\n") + b"\r\n"),
    ("header-without-colon", "400", "whole", get(b"X-A v\r\n") + b"\r\n"),
    # Obsolete line folding is unfolded to spaces, which RFC 9112 5.2 allows instead of a 400.
    ("header-obsolete-fold", "200", "whole", get(CLOSE + b"X-A: v\r\n  folded\r\n") + b"\r\n"),
    ("transfer-encoding-chunked-not-last", "400", "whole", get(b"Transfer-Encoding: chunked, gzip\r\n") + b"\r\n0\r\n\r\n"),
    ("content-length-invalid", "400", "whole", get(b"Content-Length: 5x\r\n") + b"\r\nhello"),
    ("content-length-negative", "400", "whole", get(b"Content-Length: -1\r\n") + b"\r\n"),
    ("content-length-overflow", "400", "whole", get(b"Content-Length: 99999999999999999999999\r\n") + b"\r\n"),
    ("content-length-duplicate", "400", "whole", get(b"Content-Length: 5\r\nContent-Length: 5\r\n") + b"\r\nhello"),
    ("content-length-conflict", "400", "whole", get(b"Content-Length: 5\r\nContent-Length: 6\r\n") + b"\r\nhello!"),
    ("content-length-list", "400", "whole", get(b"Content-Length: 5, 5\r\n") + b"\r\nhello"),
    ("smuggling-cl-then-te", "400", "whole",
     get(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + b"\r\n0\r\n\r\nGET /crash HTTP/1.1\r\n\r\n"),
    ("smuggling-te-then-cl", "400", "whole",
     get(b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n") + b"\r\n0\r\n\r\n"),
    ("smuggling-te-twice", "400", "whole",
     get(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + b"\r\n0\r\n\r\n"),
    ("transfer-encoding-not-chunked", "400", "whole", get(b"Transfer-Encoding: gzip\r\n") + b"\r\nabc"),
    ("chunk-size-not-hex", "400", "whole", get(b"Transfer-Encoding: chunked\r\n") + b"\r\nzz\r\nhello\r\n0\r\n\r\n"),
    ("chunk-size-overflow", "400", "whole",
     get(b"Transfer-Encoding: chunked\r\n") + b"\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    ("chunk-size-negative", "400", "whole", get(b"Transfer-Encoding: chunked\r\n") + b"\r\n-5\r\nhello\r\n0\r\n\r\n"),
    ("chunk-missing-crlf", "400", "whole", get(b"Transfer-Encoding: chunked\r\n") + b"\r\n5\r\nhelloXX0\r\n\r\n"),
    ("random-binary", "400", "whole", bytes(random.Random(6).randrange(256) for _ in range(4096))),
    ("body-huge-content-length", "413", "flood-body", get(b"Content-Length: 1000000000\r\n") + b"\r\n"),
    ("body-huge-chunked", "413", "flood-chunked", get(b"Transfer-Encoding: chunked\r\n") + b"\r\n"),
    ("bytewise-get", "200", "bytewise", get(CLOSE) + b"\r\n"),
    ("bytewise-bad-version", "400", "bytewise", b"GET / HTTP/2.x\r\n" + HOST + b"\r\n"),
    ("pipelined-50", "50*200", "whole", b"".join(get() + b"\r\n" for _ in range(49)) + get(CLOSE) + b"\r\n"),
    ("pipelined-then-garbage", "3*200,400", "whole", (get() + b"\r\n") * 3 + b"GARBAGE\r\n\r\n"),
    ("head-request", "200", "whole", b"HEAD / HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n"),
    ("http10-no-host", "200", "whole", b"GET / HTTP/1.0\r\n\r\n"),
    ("absolute-form-target", "404", "whole", b"GET http://localhost/ HTTP/1.1\r\n" + HOST + CLOSE + b"\r\n"),
    ("crash-without-chaos", "404", "whole", get(CLOSE, b"/crash") + b"\r\n"),
    ("cpu-bad-query", "400", "whole", get(b"", b"/cpu?ms=-1") + b"\r\n"),
    ("sleep-too-long", "400", "whole", get(b"", b"/sleep?ms=99999999999") + b"\r\n"),
]

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "index.txt"), "w") as index:
    index.write("# file expected how -- written by make-corpus.py; expected is a status, or N*status\n")
    index.write("# for N responses, comma-separated in order; how is whole, bytewise, flood-body or flood-chunked\n")
    for name, expected, how, data in CASES:
        with open(os.path.join(here, name + ".http"), "wb") as out:
            out.write(data)
        index.write(f"{name}.http {expected} {how}\n")
