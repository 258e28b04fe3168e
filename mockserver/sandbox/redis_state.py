"""The sandbox's shared state in Redis: what every replica reads and writes, and nothing else.

One Redis holds, per session, a hash (a generation that changes on every reset or import,
the version: how many changes this generation has, a snapshot of the data at version
``base``, the seed, the fault rules and their revision, the journal's id counter), a list
of the changes after the snapshot (each with its resolved records), the journal, and the
count of draws each fault rule has made. A sorted set holds the sessions by last use, so
that expiry and eviction are the same for every replica.

Each step is one Lua script, so that it is atomic: ``sync`` (create if asked, note the
use, return what a replica has not seen: in the common case nothing, in one round trip),
``append`` (a change, only if the writer was current: else a conflict, retried by the
caller), ``replace`` (a reset or an import), ``compact`` (a newer snapshot, shorter log).
Redis errors become ``StateUnavailable`` (503): never stale data presented as current.
This module knows keys and scripts, not records: values are JSON strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..core.errors import ServiceUnavailable

PREFIX = "mockserver:"
P = ParamSpec("P")
T = TypeVar("T")


class StateUnavailable(ServiceUnavailable):
    """Redis cannot be reached (or refused the command): nothing was read or changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The shared state (Redis) cannot be reached: {reason}. Nothing was read or "
            "changed; try again shortly.", headers={"Retry-After": "1"})


class OriginMismatch(ValueError):
    """A replica started with options that would give another baseline than the others'."""


# Dropping a session deletes all its keys; expiry runs at the start of every script that
# looks sessions up, so every replica sees the same sessions.
_DROP = """
local zset, prefix = KEYS[1], ARGV[1]
local function drop(victim)
  redis.call('ZREM', zset, victim)
  local key = prefix .. 's:' .. victim
  redis.call('DEL', key, key .. ':log', key .. ':journal', key .. ':draws')
end
local function expire(now, idle)
  for _, victim in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. (now - idle))) do
    if victim ~= 'default' then drop(victim) end
  end
end
"""

# KEYS: sessions, hash, log, origin. ARGV: prefix, name, now, idle, max named, create
# (0/1), known gen, known version, known faults revision, new gen, seed, origin (kept again
# when a Redis that lost its data comes back, so a replica started later still agrees).
_SYNC = _DROP + """
local hash, log, name = KEYS[2], KEYS[3], ARGV[2]
local now, idle, most = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
expire(now, idle)
if redis.call('EXISTS', hash) == 0 then
  if ARGV[6] == '0' then return {0} end
  if name ~= 'default' then
    while redis.call('ZCARD', zset) - (redis.call('ZSCORE', zset, 'default') and 1 or 0) >= most do
      local oldest = redis.call('ZRANGE', zset, 0, 1)
      if oldest[1] == 'default' then drop(oldest[2]) else drop(oldest[1]) end
    end
  end
  redis.call('HSET', hash, 'gen', ARGV[10], 'ver', 0, 'base', 0, 'snap', '', 'seed', ARGV[11],
             'faults', '', 'frev', 0, 'jid', 0)
  if ARGV[12] ~= '' then redis.call('SET', KEYS[4], ARGV[12], 'NX') end
end
redis.call('ZADD', zset, now, name)
local f = redis.call('HMGET', hash, 'gen', 'ver', 'base', 'frev', 'seed')
local ver, base, known = tonumber(f[2]), tonumber(f[3]), tonumber(ARGV[8])
local out = {1, f[1], ver, base, f[4], f[5], false, false, false}
local from = known - base
if f[1] ~= ARGV[7] or known < base then
  out[7] = redis.call('HGET', hash, 'snap')
  from = 0
end
if ver - base > from then out[8] = redis.call('LRANGE', log, from, -1) end
if f[4] ~= ARGV[9] then out[9] = redis.call('HGET', hash, 'faults') end
return out
"""

