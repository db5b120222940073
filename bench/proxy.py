"""A tiny TCP round-robin balancer for the local scale-out topology (bench/topology.py).

Each accepted connection goes to the next backend in turn. A backend that refuses the
connection is skipped and the next one tried, so a dead worker costs new connections nothing;
connections that were open to it break, and clients reconnect (the progress page does, with
`?after=<last seq>`). Bytes are relayed both ways unchanged until either side closes, so HTTP
keep-alive and websockets pass through. It knows nothing of HTTP: no X-Forwarded-For, so every
client looks like 127.0.0.1 to the intake throttle. In production put nginx or HAProxy here
(docs/scale-out.md).

    .venv/bin/python bench/proxy.py --listen 127.0.0.1:8000 --backends 127.0.0.1:8001,127.0.0.1:8002
"""

import argparse
import asyncio
import contextlib
import itertools
import logging
import sys

log = logging.getLogger("proxy")
CONNECT_TIMEOUT = 5  # seconds; then the next backend is tried
CHUNK = 64 * 1024


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF, then pass the half-close on."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


class RoundRobin:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next backend that accepts one, or None if none does."""
        first = next(self.turn)
        for offset in range(len(self.backends)):
            host, port = self.backends[(first + offset) % len(self.backends)]
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(host, port), timeout=CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError) as exc:
                log.warning("backend %s:%s refused a connection: %s", host, port, exc)
        return None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        backend = await self.connect()
        if backend is None:
            writer.close()
            return
        backend_reader, backend_writer = backend
        try:
            await asyncio.gather(pipe(reader, backend_writer), pipe(backend_reader, writer))
        finally:
            for stream in (writer, backend_writer):
                stream.close()


async def serve(listen: tuple[str, int], backends: list[tuple[str, int]]) -> None:
    balancer = RoundRobin(backends)
    # A generous backlog: a thousand websockets reconnecting at once must not overflow it.
    server = await asyncio.start_server(balancer.handle, *listen, backlog=4096)
    log.warning("proxy on %s:%s -> %s", *listen, ", ".join(f"{h}:{p}" for h, p in backends))
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=address, default=("127.0.0.1", 8000))
    parser.add_argument(
        "--backends",
        type=lambda text: [address(item) for item in text.split(",") if item],
        required=True,
    )
    options = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, format="%(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.listen, options.backends))


if __name__ == "__main__":
    main()
