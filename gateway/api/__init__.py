"""HTTP routers: thin, each a view on one part of the service."""
