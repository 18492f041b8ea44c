"""The HTTP layer: routes, dependencies, RFC 9457 problem responses and the request middleware."""
