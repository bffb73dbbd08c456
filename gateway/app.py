"""ASGI entry point for uvicorn: `uvicorn gateway.app:app`."""
from gateway.main import create_app

app = create_app()
