"""The web edge: Flask routes made from the specs, CORS, the docs page, request records
for the log and the journal, log formatting, and waitress with a graceful stop.
``app.create_app(settings)`` is the one place where the parts are wired together."""
