"""The Redis side of a shared crawl: leases on popped requests, worker liveness, re-queueing
the work of dead workers, and the end of a crawl. Each multi-step change is one Lua script,
so a worker killed at any instant leaves Redis consistent.

Keys under `prefix` (one crawl of one site):

    requests          ZSET  scrapy-redis PriorityQueue (score = -priority)
    dupefilter        SET   scrapy-redis RFPDupeFilter fingerprints
    params            STR   the crawl's parameters (JSON); a worker with others is refused
    stats             HASH  crawl-wide counters, summed over workers
    listings          SET   "<url>\\n<category>" of article links filtered as duplicates
    workers           HASH  worker id -> JSON (host, pid, crawl_id, since)
    seeding           SET   workers still yielding their start requests
    alive:<worker>    STR   the worker's lease, renewed by its heartbeat (PX)
    inflight:<worker> HASH  sha1(request) -> "<score>\\n<request>": popped, not yet done
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import redis

# Atomic: a request is either in the queue or in a worker's in-flight hash, never neither.
# The worker is (re-)registered with its lease so that a worker dropped as dead while it was
# only slow cannot hold requests that nobody would give back.
LEASE_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], redis.sha1hex(top[1]), top[2] .. '\\n' .. top[1])
redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2])
return top[1]
"""

# Atomic: a fingerprint is only marked seen together with its request entering the queue.
PUSH_UNSEEN = """
if ARGV[4] == '1' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Every registered worker whose lease expired: its in-flight requests go back to the queue.
REQUEUE_DEAD = """
local prefix, moved = ARGV[1], 0
for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
  if redis.call('EXISTS', prefix .. ':alive:' .. id) == 0 then
    local inflight = prefix .. ':inflight:' .. id
    for _, entry in ipairs(redis.call('HVALS', inflight)) do
      local cut = string.find(entry, '\\n', 1, true)
      redis.call('ZADD', KEYS[1], string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1))
      moved = moved + 1
    end
    redis.call('DEL', inflight)
    redis.call('HDEL', KEYS[2], id)
    redis.call('SREM', KEYS[3], id)
  end
end
return moved
"""

# Back to the queue: everything in one worker's in-flight hash.
RELEASE_ALL = """
local moved = 0
for _, entry in ipairs(redis.call('HVALS', KEYS[2])) do
  local cut = string.find(entry, '\\n', 1, true)
  redis.call('ZADD', KEYS[1], string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1))
  moved = moved + 1
end
redis.call('DEL', KEYS[2])
return moved
"""

# Whether anyone but ARGV[2] may still produce requests: queued work, a worker still
# seeding, or a registered worker (alive or not yet re-queued) holding in-flight requests.
BUSY_CHECK = """
local prefix, me = ARGV[1], ARGV[2]
if redis.call('ZCARD', KEYS[1]) > 0 then return 1 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if id ~= me and redis.call('EXISTS', prefix .. ':alive:' .. id) == 1 then return 1 end
end
for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
  if id ~= me and redis.call('HLEN', prefix .. ':inflight:' .. id) > 0 then return 1 end
end
"""
BUSY = BUSY_CHECK + "return 0"

# The crawl is over when nobody is busy: its frontier is cleared in the same step, so that a
# worker joining at that instant either keeps it alive or starts a new crawl.
FINISH = BUSY_CHECK + """
redis.call('DEL', KEYS[1], KEYS[4], KEYS[5], KEYS[3])
redis.call('EXPIRE', KEYS[6], ARGV[3])
return 0
"""

# A new crawl records its parameters (and starts its counters afresh); a joining worker must
# bring the same ones. A worker that joins is registered, alive and seeding in the same step.
JOIN = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return current end
if not current then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[6])
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
redis.call('SADD', KEYS[5], ARGV[2])
if current then return 0 end
return 1
"""


class CrawlConflict(RuntimeError):
    """The shared crawl under this prefix runs with other parameters."""


def request_id(data: bytes) -> str:
    """The in-flight field of an encoded request (what redis.sha1hex gives in LEASE_POP)."""
    return hashlib.sha1(data).hexdigest()


