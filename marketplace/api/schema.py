def only_api_v1(endpoints):
    """Keep the OpenAPI schema to our own API; Wagtail's admin API is internal and not described."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
