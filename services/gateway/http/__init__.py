"""The gateway's HTTP plumbing, used by every route and importing none: the error shape, the
answer models, the `@api` registry that writes the OpenAPI spec, security headers, request ids,
rate limits."""
