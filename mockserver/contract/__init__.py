"""``mockserver contract``: does a deployment keep the promises of ``openapi.yaml``?

The flow, one module each: ``options`` (flags and ``MOCKSERVER_CONTRACT_*``) ->
``credentials`` (a bearer token, given or by client credentials) -> ``target`` (reachable?
the mock?) -> ``policy`` (what may be sent; ``guard`` enforces it on every request) ->
``runner`` (schemathesis, plus our ``checks``/``filters`` probe) -> ``collect`` (failures
as findings) -> ``classify`` (promise or assumption, from ``assumptions``' x-assumed
lookups) -> ``report`` and ``junit``. ``command`` ties them together; ``secrets`` masks
every line that leaves.
"""
