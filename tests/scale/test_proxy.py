"""The topology's round-robin proxy: connections take turns, a dead backend is skipped."""

import asyncio

from bench.proxy import RoundRobin
from tests.live import free_port


async def backend(name: bytes) -> asyncio.Server:
    """Answers each line with its name and the line, until the client closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(name + b" " + line)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


def port_of(server: asyncio.Server) -> int:
    return server.sockets[0].getsockname()[1]


async def ask(port: int, lines: list[bytes]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    for line in lines:
        writer.write(line + b"\n")
        await writer.drain()
        answers.append((await reader.readline()).strip())
    writer.close()
    await writer.wait_closed()
    return answers


async def settled() -> None:
    """Let the proxy's and the backends' handlers see the close before the servers stop."""
    for _ in range(100):
        if len(asyncio.all_tasks()) == 1:
            return
        await asyncio.sleep(0.01)


async def through_proxy(backend_ports: list[int], connections: int) -> list[list[bytes]]:
    balancer = RoundRobin([("127.0.0.1", port) for port in backend_ports])
    proxy = await asyncio.start_server(balancer.handle, "127.0.0.1", 0)
    async with proxy:
        answers = [await ask(port_of(proxy), [b"one", b"two"]) for _ in range(connections)]
        await settled()
    return answers


async def test_connections_take_turns_and_stay_on_their_backend():
    a, b = await backend(b"a"), await backend(b"b")
    async with a, b:
        answers = await through_proxy([port_of(a), port_of(b)], 4)

    assert answers == [[b"a one", b"a two"], [b"b one", b"b two"]] * 2


async def test_a_backend_that_refuses_is_skipped():
    a = await backend(b"a")
    dead = free_port()  # nothing listens there
    async with a:
        answers = await through_proxy([dead, port_of(a)], 3)

    assert answers == [[b"a one", b"a two"]] * 3
