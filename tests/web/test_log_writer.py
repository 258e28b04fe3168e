"""The background log writer: every line, in order, written by its own thread; bounded while
the stream is stuck; ``flush`` waits for what was logged; a broken stream breaks nothing."""

from __future__ import annotations

import io
import logging
import threading

from helpers import wait_until

from mockserver.web.logs import BackgroundWriter, TextFormatter


class StuckStream(io.StringIO):
    """A stream whose writes wait until ``release`` is set; counts its write calls."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.writing = threading.Event()
        self.calls = 0

    def write(self, text: str) -> int:
        self.writing.set()
        self.release.wait(timeout=30)
        self.calls += 1
        return super().write(text)


def logger_to(handler: logging.Handler, name: str) -> logging.Logger:
    handler.setFormatter(TextFormatter("%(message)s"))
    logger = logging.getLogger(f"test-writer-{name}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_every_line_in_order_and_flush_waits_for_them() -> None:
    stream = io.StringIO()
    handler = BackgroundWriter(stream)
    logger = logger_to(handler, "order")
    for number in range(2000):
        logger.info("line %d", number)
    handler.flush()
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(2000))


def test_lines_waiting_are_written_in_one_call_and_the_queue_is_bounded() -> None:
    stream = StuckStream()
    handler = BackgroundWriter(stream, limit=5)
    logger = logger_to(handler, "bounded")
    logger.info("first")
    assert stream.writing.wait(timeout=10)  # the writer holds "first", stuck in write()
    for number in range(5):
        logger.info("queued %d", number)  # fills the queue to its limit
    blocked = threading.Thread(target=logger.info, args=("sixth",))
    blocked.start()
    blocked.join(timeout=0.5)
    assert blocked.is_alive()  # no room: the caller waits, memory stays bounded
    assert len(handler._lines) == 5
    stream.release.set()
    blocked.join(timeout=10)
    handler.flush()
    expected = ["first", *(f"queued {n}" for n in range(5)), "sixth"]
    assert stream.getvalue() == "".join(f"{line}\n" for line in expected)
    assert stream.calls <= 3  # "first", then the waiting lines together (then "sixth")


def test_a_broken_stream_neither_fails_the_caller_nor_stops_the_writer() -> None:
    class Broken(io.StringIO):
        fail = True

        def write(self, text: str) -> int:
            if self.fail:
                self.fail = False
                raise BrokenPipeError("gone")
            return super().write(text)

    stream = Broken()
    handler = BackgroundWriter(stream)
    logger = logger_to(handler, "broken")
    logger.info("lost")
    handler.flush()
    logger.info("kept")
    handler.flush()
    assert stream.getvalue() == "kept\n"


def test_close_writes_what_waits_and_ends_the_thread_later_lines_are_written_directly() -> None:
    """At exit no daemon writer may be left inside ``write``: Python would abort the
    process (SIGABRT) when it finalizes with stderr's lock held."""
    stream = StuckStream()
    handler = BackgroundWriter(stream)
    logger = logger_to(handler, "close")
    logger.info("one")
    assert stream.writing.wait(timeout=10)  # the writer is inside write, holding "one"
    logger.info("two")  # waits in the queue
    closing = threading.Thread(target=handler.close)
    closing.start()
    stream.release.set()
    closing.join(timeout=10)
    assert not closing.is_alive()
    assert not handler._thread.is_alive()
    logger.info("three")  # after close: written by the caller, after the others
    assert stream.getvalue() == "one\ntwo\nthree\n"


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def write(self, text: str) -> int:
        self.calls += 1
        return super().write(text)


def test_lines_logged_together_go_out_in_few_writes_and_a_lone_one_soon() -> None:
    stream = CountingStream()
    handler = BackgroundWriter(stream, batch=100, interval=0.05)
    logger = logger_to(handler, "batched")
    for number in range(1000):
        logger.info("line %d", number)
    handler.flush()
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(1000))
    assert stream.calls <= 20  # a write per batch of 100, not per line
    logger.info("alone")
    wait_until(lambda: stream.getvalue().endswith("alone\n"),
               what="a lone line written without a flush")


def test_text_stamps_are_logging_s_own() -> None:
    """The stamp made once a second is the one logging makes for every line."""
    ours, theirs = TextFormatter("%(asctime)s %(message)s"), logging.Formatter(
        "%(asctime)s %(message)s")
    for created in (1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.0005, 1_700_000_001.5,
                    1_700_086_399.25, 1_700_086_400.75):
        record = logging.LogRecord("x", logging.INFO, "f", 1, "m", None, None)
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert ours.format(record) == theirs.format(record), created
