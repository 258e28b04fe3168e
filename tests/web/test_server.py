"""The HTTP server itself, over real sockets: order, keep-alive, HEAD, limits, dropping,
refusals read by a client still sending, the worker threads, a stop with work in flight.

Each test runs a ``Server`` in a thread of this process with a small handler of its own,
so what the server does is seen apart from the mock (the mock's own lane is
``test_direct``; whole processes are ``test_serving`` and ``tests/hostile``).
"""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from helpers import wait_until

from mockserver.web.exchange import Exchange, Handler, Later, Reply
from mockserver.web.server import Limits, Server, Workers

JSON = [("Content-Type", "application/json")]


class Echo:
    """Answers with what it read, on the loop or on a worker, as the path says:
    ``/now`` on the loop, ``/later`` on a worker, ``/wait`` on a worker once ``release``
    is set, ``/drop`` no answer at all, ``/thread`` the worker's name."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.waiting = threading.Event()

    def respond(self, exchange: Exchange) -> Reply | Later:
        body = json.dumps({"method": exchange.method, "path": exchange.path,
                           "query": exchange.query, "body": exchange.body.decode(),
                           "headers": exchange.headers}).encode()
        if exchange.path == "/now":
            return Reply(200, JSON, body)
        if exchange.path == "/drop":
            return Reply(0, drop=True)
        if exchange.path == "/thread":
            return lambda: Reply(200, JSON, json.dumps(threading.current_thread().name).encode())
        if exchange.path == "/wait":
            def later() -> Reply:
                self.waiting.set()
                self.release.wait(10)
                return Reply(200, JSON, body)
            return later
        return lambda: Reply(200, JSON, body)


@contextmanager
def serving(handler: Handler, **limits: float) -> Iterator[Server]:
    server = Server(handler, "127.0.0.1", 0, Limits(**{"threads": 2, "delayed": 2,  # type: ignore[arg-type]
                                                       "grace": 2, **limits}))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_answers(sock: socket.socket, count: int, heads: tuple[int, ...] = (),
                 ) -> list[tuple[str, dict[str, str], bytes]]:
    """Read ``count`` whole answers (Content-Length framed) from the socket; those whose
    numbers are in ``heads`` answer a HEAD: no body."""
    data, answers = b"", []
    while len(answers) < count:
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            assert more, f"closed after {len(answers)} answers: {data!r}"
            data += more
        head, _, data = data.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        length = 0 if status.split()[1] in ("204", "304") or len(answers) in heads else int(
            headers.get("content-length", "0"))
        while len(data) < length:
            more = sock.recv(65536)
            assert more
            data += more
        answers.append((status, headers, data[:length]))
        data = data[length:]
    return answers


def closed(sock: socket.socket, timeout: float = 5) -> bool:
    """Whether the server closes the connection (EOF) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while chunk := sock.recv(65536):
            del chunk
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_pipelined_requests_are_answered_in_order_wherever_they_run() -> None:
    with serving(Echo()) as server, connect(server) as sock:
        sock.sendall(b"GET /later?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /now?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"POST /later?n=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                     b"GET /now?n=4 HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = read_answers(sock, 4)
    assert [json.loads(body)["query"] for _, _, body in answers] == ["n=1", "n=2", "n=3", "n=4"]
    assert json.loads(answers[2][2])["body"] == "abc"
    assert all(headers.get("connection") is None for _, headers, _ in answers)  # kept alive


def test_a_chunked_body_arrives_whole_and_the_head_as_sent() -> None:
    with serving(Echo()) as server, connect(server) as sock:
        sock.sendall(b"PUT /now HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"X-Twice: a\r\nX-Twice: b\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        (status, headers, body), = read_answers(sock, 1)
    seen = json.loads(body)
    assert (status, seen["method"], seen["body"]) == ("HTTP/1.1 200 OK", "PUT", "abcde")
    assert seen["headers"] == [["Host", "x"], ["Transfer-Encoding", "chunked"],
                               ["X-Twice", "a"], ["X-Twice", "b"]]
    assert headers["server"] == "mockserver" and headers["date"].endswith(" GMT")


def test_http_1_0_closes_unless_asked_to_keep_alive() -> None:
    with serving(Echo()) as server:
        with connect(server) as sock:
            sock.sendall(b"GET /now HTTP/1.0\r\n\r\n")
            (status, headers, _), = read_answers(sock, 1)
            assert (status, headers["connection"]) == ("HTTP/1.1 200 OK", "close")
            assert closed(sock)
        with connect(server) as sock:
            sock.sendall(b"GET /now HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert read_answers(sock, 1)[0][1]["connection"] == "keep-alive"
            sock.sendall(b"GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_answers(sock, 1)[0][1]["connection"] == "close"
            assert closed(sock)


def test_head_has_the_length_of_get_and_no_body() -> None:
    def handler(exchange: Exchange) -> Reply:
        return Reply(200, [("Content-Type", "text/plain"), ("Content-Length", "11")],
                     b"" if exchange.method == "HEAD" else b"hello world")

    class Head:
        respond = staticmethod(handler)

    with serving(Head()) as server, connect(server) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        head, get = read_answers(sock, 2, heads=(0,))  # a body after HEAD would spoil GET's
    assert (head[1]["content-length"], head[2]) == ("11", b"")
    assert (get[1]["content-length"], get[2]) == ("11", b"hello world")


def test_a_dropped_request_gets_no_answer_and_the_connection_closes() -> None:
    with serving(Echo()) as server, connect(server) as sock:
        sock.sendall(b"GET /now HTTP/1.1\r\nHost: x\r\n\r\nGET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
        assert json.loads(read_answers(sock, 1)[0][2])["path"] == "/now"
        sock.settimeout(5)
        assert sock.recv(65536) == b""  # the first answer, then nothing: closed


def test_a_refused_body_is_read_by_a_client_still_sending_it() -> None:
    """The client sends its whole body before reading: it must read the 413, not a reset."""
    with serving(Echo(), max_body=1000) as server:
        for _ in range(20):
            with connect(server) as sock:
                sock.sendall(b"POST /now HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                             b"\r\n" + b"100\r\n" + b"x" * 256 + b"\r\n")
                sock.sendall((b"100\r\n" + b"x" * 256 + b"\r\n") * 200 + b"0\r\n\r\n")
                (status, headers, body), = read_answers(sock, 1)
                assert (status, headers["connection"]) == (
                    "HTTP/1.1 413 Request Entity Too Large", "close")
                assert json.loads(body) == {
                    "code": 413,
                    "message": "The request body is larger than the limit of 1000 bytes."}


def test_connections_past_the_limit_wait_in_the_backlog_until_one_closes() -> None:
    with serving(Echo(), connection_limit=3) as server:
        held = [connect(server) for _ in range(3)]
        for sock in held:
            sock.sendall(b"GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
            read_answers(sock, 1)  # accepted and served: three connections open
        with connect(server) as fourth:
            fourth.sendall(b"GET /now?n=4 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert select.select([fourth], [], [], 0.5)[0] == []  # not accepted yet
            held.pop().close()
            assert json.loads(read_answers(fourth, 1)[0][2])["query"] == "n=4"
        for sock in held:
            sock.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with serving(Echo(), channel_timeout=1) as server, connect(server) as sock:
        sock.sendall(b"GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        read_answers(sock, 1)
        assert closed(sock, timeout=5)


def test_a_client_that_does_not_read_stops_its_own_requests_not_others() -> None:
    """Pipelined requests whose answers are never read: once the unsent answers pass the
    transport's high-water mark, no further request of that client is answered (memory
    stays bounded), and another client is answered meanwhile."""
    big = Reply(200, JSON, b"[" + b"0," * 500_000 + b"0]")

    class Big:
        calls = 0

        def respond(self, exchange: Exchange) -> Reply:
            Big.calls += 1
            return big if exchange.path == "/big" else Reply(200, JSON, b"{}")

    with serving(Big(), channel_timeout=2) as server, connect(server) as greedy:
        greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        greedy.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 200)
        with connect(server) as other:
            other.sendall(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answers(other, 1)[0][2] == b"{}"
        assert Big.calls < 20  # not all 200 answers were made and buffered
        # closed once its answers wait unread past the idle timeout (2 s)
        wait_until(lambda: server.open_connections == 0, what="the greedy client closed")
        assert Big.calls < 20
        assert closed(greedy, timeout=5)  # what was in flight, then the end


def test_the_stop_finishes_a_request_in_flight_and_refuses_new_connections() -> None:
    echo = Echo()
    server = Server(echo, "127.0.0.1", 0, Limits(threads=1, delayed=0, grace=5))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    sock = connect(server)
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    assert echo.waiting.wait(10)
    server.stop()

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except (ConnectionRefusedError, ConnectionResetError):  # reset: queued as it closed
            return True
        return False

    wait_until(refused, what="the listening socket to be closed")
    echo.release.set()
    (status, headers, _), = read_answers(sock, 1)
    assert (status, headers["connection"]) == ("HTTP/1.1 200 OK", "close")
    thread.join(timeout=10)
    assert not thread.is_alive()
    sock.close()


def test_the_most_recently_idle_worker_takes_the_next_job() -> None:
    """One request at a time runs on one thread, whatever the pool's size."""
    with serving(Echo(), threads=8) as server, connect(server) as sock:
        names = set()
        for _ in range(30):
            sock.sendall(b"GET /thread HTTP/1.1\r\nHost: x\r\n\r\n")
            names.add(json.loads(read_answers(sock, 1)[0][2]))
    assert len(names) == 1


def test_workers_run_every_job_and_stop_within_the_bound() -> None:
    workers = Workers(3)
    done: list[int] = []
    finished = threading.Event()
    lock = threading.Lock()

    def job(n: int) -> None:
        with lock:
            done.append(n)
            if len(done) == 100:
                finished.set()

    for n in range(100):
        workers.submit(lambda n=n: job(n))  # type: ignore[misc]
    assert finished.wait(10)
    stuck = threading.Event()
    workers.submit(lambda: stuck.wait(30))
    workers.stop(timeout=0.2)  # returns although one job never ends
    assert sorted(done) == list(range(100))
    stuck.set()


def test_a_handler_s_header_cannot_split_the_answer_or_break_it() -> None:
    class Odd:
        def respond(self, exchange: Exchange) -> Reply:
            return Reply(200, [("X-Split", "a\r\nSet-Cookie: evil=1"), ("X-Name", "café ☕")],
                         b"{}")

    with serving(Odd()) as server, connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        (status, headers, body), = read_answers(sock, 1)
    assert (status, body) == ("HTTP/1.1 200 OK", b"{}")
    assert "set-cookie" not in headers
    assert headers["x-split"] == "a  Set-Cookie: evil=1"
    assert headers["x-name"] == "caf\xe9 ?"
