"""Executions of the Dune stand-in (test/dune_server.py): their states and the
timeline that gives them (PENDING, then EXECUTING, then the final state; forced or
cancelled), and the body of GET /v1/execution/{id}/status."""

import datetime
import time

PENDING, EXECUTING = "QUERY_STATE_PENDING", "QUERY_STATE_EXECUTING"
CANCELLED = ("QUERY_STATE_CANCELLED", "QUERY_STATE_CANCELED")
TERMINAL = {"QUERY_STATE_COMPLETED", "QUERY_STATE_COMPLETED_PARTIAL",
            "QUERY_STATE_FAILED", "QUERY_STATE_EXPIRED"} | set(CANCELLED)
WITH_RESULT = ("QUERY_STATE_COMPLETED", "QUERY_STATE_COMPLETED_PARTIAL")
FAILED_ERROR = {"type": "FAILED_TYPE_EXECUTION_FAILED", "message": "boom",
                "metadata": {"line": 1, "column": 2}}


def rfc3339(dt, nanos=True):
    """RFC 3339 UTC text, with 9 fractional digits when nanos."""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".%06d000Z" % dt.microsecond if nanos else "Z")


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.datetime.now(datetime.timezone.utc)


class Execution:
    """One execution; its state follows from time since creation."""

    def __init__(self, exec_id, query_id, settings):
        self.id = exec_id
        self.query_id = query_id
        self.pending_ms = settings["pending_ms"]
        self.executing_ms = settings["executing_ms"]
        self.final_state = settings["final_state"]
        self.created = time.monotonic()
        self.submitted_at = utcnow()
        self.forced = None
        self.cancelled = None  # (wall time, ms since creation) once cancelled

    def _elapsed_ms(self):
        """Milliseconds since creation."""
        return (time.monotonic() - self.created) * 1000.0

    def _at(self, ms):
        """Wall time ms after submission."""
        return self.submitted_at + datetime.timedelta(milliseconds=ms)

    def state(self):
        """(state, phase): phase 0 pending, 1 executing, 2 over."""
        if self.forced:
            return self.forced, {PENDING: 0, EXECUTING: 1}.get(self.forced, 2)
        if self.cancelled:
            return CANCELLED[0], 2
        elapsed = self._elapsed_ms()
        if elapsed < self.pending_ms:
            return PENDING, 0
        if elapsed < self.pending_ms + self.executing_ms:
            return EXECUTING, 1
        return self.final_state, 2

    def is_over(self):
        """Whether the execution reached a state other than PENDING/EXECUTING."""
        return self.state()[1] == 2

    def cancel(self):
        """Cancel if not over; returns whether it was cancelled."""
        if self.is_over():
            return False
        self.forced = None
        self.cancelled = (utcnow(), self._elapsed_ms())
        return True

    def status(self):
        """The body of GET /v1/execution/{id}/status."""
        state, phase = self.state()
        out = {"execution_id": self.id, "query_id": self.query_id, "state": state,
               "is_execution_finished": state in TERMINAL,
               "submitted_at": rfc3339(self.submitted_at)}
        started = phase >= 1 and not (self.cancelled and not self.forced
                                      and self.cancelled[1] < self.pending_ms)
        if started:
            out["execution_started_at"] = rfc3339(self._at(self.pending_ms))
        if state in CANCELLED:
            out["cancelled_at"] = rfc3339(self.cancelled[0] if self.cancelled else utcnow())
        elif phase == 2:
            ended = self._at(self.pending_ms + self.executing_ms)
            out["execution_ended_at"] = rfc3339(ended)
            if state in WITH_RESULT:
                out["expires_at"] = rfc3339(ended + datetime.timedelta(days=90))
        if phase == 2:
            out["execution_cost_credits"] = 0.5
        if state == "QUERY_STATE_FAILED":
            out["error"] = dict(FAILED_ERROR)
        return out
