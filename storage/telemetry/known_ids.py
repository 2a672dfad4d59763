"""What the telemetry checks have learnt about ids, kept per process so that recording an
entry does not query the database every time.

Two kinds of facts, cached differently because they age differently:

- the instance that owns a unit of work, actor, role or interaction never changes (rows are
  never re-parented or deleted), so an owner is remembered until the LRU bound evicts it;
- an instance's status does change (`set_instance_status`), so it is remembered for
  `status_ttl_s` only, and forgotten at once when this process changes it. The TTL bounds
  how long a change made by another process (or directly in the database) goes unseen.

Absence is never remembered: an id unknown now may be created a moment later. One object
per server process, created in the app's lifespan and hung on the instance tier (which is
what the checks and the status change are handed); no module-level state.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from storage.enums import InstanceStatus

MAX_IDS = 100_000
MAX_INSTANCES = 10_000
STATUS_TTL_S = 1.0


class KnownIds:
    """A bounded (LRU) map of id → owning instance and a short-lived map of instance → status.

    Used from the event loop only (no lock): checks and status changes run there."""

    def __init__(
        self,
        *,
        max_ids: int = MAX_IDS,
        max_instances: int = MAX_INSTANCES,
        status_ttl_s: float = STATUS_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owners: OrderedDict[tuple[str, uuid.UUID], uuid.UUID] = OrderedDict()
        self._statuses: OrderedDict[uuid.UUID, tuple[InstanceStatus, float]] = OrderedDict()
        self._max_ids = max_ids
        self._max_instances = max_instances
        self._ttl = status_ttl_s
        self._clock = clock
        # Bumped whenever a status is forgotten: a status read from the database before a
        # change committed must not be remembered after the change forgot it.
        self.epoch = 0

    def owner(self, kind: str, key: uuid.UUID) -> uuid.UUID | None:
        owner = self._owners.get((kind, key))
        if owner is not None:
            self._owners.move_to_end((kind, key))
        return owner

    def remember_owner(self, kind: str, key: uuid.UUID, instance_id: uuid.UUID) -> None:
        self._owners[(kind, key)] = instance_id
        self._owners.move_to_end((kind, key))
        if len(self._owners) > self._max_ids:
            self._owners.popitem(last=False)

    def status(self, instance_id: uuid.UUID) -> InstanceStatus | None:
        known = self._statuses.get(instance_id)
        if known is None:
            return None
        status, expires = known
        if self._clock() >= expires:
            del self._statuses[instance_id]
            return None
        self._statuses.move_to_end(instance_id)
        return status

    def remember_status(self, instance_id: uuid.UUID, status: InstanceStatus, epoch: int) -> None:
        """Remember `status`, read while `self.epoch` was `epoch`, unless a change since then
        has made it stale."""
        if epoch != self.epoch:
            return
        self._statuses[instance_id] = (status, self._clock() + self._ttl)
        self._statuses.move_to_end(instance_id)
        if len(self._statuses) > self._max_instances:
            self._statuses.popitem(last=False)

    def forget_status(self, instance_id: uuid.UUID) -> None:
        """Called after this process committed a status change of the instance."""
        self.epoch += 1
        self._statuses.pop(instance_id, None)

    def __len__(self) -> int:
        return len(self._owners)
