"""The web edge: the HTTP server (asyncio and httptools, a graceful stop), the API's own
lane past Flask, Flask routes made from the specs, CORS, the docs page, request records for
the log and the journal, log formatting. ``app.create_app(settings)`` is the one place where
the parts are wired together; ``app.serving_handler`` is what the server runs."""