# KEYS: hash, log. ARGV: gen, the version the change was made on, the change.
_APPEND = """
local f = redis.call('HMGET', KEYS[1], 'gen', 'ver', 'base')
if f[1] ~= ARGV[1] or tonumber(f[2]) ~= tonumber(ARGV[2]) then return {0, 0, 0} end
redis.call('RPUSH', KEYS[2], ARGV[3])
local ver = redis.call('HINCRBY', KEYS[1], 'ver', 1)
return {1, ver, ver - tonumber(f[3])}
"""

# KEYS: sessions, hash, log. ARGV: prefix, name, now, new gen, snapshot, seed.
_REPLACE = """
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[2], 'gen', ARGV[4], 'ver', 0, 'base', 0, 'snap', ARGV[5], 'seed', ARGV[6])
redis.call('HSETNX', KEYS[2], 'faults', '')
redis.call('HSETNX', KEYS[2], 'frev', 0)
redis.call('HSETNX', KEYS[2], 'jid', 0)
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
"""

# KEYS: hash, log. ARGV: gen, the version the snapshot is of, the snapshot.
_COMPACT = """
local f = redis.call('HMGET', KEYS[1], 'gen', 'ver', 'base')
local at, base = tonumber(ARGV[2]), tonumber(f[3])
if f[1] ~= ARGV[1] or at <= base or at > tonumber(f[2]) then return 0 end
redis.call('LTRIM', KEYS[2], at - base, -1)
redis.call('HSET', KEYS[1], 'base', at, 'snap', ARGV[3])
return 1
"""

# KEYS: hash, draws. ARGV: the rules document.
_SET_FAULTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'faults', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'frev', 1)
"""

# KEYS: hash, journal. ARGV: the entry (its id is prefixed: "<id> <json>"), the size.
_JOURNAL_ADD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local id = redis.call('HINCRBY', KEYS[1], 'jid', 1)
redis.call('RPUSH', KEYS[2], id .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return id
"""

# KEYS: sessions. ARGV: prefix, now, idle.
_NAMES = _DROP + """
expire(tonumber(ARGV[2]), tonumber(ARGV[3]))
return redis.call('ZRANGE', zset, 0, -1)
"""


def without_password(url: str) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


@dataclass(frozen=True)
class Seen:
    """What ``sync`` found: the session's generation, and what the replica had not seen
    (``snapshot`` None: keep the data; ``""``: the baseline, else a document, of the data
    at version ``base``; then the changes after it)."""

    gen: str
    base: int
    faults_revision: int
    seed: int
    snapshot: str | None
    changes: list[str]
    faults: str | None


def _guarded(method: Callable[P, T]) -> Callable[P, T]:
    """Redis errors become a 503 naming the reason; the last one is kept for health."""

    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        state = args[0]
        assert isinstance(state, RedisState)
        try:
            result = method(*args, **kwargs)
        except redis.RedisError as exc:
            state.failure = f"{type(exc).__name__}: {str(exc).rstrip('.')}"
            raise StateUnavailable(state.failure) from exc
        state.failure = None
        return result

    guarded.__doc__, guarded.__name__ = method.__doc__, method.__name__
    return guarded


