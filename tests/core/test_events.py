"""The event bus: ids keep growing across restarts, so a watcher resuming after an old id sees new events."""

from __future__ import annotations

import time

from dlbs.events import EventBus


def test_event_ids_keep_growing_across_a_restart() -> None:
    before = EventBus()
    last = [before.publish("test", f"event {i}").id for i in range(50)][-1]
    time.sleep(0.01)  # a real restart takes seconds
    after = EventBus()  # the node restarted
    first = after.publish("test", "after the restart").id
    assert first > last
    assert [e.message for e in after.recent(after=last)] == ["after the restart"]
