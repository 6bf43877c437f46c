#!/usr/bin/python3
"""The echo server of the E10 and E100 benchmarks, on asyncio or uvloop.

Usage: echo.py [--loop asyncio|uvloop] [--protocol] [--host 127.0.0.1] [--port 0]

Writes back every byte it reads, as it comes, on each connection: with
asyncio's streams (start_server; reader.read, writer.write, drain), or with
--protocol, with a bare asyncio.Protocol whose data_received writes to the
transport. Once listening, it prints one line: the address, a space, and in
a few words how it echoes. It serves until it is killed: bench/run starts
it, points bench/cmd/echoclient at it and stops it by its process ID.
"""

import argparse
import asyncio
import sys

READ_SIZE = 64 * 1024  # the most one read takes, in every server


async def echo_stream(reader, writer):
    """Write back what the client sends until it closes."""
    try:
        while data := await reader.read(READ_SIZE):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    """Writes back what it receives, with no stream on top."""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def serve(args):
    if args.protocol:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(EchoProtocol, args.host, args.port)
        impl = "asyncio.Protocol: data_received -> transport.write"
    else:
        server = await asyncio.start_server(echo_stream, args.host, args.port)
        impl = "asyncio streams: start_server, reader.read, writer.write, drain"
    host, port = server.sockets[0].getsockname()[:2]
    print(f"{host}:{port} {impl}", flush=True)
    async with server:
        await server.serve_forever()


def loop_factory(name):
    if name == "uvloop":
        import uvloop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def main():
    p = argparse.ArgumentParser(description="the echo benchmarks' server on asyncio or uvloop")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    p.add_argument("--protocol", action="store_true", help="a bare Protocol instead of streams")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
