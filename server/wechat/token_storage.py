"""Where wechatpy keeps the access token: Redis, shared by every process, or this process's
memory while Redis cannot be reached (a token fetched then is fetched again later: the stable
token endpoint hands out the same one, so nothing else is invalidated)."""

import logging

from redis.exceptions import RedisError
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

log = logging.getLogger(__name__)


class FallbackStorage(SessionStorage):
    def __init__(self, shared: SessionStorage, local: MemoryStorage):
        self.shared, self.local = shared, local

    def get(self, key, default=None):
        try:
            return self.shared.get(key, default)
        except RedisError:
            log.warning("access token store unreachable; using this process's copy")
            return self.local.get(key, default)

    def set(self, key, value, ttl=None):
        self.local.set(key, value, ttl)
        try:
            self.shared.set(key, value, ttl)
        except RedisError:
            log.warning("access token store unreachable; kept in this process")

    def delete(self, key):
        self.local.delete(key)
        try:
            self.shared.delete(key)
        except RedisError:
            log.warning("access token store unreachable; dropped in this process only")
