#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that delays every chunk by DELAY_MS in each direction, so
a loopback server looks DELAY_MS * 2 of round trip away (what 0-RTT saves shows).
Order is kept; each chunk leaves DELAY_MS after it arrived. Stops after SECONDS.

  delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS [SECONDS]

Prints "listening PORT" once it listens (LISTEN_PORT 0: a free port)."""
import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data or None))
            if not data:
                break
    except (ConnectionError, OSError):
        await queue.put((loop.time(), None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def handle(creader, cwriter, target, delay):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(pump(creader, swriter, delay), pump(sreader, cwriter, delay))


async def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    listen, target, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 120
    server = await asyncio.start_server(lambda r, w: handle(r, w, target, delay), "127.0.0.1",
                                        listen)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.sleep(seconds)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
