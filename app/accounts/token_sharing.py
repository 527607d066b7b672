"""With ``PORTAL_REDIS_URL``, a process that commits a change to who holds a token (a logout,
a disabled account, a role taken away) tells the other web processes at once, and they forget
their remembered users (``token_cache``): over Redis publish/subscribe, so that a request
costs nothing more than before. Without Redis, or while it is away, other processes see the
change within ``PORTAL_AUTH_CACHE_SECONDS`` as before (docs/decisions/0031)."""

from __future__ import annotations

import logging
import secrets
import threading

from app import redis_store
from app.accounts import token_cache

log = logging.getLogger(__name__)
CHANNEL = "auth-changed"
# How long a lost subscription waits before subscribing again.
RETRY_SECONDS = 2.0

_me = secrets.token_hex(8)
_started = False
_lock = threading.Lock()


def _publish() -> None:
    client = redis_store.client()
    if client is None:
        return
    try:
        client.publish(redis_store.key(CHANNEL), _me)
    except redis_store.redis.RedisError as exc:
        log.warning("token change not announced to other processes (%s)", type(exc).__name__)


def _listen(stop: threading.Event) -> None:
    while not stop.is_set():
        client = redis_store.client()
        if client is None:
            return
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(redis_store.key(CHANNEL))
            token_cache.forget_all()  # announcements may have been missed while away
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("data") != _me.encode():
                    token_cache.forget_all()
        except redis_store.redis.RedisError as exc:
            log.warning("token changes of other processes not heard (%s)", type(exc).__name__)
            stop.wait(RETRY_SECONDS)


def start() -> threading.Event | None:
    """Announce and hear changes (once per process; nothing without ``PORTAL_REDIS_URL``)."""
    global _started
    with _lock:
        if _started or redis_store.client() is None:
            return None
        _started = True
    token_cache.announce = _publish
    stop = threading.Event()
    threading.Thread(target=_listen, args=(stop,), name="portal-token-sharing", daemon=True).start()
    return stop


def stop_sharing(stop: threading.Event | None) -> None:
    global _started
    if stop is None:
        return
    stop.set()
    token_cache.announce = None
    with _lock:
        _started = False