class SharedFrontier:
    def __init__(self, server: redis.Redis, prefix: str, worker: str) -> None:
        self.server = server
        self.prefix = prefix
        self.worker = worker
        self.queue_key = f"{prefix}:requests"
        self.dupefilter_key = f"{prefix}:dupefilter"
        self.workers_key = f"{prefix}:workers"
        self.seeding_key = f"{prefix}:seeding"
        self.stats_key = f"{prefix}:stats"
        self.params_key = f"{prefix}:params"
        self.listings_key = f"{prefix}:listings"
        self.alive_key = f"{prefix}:alive:{worker}"
        self.inflight_key = f"{prefix}:inflight:{worker}"
        self.info = "{}"
        self._lease_pop = server.register_script(LEASE_POP)
        self._push_unseen = server.register_script(PUSH_UNSEEN)
        self._requeue_dead = server.register_script(REQUEUE_DEAD)
        self._busy = server.register_script(BUSY)
        self._finish = server.register_script(FINISH)
        self._join = server.register_script(JOIN)
        self._release_all = server.register_script(RELEASE_ALL)

    def join(self, params: Mapping[str, Any], info: Mapping[str, Any], lease_seconds: float) -> bool:
        """Take part in the crawl, registered as alive and seeding; True when this worker
        starts it (no crawl was under way). CrawlConflict when one with other parameters is."""
        wanted = json.dumps(params, sort_keys=True)
        self.info = json.dumps(dict(info))
        answer = self._join(keys=[self.params_key, self.stats_key, self.workers_key, self.alive_key,
                                  self.seeding_key, self.listings_key],
                            args=[wanted, self.worker, self.info, int(lease_seconds * 1000)])
        if isinstance(answer, bytes):
            raise CrawlConflict(f"a crawl with other parameters is under way at {self.prefix}: "
                                f"{answer.decode()} (this worker: {wanted})")
        return answer == 1

    def heartbeat(self, lease_seconds: float) -> None:
        """Renew this worker's lease (and its registration, should it have been dropped)."""
        with self.server.pipeline() as pipe:
            pipe.hset(self.workers_key, self.worker, self.info)
            pipe.set(self.alive_key, "1", px=int(lease_seconds * 1000))
            pipe.execute()

    def seeded(self) -> None:
        self.server.srem(self.seeding_key, self.worker)

    def push(self, fingerprint: str | None, data: bytes, score: float) -> bool:
        """Queue a request; with a fingerprint, only if it was never seen. False when seen."""
        return bool(self._push_unseen(keys=[self.dupefilter_key, self.queue_key],
                                      args=[fingerprint or "", score, data, "1" if fingerprint else "0"]))

    def lease(self) -> bytes | None:
        """Pop the next request, recording it in this worker's in-flight hash."""
        return self._lease_pop(keys=[self.queue_key, self.inflight_key, self.workers_key],
                               args=[self.worker, self.info])

    def ack(self, ids: Iterable[str], counters: Mapping[str, int] | None = None) -> None:
        """Requests done and their articles stored; counters are added to the crawl's."""
        ids = list(ids)
        with self.server.pipeline() as pipe:
            if ids:
                pipe.hdel(self.inflight_key, *ids)
            for name, delta in (counters or {}).items():
                if delta:
                    pipe.hincrby(self.stats_key, name, delta)
            pipe.execute()

    def add_listing(self, url: str, categories: Iterable[str]) -> None:
        """An article link, found under these categories, that another worker may fetch."""
        members = [f"{url}\n{category}" for category in categories]
        if members:
            self.server.sadd(self.listings_key, *members)

    def take_listings(self) -> dict[str, set[str]]:
        """The categories of every link added with add_listing, by URL; forgotten after."""
        listings: dict[str, set[str]] = {}
        for member in self.server.smembers(self.listings_key):
            url, _, category = member.decode().partition("\n")
            listings.setdefault(url, set()).add(category)
        self.server.delete(self.listings_key)
        return listings

    def release_all(self) -> int:
        """Give every request in this worker's in-flight hash back to the queue. For a worker
        that holds none: entries there are leases whose answer it never got (a timeout)."""
        return int(self._release_all(keys=[self.queue_key, self.inflight_key]))

    def requeue_dead(self) -> int:
        """Give the in-flight requests of workers whose lease expired back to the queue."""
        return int(self._requeue_dead(keys=[self.queue_key, self.workers_key, self.seeding_key],
                                      args=[self.prefix]))

    def busy(self) -> bool:
        """Whether the crawl may still see new requests from anyone but this worker."""
        return bool(self._busy(keys=[self.queue_key, self.workers_key, self.seeding_key],
                               args=[self.prefix, self.worker]))

    def pending(self) -> int:
        return int(self.server.zcard(self.queue_key))

    def crawl_stats(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.server.hgetall(self.stats_key).items()}

    def leave(self) -> None:
        """Unregister; whatever this worker still holds goes back to the queue first."""
        self.server.delete(self.alive_key)
        self.requeue_dead()

    def finish(self, stats_ttl: float = 86_400) -> bool:
        """Clear the frontier if nobody is busy any more, so that the next run seeds afresh;
        the crawl-wide counters stay a while for people watching. True when cleared."""
        keys = [self.queue_key, self.workers_key, self.seeding_key, self.dupefilter_key,
                self.params_key, self.stats_key]
        return self._finish(keys=keys, args=[self.prefix, self.worker, int(stats_ttl)]) == 0

    def status(self) -> dict[str, Any]:
        """What people watching the crawl want: queue, seen, workers and their in-flight work."""
        workers = {}
        for worker, info in self.server.hgetall(self.workers_key).items():
            name = worker.decode()
            workers[name] = {**json.loads(info),
                             "alive": bool(self.server.exists(f"{self.prefix}:alive:{name}")),
                             "in_flight": int(self.server.hlen(f"{self.prefix}:inflight:{name}"))}
        return {"prefix": self.prefix, "queued": self.pending(),
                "seen": int(self.server.scard(self.dupefilter_key)),
                "params": json.loads(self.server.get(self.params_key) or "null"),
                "seeding": sorted(m.decode() for m in self.server.smembers(self.seeding_key)),
                "workers": workers, "stats": self.crawl_stats()}

    def reset(self) -> int:
        """Forget the crawl entirely (every key under the prefix). Returns how many keys."""
        keys = list(self.server.scan_iter(match=f"{self.prefix}:*", count=500))
        return int(self.server.delete(*keys)) if keys else 0
