"""The mock's domain, with no web framework and no sandbox: what the API's records are and
how each operation reads and changes them.

Records and their JSON shapes, the dataset and its list index, rights, the query
semantics, rendering, the operations by operationId, the error vocabulary, the clock, the
HTTP value types and the spec loader. Imports nothing else of the package.
"""
