"""Fixtures of the operations tests: the private servers of `servers.py`."""

from tests.operations.servers import cluster, private_redis, staff_key

__all__ = ["cluster", "private_redis", "staff_key"]
