"""``mockserver proxy``: real traffic between a client and a deployment, checked against
``openapi.yaml`` on its way through, classified like ``mockserver contract``'s findings,
and optionally recorded into fixtures the mock serves."""
