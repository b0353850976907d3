"""The misbehaviour the test control injects into an account (under /_sandbox/accounts/NAME):
usage headers, rejected tokens, throttling, broken media files."""
from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify

from .accounts import Account
from .cdn import FAULT_MODES
from .control import body, ctl_account, state
from .errors import ControlError
from .state import THROTTLE_MESSAGES, THROTTLE_STATUS, sandbox

USAGE_METRICS = ("call_count", "total_cputime", "total_time")

faults = Blueprint("faults", __name__, url_prefix="/_sandbox/accounts/<name>")


def changed(acct: Account, change) -> Response:
    """`change` applied to the account's control state under the lock; the account's state."""
    control = sandbox().control
    with control.lock:
        change(control.get(acct.name))
    return jsonify(state(acct))


@faults.post("/usage")
def ctl_usage(name):
    acct = ctl_account(name)
    b = body()
    usage = {}
    for kind in ("app", "business"):
        numbers = b.get(kind)
        if numbers is None:
            continue
        allowed = USAGE_METRICS + (("estimated_time_to_regain_access",) if kind == "business" else ())
        if not isinstance(numbers, dict) or any(k not in allowed or not isinstance(v, (int, float)) or v < 0
                                                for k, v in numbers.items()):
            raise ControlError(f"{kind} must be an object of non-negative numbers among {list(allowed)}")
        usage[kind] = {k: numbers.get(k, 0) for k in allowed}
    if set(b) - {"app", "business"}:
        raise ControlError("body may hold app and business only")

    def set_usage(ctl):
        ctl.usage = usage

    return changed(acct, set_usage)


@faults.delete("/usage")
def ctl_clear_usage(name):
    acct = ctl_account(name)

    def clear(ctl):
        ctl.usage = {}

    return changed(acct, clear)


@faults.post("/reject")
def ctl_reject(name):
    acct = ctl_account(name)
    b = body()

    def reject(ctl):
        if b.get("before_now"):
            ctl.reject_before = time.time()
        else:
            ctl.reject_all = True

    return changed(acct, reject)


@faults.delete("/reject")
def ctl_unreject(name):
    acct = ctl_account(name)

    def accept(ctl):
        ctl.reject_all, ctl.reject_before = False, None

    return changed(acct, accept)


@faults.post("/throttle")
def ctl_throttle(name):
    acct = ctl_account(name)
    b = body()
    try:
        count = int(b.get("count", 1))
        code = int(b.get("code", 4))
        status = int(b.get("status", THROTTLE_STATUS.get(code, 400)))
    except (TypeError, ValueError):
        raise ControlError("count, code and status must be integers") from None
    if code not in THROTTLE_MESSAGES:
        raise ControlError(f"code must be one of {sorted(THROTTLE_MESSAGES)}")
    if count < 0 or not 400 <= status <= 599:
        raise ControlError("count must be >= 0 and status a 4xx/5xx")

    def throttle(ctl):
        ctl.throttle_remaining, ctl.throttle_code, ctl.throttle_status = count, code, status

    return changed(acct, throttle)


@faults.delete("/throttle")
def ctl_unthrottle(name):
    acct = ctl_account(name)

    def unthrottle(ctl):
        ctl.throttle_remaining = 0

    return changed(acct, unthrottle)


@faults.post("/faults")
def ctl_faults(name):
    acct = ctl_account(name)
    b = body()
    ids = b.get("media_ids")
    mode = str(b.get("mode", "broken"))
    if not isinstance(ids, list) or not ids:
        raise ControlError("media_ids must be a non-empty list")
    if mode not in FAULT_MODES:
        raise ControlError(f"mode must be one of {list(FAULT_MODES)}")
    sb = sandbox()
    known = {p["id"] for p in sb.all_posts(acct)}
    unknown = [str(i) for i in ids if str(i) not in known]
    if unknown:
        raise ControlError(f"unknown media ids {unknown[:5]}", 404)
    ctl = sb.control.get(acct.name)
    with sb.control.lock:
        for i in ids:
            ctl.faults[str(i)] = {"mode": mode, **({"seconds": float(b.get("seconds", 5))} if mode == "slow" else {})}
    return jsonify(state(acct))


@faults.delete("/faults")
def ctl_clear_faults(name):
    acct = ctl_account(name)
    return changed(acct, lambda ctl: ctl.faults.clear())
