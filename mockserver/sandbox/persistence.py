"""The default session survives restarts: loaded from the state file, saved on each change.

Named sessions are scratch space and are never saved. The save runs in the store's change
hook, under the session's lock and before the change is answered, so an acknowledged
change is on disk. A write that fails (a full disk, say) refuses the change: the store puts
the records back, the client gets a 503 saying why, and health reports the state file as
failing until a save succeeds again.
"""

from __future__ import annotations

import logging

from ..core.access import Persona
from ..core.errors import ServiceUnavailable
from ..core.spec import Spec
from ..data.state_file import StateFile
from .sessions import DEFAULT_SESSION, Session, Store

log = logging.getLogger("mockserver")


def persist_default_session(
    state_file: StateFile, store: Store, spec: Spec, personas: list[Persona]
) -> None:
    """Load the saved default session, or save the fresh one (which proves the path works);
    from then on every change to it is saved. ``StateError`` or ``OSError`` for bad files."""
    loaded = state_file.load(spec, personas)
    default = store.session(DEFAULT_SESSION)
    if loaded is not None:
        default.own(loaded)
        log.info("state loaded from %s", state_file.path)
    else:
        state_file.save(default.data)
    store.on_change = lambda session: save_on_change(state_file, session)


def save_on_change(state_file: StateFile, session: Session) -> None:
    """The store's change hook: save the default session; named ones are scratch space."""
    if session.name != DEFAULT_SESSION:
        return
    try:
        state_file.save(session.data)
    except OSError as exc:
        log.error("could not save the state to %s: %s; the change is undone",
                  state_file.path, exc, extra={"fields": {"event": "state_not_saved",
                                                          "error": str(exc)}})
        raise ServiceUnavailable(
            f"The change could not be saved to the state file ({exc.strerror or exc}); "
            "nothing was changed.", headers={"Retry-After": "5"},
        ) from exc


def save_default_session(state_file: StateFile, store: Store) -> None:
    """The last save, when the server stops. Every acknowledged change is on disk already,
    so a failure here loses nothing: it is logged, and the stop goes on."""
    session = store.session(DEFAULT_SESSION)
    with session.lock:
        try:
            state_file.save(session.data)
        except OSError as exc:
            log.error("could not save the state to %s on stopping: %s (the last change "
                      "saved is kept)", state_file.path, exc,
                      extra={"fields": {"event": "state_not_saved", "error": str(exc)}})
            return
    log.info("state saved to %s", state_file.path)