class RedisState:
    """One Redis, as every replica of one sandbox sees it."""

    def __init__(self, url: str, connections: int = 64, timeout: float = 2.0) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1),
        )
        self.client = redis.Redis(connection_pool=pool)
        self.url = without_password(url)  # for messages: never the secret
        self.failure: str | None = None  # the last error, until a command succeeds again
        self._sessions = PREFIX + "sessions"
        self._origin = ""  # the sandbox's origin, once claimed
        self._scripts = {name: self.client.register_script(text) for name, text in (
            ("sync", _SYNC), ("append", _APPEND), ("replace", _REPLACE),
            ("compact", _COMPACT), ("set_faults", _SET_FAULTS),
            ("journal_add", _JOURNAL_ADD), ("names", _NAMES))}

    @staticmethod
    def _key(name: str, part: str = "") -> str:
        return f"{PREFIX}s:{name}{part}"

    @_guarded
    def ping(self) -> None:
        self.client.ping()

    @_guarded
    def claim_origin(self, origin: dict[str, Any]) -> dict[str, Any]:
        """The origin the first replica recorded (``origin`` if this is the first): what
        every replica must agree on to build the same baseline."""
        key = PREFIX + "origin"
        self.client.set(key, json.dumps(origin, sort_keys=True), nx=True)
        stored = self.client.get(key)
        assert stored is not None
        self._origin = bytes(stored).decode()  # type: ignore[arg-type]
        found: dict[str, Any] = json.loads(self._origin)
        return found

    @_guarded
    def sync(self, name: str, create: bool, gen: str | None, version: int,
             faults_revision: int, new_gen: str, seed: int, now: float, idle: float,
             max_named: int) -> Seen | None:
        """Note a use of the session and return what the caller has not seen (None: no
        such session, and ``create`` was false)."""
        keys = [self._sessions, self._key(name), self._key(name, ":log"), PREFIX + "origin"]
        args: list[Any] = [PREFIX, name, repr(now), repr(idle), max_named, int(create),
                           gen or "", version, faults_revision, new_gen, seed, self._origin]
        out = self._scripts["sync"](keys=keys, args=args)
        if out[0] == 0:
            return None
        return Seen(
            gen=out[1].decode(), base=int(out[3]),
            faults_revision=int(out[4]), seed=int(out[5]),
            snapshot=None if out[6] is None else out[6].decode(),
            changes=[] if out[7] is None else [c.decode() for c in out[7]],
            faults=None if out[8] is None else out[8].decode(),
        )

    @_guarded
    def append(self, name: str, gen: str, version: int, change: str) -> tuple[int, int] | None:
        """Add ``change``, made on ``version``: the new version and the log's length, or
        None if another change came first (or the session was reset or dropped)."""
        out = self._scripts["append"](
            keys=[self._key(name), self._key(name, ":log")], args=[gen, version, change])
        return None if out[0] == 0 else (int(out[1]), int(out[2]))

    @_guarded
    def replace(self, name: str, gen: str, snapshot: str, seed: int, now: float) -> None:
        """The session's data, whole (``""``: the baseline), as a new generation."""
        self._scripts["replace"](
            keys=[self._sessions, self._key(name), self._key(name, ":log")],
            args=[PREFIX, name, repr(now), gen, snapshot, seed])

    @_guarded
    def compact(self, name: str, gen: str, version: int, snapshot: str) -> bool:
        """Keep ``snapshot`` as the data at ``version`` and drop the changes before it."""
        return bool(self._scripts["compact"](
            keys=[self._key(name), self._key(name, ":log")], args=[gen, version, snapshot]))

    @_guarded
    def set_faults(self, name: str, rules: str) -> int | None:
        """Install a rules document; the new revision (None: no such session)."""
        out = int(self._scripts["set_faults"](
            keys=[self._key(name), self._key(name, ":draws")], args=[rules]))
        return None if out < 0 else out

    @_guarded
    def draw(self, name: str, operation: str) -> int:
        """The number of this draw among all the rule's draws, on every replica (from 1)."""
        return int(self.client.hincrby(self._key(name, ":draws"), operation, 1))

    @_guarded
    def journal_add(self, name: str, entry: str, size: int) -> int:
        """Add a journal entry (its id is given by Redis); 0 if the session is gone."""
        return int(self._scripts["journal_add"](
            keys=[self._key(name), self._key(name, ":journal")], args=[entry, size]))

    @_guarded
    def journal(self, name: str) -> list[tuple[int, str]]:
        """The entries, oldest first, as (id, JSON)."""
        raw: list[Any] = self.client.lrange(self._key(name, ":journal"), 0, -1)  # type: ignore[assignment]
        out = []
        for item in raw:
            number, _, text = bytes(item).decode().partition(" ")
            out.append((int(number), text))
        return out

    @_guarded
    def journal_clear(self, name: str) -> None:
        self.client.delete(self._key(name, ":journal"))

    @_guarded
    def names(self, now: float, idle: float) -> list[str]:
        """The sessions that exist, least recently used first (expired ones dropped)."""
        out = self._scripts["names"](keys=[self._sessions], args=[PREFIX, repr(now), repr(idle)])
        return [bytes(n).decode() for n in out]
