"""channels_redis's layer, with a receive that cannot outlive its own cancellation.

On Python 3.11, ``asyncio.wait_for`` returns the inner result instead of raising when the task is
cancelled just as the inner call completes (fixed in 3.12, CPython gh-86296). redis-py wraps
every command's send in ``wait_for`` when a socket timeout is set. A consumer's receive task that
was cancelled in that instant (its socket closing) went on to the blocking pop, and channels_redis
pops again whenever one comes back empty: the task never ended, and neither did the consumer that
waited for it (the probe's 90-second hang on PostgreSQL with Redis). The cancellation is still
counted on the task (``Task.cancelling()``), so the loop checks it after each pop.
"""

import asyncio

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer


class RedisChannelLayer(ChannelsRedisLayer):
    async def _brpop_with_clean(self, index, channel, timeout):
        member = await super()._brpop_with_clean(index, channel, timeout)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # A popped message stays in the backup queue; the next receive puts it back first.
            raise asyncio.CancelledError("cancelled while the blocking pop was being sent")
        return member
