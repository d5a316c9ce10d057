"""Checks of the API sweep (bench/api_sweep.sh) beyond schemathesis's own: the security
headers on every response, whatever its status."""

import schemathesis


@schemathesis.check
def security_headers(ctx, response, case):
    """CSP with default-src 'self' and frame-ancestors 'none', nosniff, same-origin referrer."""
    headers = response.headers

    def one(name):
        values = headers.get(name) or []
        return values[0] if values else ""

    csp = one("content-security-policy")
    missing = []
    if "default-src 'self'" not in csp:
        missing.append("Content-Security-Policy default-src 'self'")
    if "frame-ancestors 'none'" not in csp:
        missing.append("Content-Security-Policy frame-ancestors 'none'")
    if one("x-content-type-options") != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    if one("referrer-policy") != "same-origin":
        missing.append("Referrer-Policy: same-origin")
    if missing:
        raise AssertionError("missing security headers: " + ", ".join(missing))
